import { NeuropodError } from '../../api/errors.js';
import type { Model } from '../../graph/ir.js';
import type { Value } from '../../graph/value.js';
import type { Backend, PreparedModel } from '../../runtime/backend.js';
import { GraphExecutor, type OpTiming } from '../../runtime/executor.js';
import { referenceKernels } from '../../../kernels/index.js';
import { webgpuKernels } from '../../../kernels/webgpu-kernels.js';
import { findGpu } from './gpu-source.js';
import { GpuContext } from './gpu-context.js';
import { GpuGraphExecutor } from './gpu-executor.js';

/**
 * A model on WebGPU. The device is opened at prepare (pipelines compiled, weights uploaded); a lost device fails
 * the call in flight with DEVICE_LOST, and the next call opens a new one and warms it again.
 */
export class WebGpuModel implements PreparedModel {
  readonly backend = 'webgpu' as const;
  private ctx: GpuContext | undefined;
  private opening: Promise<GpuContext> | undefined;
  /** Runs one at a time: a run's uniforms and buffers belong to it until its readback. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    private readonly executor: GpuGraphExecutor,
    private readonly outputs: readonly string[],
  ) {}

  static async prepare(model: Model): Promise<WebGpuModel> {
    new GraphExecutor(model, referenceKernels).checkSupported();
    const prepared = new WebGpuModel(new GpuGraphExecutor(model, webgpuKernels, referenceKernels), model.graph.outputs.map((o) => o.name));
    await prepared.context();
    return prepared;
  }

  /** The live device's context (for tests and the bench: pipeline counts, compile time, the device itself). */
  async context(): Promise<GpuContext> {
    if (this.disposed) throw new NeuropodError('DISPOSED', `webgpu: this model was disposed`);
    if (this.ctx && !this.ctx.gpu.isLost()) return this.ctx;
    this.ctx = undefined;
    this.opening ??= (async () => {
      const ctx = await GpuContext.open();
      await this.executor.warm(ctx, this.outputs);
      this.ctx = ctx;
      return ctx;
    })().finally(() => (this.opening = undefined));
    return this.opening;
  }

  run(feeds: ReadonlyMap<string, Value>, wanted: readonly string[], profile?: OpTiming[]): Promise<Map<string, Value>> {
    const job = this.queue.then(async () => this.executor.run(await this.context(), feeds, wanted, profile));
    this.queue = job.catch(() => {});
    return job;
  }

  dispose(): void {
    this.disposed = true;
    this.ctx?.destroy();
    this.ctx = undefined;
  }
}

export const webgpuBackend: Backend = {
  name: 'webgpu',
  async unavailable() {
    const found = await findGpu();
    return typeof found === 'string' ? found : undefined;
  },
  prepare: (model) => WebGpuModel.prepare(model),
};
