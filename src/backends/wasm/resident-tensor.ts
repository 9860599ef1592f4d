import { NeuropodError } from '../../api/errors.js';
import { Tensor, type Shape } from '../../tensor/tensor.js';

const NO_DATA = new Float32Array(0);

/**
 * A float32 kernel output that stays in wasm memory, so the next wasm kernel reads it where it is instead of a
 * copy in and out of the JS heap. Its `data` is copied out on first access (a reference kernel, a graph output),
 * and reading it after its block was released (past its last reader) throws rather than reading reused memory.
 */
export class ResidentTensor extends Tensor<Float32Array> {
  #block: number | undefined;
  #copy: Float32Array | undefined;
  readonly #read: (at: number, floats: number) => Float32Array;

  constructor(shape: Shape, block: number, read: (at: number, floats: number) => Float32Array) {
    super('float32', shape, NO_DATA);
    this.#block = block;
    this.#read = read;
    Object.defineProperty(this, 'data', { get: () => this.materialize(), enumerable: true, configurable: true });
  }

  /** The wasm block while it holds the values, for a kernel of the same heap. */
  get block(): number | undefined {
    return this.#block;
  }

  materialize(): Float32Array {
    if (this.#copy) return this.#copy;
    if (this.#block === undefined) throw new NeuropodError('INFERENCE_FAILED', `a wasm-resident tensor [${this.shape}] was read after its last planned reader`);
    return (this.#copy = this.#read(this.#block, this.size));
  }

  /** The block is about to be freed: later reads need the copy (made now when `keep`). */
  detach(keep: boolean): void {
    if (keep) this.materialize();
    this.#block = undefined;
  }

  /** A plain tensor with the values (what leaves the backend). */
  toPlain(): Tensor {
    return new Tensor('float32', this.shape, this.materialize());
  }
}
