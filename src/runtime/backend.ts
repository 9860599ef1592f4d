import type { Graph, Model } from '../graph/ir.js';
import type { Value } from '../graph/value.js';
import type { OpTiming } from './executor.js';
import type { GpuBufferTensor } from '../backends/webgpu/gpu-buffer-tensor.js';

/** What a loaded model runs on. */
export type BackendName = 'cpu' | 'wasm' | 'webgpu';

/** Options every backend receives when it prepares a model. */
export interface BackendOptions {
  /** WASM threads wanted (1 when the page is not cross-origin isolated). */
  threads?: number;
  /** Values runs may ask for besides the graph outputs (a variable's next value): planning keeps what they need. */
  keep?: readonly string[];
}

/**
 * A model readied on one backend: kernels chosen, weights uploaded or packed once. `run` computes the wanted
 * values from the feeds; an op without a kernel on this backend runs on the CPU reference, and `profile` says
 * where each op ran.
 */
export interface PreparedModel {
  readonly backend: BackendName;
  /**
   * The graph `run` executes, where planning made a new one (constants folded): an output can be one of its
   * constants, so a Worker must copy, not transfer, such an output.
   */
  readonly graph?: Graph;
  /** webgpu: milliseconds the last warm-up (at prepare, or after a device loss) spent creating compute pipelines. */
  readonly pipelineMs?: number;
  run(feeds: ReadonlyMap<string, Value>, wanted: readonly string[], profile?: OpTiming[]): Promise<Map<string, Value>>;
  /**
   * webgpu only: `run` with feeds that may be GPU tensors, and with `outputsOnGpu` every wanted value (the
   * caller's, not a variable's next value) left on the GPU as a GpuBufferTensor the caller owns (docs/api.md).
   */
  runGpu?(feeds: ReadonlyMap<string, Value | GpuBufferTensor>, wanted: readonly string[], profile: OpTiming[] | undefined, gpuOutputs: readonly string[]): Promise<Map<string, Value | GpuBufferTensor>>;
  dispose(): void;
}

/**
 * One backend as the runtime sees it. `unavailable()` says why it cannot start here (no WebGPU adapter, no WASM
 * SIMD), or undefined when it can; `prepare` throws OP_UNSUPPORTED naming the op and node for a node that no
 * kernel covers, the reference included.
 */
export interface Backend {
  readonly name: BackendName;
  /** `forAuto`: asked for 'auto', which also passes over a backend that starts but would be slower than the next one. */
  unavailable(forAuto?: boolean): Promise<string | undefined>;
  prepare(model: Model, options: BackendOptions): Promise<PreparedModel>;
}
