import { NeuropodError } from '../../api/errors.js';
import type { Graph } from '../../graph/ir.js';
import type { Value } from '../../graph/value.js';
import { Tensor } from '../../tensor/tensor.js';
import type { GpuContext } from './gpu-context.js';
import { uploadable, type GpuRun } from './gpu-run.js';
import { GPU_DTYPES, GpuTensor } from './gpu-tensor.js';

export type Slot = Value | GpuTensor;

/** One run's values: host and GPU slots, uploads and downloads made once, everything freed at the end. */
export class RunState {
  private readonly env = new Map<string, Slot>();
  private readonly uploads = new Map<Tensor, GpuTensor>();
  private readonly downloads = new Map<GpuTensor, Tensor>();

  private readonly ctx: GpuContext;

  constructor(
    readonly run: GpuRun,
    private readonly graph: Graph,
    private readonly constants: ReadonlySet<string>,
    feeds: ReadonlyMap<string, Slot>,
  ) {
    this.ctx = run.ctx;
    for (const [k, v] of feeds) this.env.set(k, v);
  }

  lookup(name: string): Slot | undefined {
    return this.env.get(name) ?? this.graph.initializers.get(name);
  }

  set(name: string, v: Slot | undefined): void {
    if (name === '' || v === undefined) return;
    this.drop(name);
    this.env.set(name, v);
  }

  drop(name: string): void {
    const v = this.env.get(name);
    this.env.delete(name);
    if (v instanceof GpuTensor) v.storage.release();
  }

  toGpu(v: Tensor | GpuTensor, name: string): GpuTensor {
    if (v instanceof GpuTensor) return v;
    if (this.constants.has(name)) return this.ctx.constant(v);
    let g = this.uploads.get(v);
    if (!g) this.uploads.set(v, (g = this.run.upload(v)));
    return g;
  }

  async toHost(v: Slot): Promise<Value> {
    if (!(v instanceof GpuTensor)) return v;
    let t = this.downloads.get(v);
    if (!t) {
      [t] = await this.run.download([v]);
      this.downloads.set(v, t!);
    }
    return t!;
  }

  /**
   * The wanted values on the host, GPU ones read back in one submission; those named in `onGpu` as GPU tensors
   * the caller owns instead, with no readback.
   */
  async collect(allWanted: readonly string[], onGpu: ReadonlySet<string> = new Set()): Promise<Map<string, Slot>> {
    const kept = new Map<string, Slot>();
    for (const name of allWanted.filter((n) => onGpu.has(n))) kept.set(name, this.handOver(this.produced(name), name));
    const wanted = allWanted.filter((n) => !onGpu.has(n));
    const slots = wanted.map((name) => this.produced(name));
    const toRead = [...new Set(slots.filter((v): v is GpuTensor => v instanceof GpuTensor && !this.downloads.has(v)))];
    const read = await this.run.download(toRead, true);
    toRead.forEach((g, i) => this.downloads.set(g, read[i]!));
    const host = new Map<string, Slot>(wanted.map((name, i) => [name, slots[i] instanceof GpuTensor ? this.downloads.get(slots[i] as GpuTensor)! : (slots[i] as Value)]));
    return new Map(allWanted.map((name) => [name, kept.get(name) ?? host.get(name)!]));
  }

  private produced(name: string): Slot {
    const v = this.lookup(name);
    if (v === undefined) throw new NeuropodError('INFERENCE_FAILED', `the graph produced no value for output '${name}'`);
    return v;
  }

  /**
   * A GPU tensor for the caller that nothing else holds: the run's own pooled buffer when only this value has
   * it, else a GPU copy (a constant, a caller's input, storage two outputs share), or an upload of a host value.
   */
  private handOver(v: Slot, name: string): GpuTensor {
    if (v instanceof GpuTensor) {
      if (v.storage.pooled && !v.storage.shared) return v.view(v.shape);
      const copy = this.run.output(v.dtype, v.shape);
      this.run.copy(v, copy);
      return copy;
    }
    if (!(v instanceof Tensor) || !uploadable(v.dtype)) {
      const what = v instanceof Tensor ? `a ${v.dtype} tensor` : `a ${v.constructor.name}`;
      throw new NeuropodError('USAGE', `infer(): output '${name}' is ${what}, which cannot stay on the GPU (outputsOn: 'gpu' takes ${[...GPU_DTYPES].join(', ')}); ask for it without outputsOn`);
    }
    const upload = this.run.upload(v);
    const copy = this.run.output(v.dtype, v.shape);
    this.run.copy(upload, copy);
    upload.storage.release();
    return copy;
  }

  end(): void {
    for (const name of [...this.env.keys()]) this.drop(name);
    for (const g of this.uploads.values()) g.storage.release();
    this.run.end();
  }
}
