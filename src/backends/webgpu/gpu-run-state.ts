import { NeuropodError } from '../../api/errors.js';
import type { Graph } from '../../graph/ir.js';
import type { Value } from '../../graph/value.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { GpuContext } from './gpu-context.js';
import type { GpuRun } from './gpu-run.js';
import { GpuTensor } from './gpu-tensor.js';

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
    feeds: ReadonlyMap<string, Value>,
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

  /** The wanted values on the host, GPU ones read back in one submission. */
  async collect(wanted: readonly string[]): Promise<Map<string, Value>> {
    const slots = wanted.map((name) => {
      const v = this.lookup(name);
      if (v === undefined) throw new NeuropodError('INFERENCE_FAILED', `the graph produced no value for output '${name}'`);
      return v;
    });
    const onGpu = slots.filter((v): v is GpuTensor => v instanceof GpuTensor && !this.downloads.has(v));
    const read = await this.run.download([...new Set(onGpu)], true);
    [...new Set(onGpu)].forEach((g, i) => this.downloads.set(g, read[i]!));
    return new Map(wanted.map((name, i) => [name, slots[i] instanceof GpuTensor ? this.downloads.get(slots[i] as GpuTensor)! : (slots[i] as Value)]));
  }

  end(): void {
    for (const name of [...this.env.keys()]) this.drop(name);
    for (const g of this.uploads.values()) g.storage.release();
    this.run.end();
  }
}
