import type { DType } from '../../tensor/dtype.js';
import { sizeOf, type Shape } from '../../tensor/tensor.js';

/**
 * dtypes a GPU tensor may hold, each in 32-bit words (one element per WGSL word): int64 travels as i32 (values
 * are checked to fit on upload), bool and uint8 as u32.
 */
export const GPU_DTYPES: ReadonlySet<DType> = new Set<DType>(['float32', 'int32', 'int64', 'uint32', 'bool', 'uint8']);

/** A pooled buffer shared by a tensor and its views; back to the pool when the last holder lets go. */
export class GpuStorage {
  private holders = 1;
  constructor(
    readonly buffer: GPUBuffer,
    private readonly onFree: (buffer: GPUBuffer) => void,
    /** A run's own pooled buffer (not an upload, a constant or a caller's buffer): it may be handed to the caller. */
    readonly pooled = false,
  ) {}

  /** Whether anyone besides one holder has it (a view, another output, the caller). */
  get shared(): boolean {
    return this.holders > 1;
  }

  retain(): this {
    this.holders++;
    return this;
  }

  release(): void {
    if (--this.holders === 0) this.onFree(this.buffer);
  }
}

/**
 * A tensor resident on the GPU: row-major, contiguous, 4 bytes an element. Reshape-like ops make views that
 * share the storage under another shape.
 */
export class GpuTensor {
  readonly size: number;
  constructor(
    /** The dtype the host sees; the words on the GPU are f32, i32 or u32 (see GPU_DTYPES). */
    readonly dtype: DType,
    readonly shape: Shape,
    readonly storage: GpuStorage,
  ) {
    this.size = sizeOf(shape);
  }

  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  get rank(): number {
    return this.shape.length;
  }

  get byteLength(): number {
    return this.size * 4;
  }

  /** The same elements under `shape` (same element count), holding the storage too. */
  view(shape: Shape): GpuTensor {
    return new GpuTensor(this.dtype, [...shape], this.storage.retain());
  }
}

export function isGpuTensor(v: unknown): v is GpuTensor {
  return v instanceof GpuTensor;
}
