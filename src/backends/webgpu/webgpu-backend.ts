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
import { GpuBufferTensor } from './gpu-buffer-tensor.js';
import type { Slot } from './gpu-run-state.js';
import { GpuTensor } from './gpu-tensor.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * A model on WebGPU. The shared device is opened at prepare (pipelines compiled, weights uploaded); a lost device
 * fails the call in flight with DEVICE_LOST, and the next call opens a new one and warms it again. When none can
 * be opened, calls run on the wasm backend (the reference kernels where wasm cannot start) until one can.
 */
export class WebGpuModel implements PreparedModel {
  readonly backend = 'webgpu' as const;
  /** The context this model's pipelines and constants are on; a new one (after a loss) is warmed again. */
  private warmed: GpuContext | undefined;
  private disposed = false;
  /** The model prepared on wasm, made the first time no GPU device can be had, kept for later losses. */
  private fallback: Promise<PreparedModel | undefined> | undefined;
  /** What calls run on while no device can be had ('wasm' or 'cpu'); undefined while on the GPU. */
  private fallenBackTo: string | undefined;
  /** Milliseconds the last warm-up spent creating pipelines (at prepare: the load's figure). */
  pipelineMs = 0;

  private constructor(
    readonly executor: GpuGraphExecutor,
    private readonly outputs: readonly string[],
    private readonly planned: PlannedModel,
    private readonly source: Model,
    private readonly options: BackendOptions,
  ) {}

  /** The planned graph (constants folded): what runs, and whose constants an output may be. */
  get graph(): Graph {
    return this.planned.model.graph;
  }

  static async prepare(source: Model, options: BackendOptions = {}): Promise<WebGpuModel> {
    new GraphExecutor(source, referenceKernels).checkSupported();
    const planned = planGraph(source, { keep: options.keep });
    const model = planned.model;
    const prepared = new WebGpuModel(new GpuGraphExecutor(model, webgpuKernels, referenceKernels), model.graph.outputs.map((o) => o.name), planned, source, options);
    await prepared.context();
    return prepared;
  }

  /** The live context, warmed for this model (pipelines compiled, weights uploaded). */
  async context(): Promise<GpuContext> {
    if (this.disposed) throw new NeuropodError('DISPOSED', `webgpu: this model was disposed`);
    const ctx = await GpuContext.shared();
    if (this.warmed !== ctx) {
      const before = ctx.pipelines.compileMs;
      await this.executor.warm(ctx, this.outputs);
      this.pipelineMs = ctx.pipelines.compileMs - before;
      this.warmed = ctx;
    }
    return ctx;
  }

  /**
   * Runs on the GPU. When a lost device cannot be replaced (no adapter any more), the call runs on the wasm
   * backend instead of failing (the reference kernels where wasm cannot start): a console line says so once,
   * and the profile says 'wasm' / 'cpu' for every op; every later call tries the GPU again first.
   */
  async run(feeds: ReadonlyMap<string, Value>, wanted: readonly string[], profile?: OpTiming[]): Promise<Map<string, Value>> {
    checkAssumedInputs(this.planned, feeds);
    const ctx = await this.liveContext();
    if (ctx instanceof NeuropodError) return this.runWithoutGpu(ctx, feeds, wanted, profile);
    return ctx.exclusive(() => this.executor.run(ctx, feeds, wanted, profile)) as Promise<Map<string, Value>>;
  }

