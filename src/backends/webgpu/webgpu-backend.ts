import { isNeuropodError, NeuropodError } from '../../api/errors.js';
import type { Graph, Model } from '../../graph/ir.js';
import { checkAssumedInputs, planGraph, type PlannedModel } from '../../graph/passes/plan-graph.js';
import type { Value } from '../../graph/value.js';
import type { Backend, BackendOptions, PreparedModel } from '../../runtime/backend.js';
import { GraphExecutor, type OpTiming } from '../../runtime/executor.js';
import { referenceKernels } from '../../../kernels/index.js';
import { webgpuKernels } from '../../../kernels/webgpu-kernels.js';
import { findGpu, softwareAdapter } from './gpu-source.js';
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
    private readonly planned: PlannedModel,
  ) {}

  /** The planned graph (constants folded): what runs, and whose constants an output may be. */
  get graph(): Graph {
    return this.planned.model.graph;
  }

  static async prepare(source: Model, options: BackendOptions = {}): Promise<WebGpuModel> {
    new GraphExecutor(source, referenceKernels).checkSupported();
    const planned = planGraph(source, { keep: options.keep });
    const model = planned.model;
    const prepared = new WebGpuModel(new GpuGraphExecutor(model, webgpuKernels, referenceKernels), model.graph.outputs.map((o) => o.name), planned);
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
    checkAssumedInputs(this.planned, feeds);
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
  async unavailable(forAuto) {
    const found = await findGpu();
    if (typeof found === 'string') return found;
    const software = forAuto ? softwareAdapter(found.adapter) : undefined;
    return software && `the only WebGPU adapter is ${software}, a CPU emulation of a GPU: the wasm backend is faster there (ask for 'webgpu' to use it anyway)`;
  },
  prepare: (model, options) => WebGpuModel.prepare(model, options),
};
