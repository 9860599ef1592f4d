import type { StateBinding } from '../formats/importer.js';
import { constantTensors } from '../graph/constant-tensors.js';
import type { Graph } from '../graph/ir.js';
import type { Value } from '../graph/value.js';
import type { Backend, BackendName, BackendOptions, PreparedModel } from '../runtime/backend.js';
import { topologicalOrder, type OpTiming } from '../runtime/executor.js';
import { Tensor } from '../tensor/tensor.js';
import type { ImportedModel } from '../formats/importer.js';
import { NeuropodError } from './errors.js';
import { isGpuBufferTensor, type GpuBufferTensor } from '../backends/webgpu/gpu-buffer-tensor.js';
import type { InputTensor } from './infer-inputs.js';

/**
 * One imported model prepared on a backend. Unsupported operators fail in `Session.open`, at load. Variables
 * (StateBinding) keep their value from one run to the next.
 */
export class Session {
  private readonly state = new Map<StateBinding, Tensor>();
  private readonly graphInputs: Set<string>;
  private constantBuffers?: Set<ArrayBufferLike>;
  readonly outputNames: readonly string[];

  static async open(imported: ImportedModel, source: string, backend: Backend, options: BackendOptions): Promise<Session> {
    const keep = (imported.state ?? []).map((b) => b.output);
    return new Session(imported, source, await backend.prepare(imported.model, { ...options, keep }));
  }

  private constructor(
    private readonly imported: ImportedModel,
    private readonly source: string,
    private readonly prepared: PreparedModel,
  ) {
    for (const binding of imported.state ?? []) this.state.set(binding, binding.initial);
    const graph = imported.model.graph;
    this.graphInputs = new Set(graph.inputs.map((i) => i.name));
    // A variable's update output is the runtime's, not the caller's: it is neither returned nor requestable.
    const stateOutputs = new Set((imported.state ?? []).map((b) => b.output));
    this.outputNames = graph.outputs.map((o) => o.name).filter((n) => !stateOutputs.has(n));
  }

  get backend(): BackendName {
    return this.prepared.backend;
  }

  get pipelineMs(): number | undefined {
    return this.prepared.pipelineMs;
  }

  get graph(): Graph {
    return this.imported.model.graph;
  }

  /** Whether the graph takes `name` as an input (a spec may list inputs the model never takes). */
  takes(name: string): boolean {
    return this.graphInputs.has(name);
  }

  /**
   * Runs the wanted outputs. GPU tensors among the inputs, or `outputsOn: 'gpu'`, need a backend that keeps
   * values on the GPU (webgpu); the outputs are then GpuBufferTensors. Variables stay on the host.
   */
  run(inputs: ReadonlyMap<string, Tensor>, wanted: readonly string[], timings: OpTiming[]): Promise<Map<string, Tensor>>;
  run(inputs: ReadonlyMap<string, InputTensor>, wanted: readonly string[], timings: OpTiming[], outputsOn: 'cpu' | 'gpu'): Promise<Map<string, InputTensor>>;
  async run(inputs: ReadonlyMap<string, InputTensor>, wanted: readonly string[], timings: OpTiming[], outputsOn: 'cpu' | 'gpu' = 'cpu'): Promise<Map<string, InputTensor>> {
    const feeds = new Map<string, Value | GpuBufferTensor>();
    for (const [name, t] of inputs) if (this.takes(name)) feeds.set(name, t);
    for (const [binding, value] of this.state) feeds.set(binding.input, value);
    const stateOutputs = [...this.state.keys()].map((b) => b.output).filter((n) => !wanted.includes(n));
    this.checkFed(feeds, wanted);
    const all = [...wanted, ...stateOutputs];
    const gpuFed = [...inputs.values()].some(isGpuBufferTensor);
    let values: Map<string, Value | GpuBufferTensor>;
    if (gpuFed || outputsOn === 'gpu') {
      if (!this.prepared.runGpu) {
        const what = gpuFed ? `GPU tensor input '${[...inputs].find(([, t]) => isGpuBufferTensor(t))![0]}'` : `outputsOn: 'gpu'`;
        throw new NeuropodError('USAGE', `infer(): ${what} needs a model on the webgpu backend; ${this.source} runs on '${this.prepared.backend}' (load it with backend: 'webgpu', or pass host tensors)`);
      }
      values = await this.prepared.runGpu(feeds, all, timings, outputsOn === 'gpu' ? wanted : []);
    } else {
      values = await this.prepared.run(feeds as Map<string, Value>, all, timings);
    }
    for (const binding of this.state.keys()) this.state.set(binding, this.tensorOf(values.get(binding.output), binding.output) as Tensor);
    return new Map(wanted.map((name) => [name, this.tensorOf(values.get(name), name)]));
  }

  /** An input the wanted outputs depend on, with no value and no initializer, is the caller's omission: say so. */
  private checkFed(feeds: ReadonlyMap<string, unknown>, wanted: readonly string[]): void {
    const graph = this.graph;
    const used = new Set(topologicalOrder(graph, wanted).flatMap((n) => n.inputs));
    for (const name of wanted) used.add(name);
    const missing = graph.inputs.map((i) => i.name).filter((n) => used.has(n) && !feeds.has(n) && !graph.initializers.has(n));
    if (missing.length) {
      throw new NeuropodError('USAGE', `infer(): ${this.source} needs input(s) ${missing.map((n) => `'${n}'`).join(', ')} to compute ${wanted.map((n) => `'${n}'`).join(', ')}`);
    }
  }

  /**
   * Whether `buffer` backs a tensor this session keeps between runs (a weight, a constant, a variable). An output
   * can share such storage (Identity of a weight), so a Worker copies those outputs instead of transferring them.
   */
  retains(buffer: ArrayBufferLike): boolean {
    this.constantBuffers ??= new Set([this.graph, this.prepared.graph].flatMap((g) => (g ? constantTensors(g) : [])).flatMap(bufferOf));
    if (this.constantBuffers.has(buffer)) return true;
    return [...this.state.values()].some((t) => bufferOf(t)[0] === buffer);
  }

  private tensorOf(v: Value | GpuBufferTensor | undefined, name: string): InputTensor {
    if (v instanceof Tensor || isGpuBufferTensor(v)) return v;
    throw new NeuropodError('INFERENCE_FAILED', `output '${name}' of ${this.source} is ${v === undefined ? 'missing' : `a ${v.constructor.name}, not a tensor`}`);
  }

  dispose(): void {
    this.prepared.dispose();
    this.state.clear();
  }
}

function bufferOf(t: Tensor): ArrayBufferLike[] {
  return Array.isArray(t.data) ? [] : [t.data.buffer];
}
