import { isNeuropodError, NeuropodError } from '../../api/errors.js';
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
 * A model on WebGPU. The shared device is opened at prepare (pipelines compiled, weights uploaded); a lost device
 * fails the call in flight with DEVICE_LOST, and the next call opens a new one and warms it again.
 */
export class WebGpuModel implements PreparedModel {
  readonly backend = 'webgpu' as const;
  /** The context this model's pipelines and constants are on; a new one (after a loss) is warmed again. */
  private warmed: GpuContext | undefined;
  private disposed = false;

  private constructor(
    readonly executor: GpuGraphExecutor,
    private readonly outputs: readonly string[],
  ) {}

  static async prepare(model: Model): Promise<WebGpuModel> {
    new GraphExecutor(model, referenceKernels).checkSupported();
    const prepared = new WebGpuModel(new GpuGraphExecutor(model, webgpuKernels, referenceKernels), model.graph.outputs.map((o) => o.name));
    await prepared.context();
    return prepared;
  }

  /** The live context, warmed for this model (pipelines compiled, weights uploaded). */
  async context(): Promise<GpuContext> {
    if (this.disposed) throw new NeuropodError('DISPOSED', `webgpu: this model was disposed`);
    const ctx = await GpuContext.shared();
    if (this.warmed !== ctx) {
      await this.executor.warm(ctx, this.outputs);
      this.warmed = ctx;
    }
    return ctx;
  }

  /**
   * Runs on the GPU. When a lost device cannot be replaced (no adapter any more), the call runs on the reference
   * kernels instead of failing, and the profile says 'cpu' for every op; a later call tries the GPU again.
   */
  async run(feeds: ReadonlyMap<string, Value>, wanted: readonly string[], profile?: OpTiming[]): Promise<Map<string, Value>> {
    let ctx: GpuContext;
    try {
      ctx = await this.context();
    } catch (e) {
      if (!isNeuropodError(e) || e.code !== 'BACKEND_UNAVAILABLE' || this.warmed === undefined) throw e;
      return this.executor.referenceRun(feeds, wanted, profile);
    }
    return ctx.exclusive(() => this.executor.run(ctx, feeds, wanted, profile));
  }

  dispose(): void {
    this.disposed = true;
    this.warmed?.dropConstants(this.executor.constantTensors());
    this.warmed = undefined;
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