  /**
   * `run` with GPU tensors among the feeds, and `gpuOutputs` left on the GPU for the caller. Both need a device:
   * without one this is BACKEND_UNAVAILABLE (the wasm fallback cannot read or make GPU tensors).
   */
  async runGpu(feeds: ReadonlyMap<string, Value | GpuBufferTensor>, wanted: readonly string[], profile: OpTiming[] | undefined, gpuOutputs: readonly string[]): Promise<Map<string, Value | GpuBufferTensor>> {
    checkAssumedInputs(this.planned, new Map([...feeds].map(([name, v]) => [name, v instanceof GpuBufferTensor ? standIn(v) : v])));
    // Held before the first await: a GPU input disposed once infer() was called stays the run's until it ends.
    const inner = new Map<string, Slot>();
    const release = (): void => {
      for (const v of inner.values()) if (v instanceof GpuTensor) v.storage.release();
    };
    try {
      for (const [name, v] of feeds) inner.set(name, v instanceof GpuBufferTensor ? v.hold(name) : v);
    } catch (e) {
      release();
      throw e;
    }
    let ctx: GpuContext | NeuropodError;
    try {
      ctx = await this.liveContext();
      if (ctx instanceof NeuropodError) {
        throw new NeuropodError('BACKEND_UNAVAILABLE', `webgpu: GPU tensors need a GPU device, and none can be opened now (${ctx.message}); pass host tensors and leave out outputsOn: 'gpu' to run on the fallback`, { cause: ctx });
      }
      for (const [name, v] of feeds) if (v instanceof GpuBufferTensor) checkDevice(ctx, name, v);
    } catch (e) {
      release();
      throw e;
    }
    const live = ctx;
    return live.exclusive(async () => {
      // From here the run owns the holds: it lets go of every feed when it ends, failed or not.
      const produced = await this.executor.run(live, inner, wanted, profile, new Set(gpuOutputs));
      const out = new Map<string, Value | GpuBufferTensor>();
      for (const [name, v] of produced) out.set(name, v instanceof GpuTensor ? new GpuBufferTensor(v.dtype, v.shape, live.device, v.storage, true) : v);
      return out;
    });
  }

  /** The warmed context, or why none can be had (a lost device that cannot be replaced). */
  private async liveContext(): Promise<GpuContext | NeuropodError> {
    try {
      const ctx = await this.context();
      if (this.fallenBackTo) console.info(`[neuropod-web] webgpu: a GPU device could be opened again; calls run on WebGPU again`);
      this.fallenBackTo = undefined;
      return ctx;
    } catch (e) {
      if (!isNeuropodError(e) || e.code !== 'BACKEND_UNAVAILABLE' || this.warmed === undefined) throw e;
      return e;
    }
  }

  private async runWithoutGpu(why: NeuropodError, feeds: ReadonlyMap<string, Value>, wanted: readonly string[], profile?: OpTiming[]): Promise<Map<string, Value>> {
    this.fallback ??= wasmFallback(this.source, this.options);
    const wasm = await this.fallback;
    const on = wasm ? 'wasm' : 'cpu';
    if (this.fallenBackTo !== on) {
      const where = wasm ? 'the wasm backend' : 'the reference kernels (the wasm backend cannot start here either)';
      console.warn(`[neuropod-web] webgpu: the GPU device was lost and no new one can be opened (${why.message}); calls run on ${where} until one can, and profile() says where each op ran`);
      this.fallenBackTo = on;
    }
    return wasm ? wasm.run(feeds, wanted, profile) : this.executor.referenceRun(feeds, wanted, profile);
  }

  dispose(): void {
    this.disposed = true;
    this.warmed?.dropConstants(this.executor.constantTensors());
    this.warmed = undefined;
    void this.fallback?.then((m) => m?.dispose());
  }
}

/** The model on the wasm backend, or undefined where wasm cannot start or prepare it (then the reference runs it). */
async function wasmFallback(source: Model, options: BackendOptions): Promise<PreparedModel | undefined> {
  try {
    const { wasmBackend } = await import('../wasm/wasm-backend.js');
    if (await wasmBackend.unavailable()) return undefined;
    return await wasmBackend.prepare(source, options);
  } catch {
    return undefined;
  }
}

/** A caller's GPU tensor must be on the device the model runs on. */
function checkDevice(ctx: GpuContext, name: string, t: GpuBufferTensor): void {
  if (t.device !== ctx.device) {
    throw new NeuropodError('USAGE', `infer(): input '${name}' is a GPU tensor on another GPUDevice than the one this model runs on (make its buffer on the device gpuDevice() gives; after a device loss that is a new device)`);
  }
}

/** A data-less host tensor of a GPU tensor's dtype and shape, for the shape checks. */
function standIn(t: GpuBufferTensor): Tensor {
  return new Tensor(t.dtype, t.shape, new Float32Array(0));
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
