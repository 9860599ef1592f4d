import { NeuropodError, runtimeError } from '../api/errors.js';
import { load } from '../api/model.js';
import { openModel } from '../api/open-model.js';
import type { BackendChoice } from '../api/options.js';
import type { StateBinding } from '../formats/importer.js';
import type { TensorSpec } from '../spec/types.js';
import { validateAgainstSpec } from '../spec/validate.js';
import { Tensor } from '../tensor/tensor.js';

/** What the reference server runs a package on. */
export const SERVE_ENGINES = ['onnxruntime', 'neuropod-web'] as const;
export type ServeEngineName = (typeof SERVE_ENGINES)[number];

export interface ServedModel {
  engine: ServeEngineName;
  name: string;
  platform: string;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  /** Runs validated inputs; `outputs` empty means every output. */
  infer(inputs: ReadonlyMap<string, Tensor>, outputs: readonly string[]): Promise<Record<string, Tensor>>;
  close(): Promise<void>;
}

export interface EngineOptions {
  engine?: ServeEngineName;
  /** The neuropod-web engine's backend (default 'cpu', the reference kernels). */
  backend?: BackendChoice;
}

export async function openServedModel(source: string, options: EngineOptions = {}): Promise<ServedModel> {
  const engine = options.engine ?? 'onnxruntime';
  if (engine === 'neuropod-web') return openOnOurEngine(source, options.backend ?? 'cpu');
  if (engine === 'onnxruntime') return openOnOnnxruntime(source);
  throw new NeuropodError('USAGE', `--engine must be one of ${SERVE_ENGINES.join(', ')}; got '${String(engine)}'`);
}

async function openOnOurEngine(source: string, backend: BackendChoice): Promise<ServedModel> {
  const model = await load(source, { backend, worker: false });
  return {
    engine: 'neuropod-web', name: model.name, platform: model.platform, inputs: model.inputs, outputs: model.outputs,
    infer: (inputs, outputs) => model.infer(inputs, { outputs }),
    close: () => model.dispose(),
  };
}

type Ort = typeof import('onnxruntime-node');

async function importOnnxruntime(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (e) {
    throw new NeuropodError('BACKEND_UNAVAILABLE', `the onnxruntime engine needs onnxruntime-node (npm install onnxruntime-node), or serve with --engine neuropod-web: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The package's graph, as imported, written out as ONNX (encodeOnnxModel) and run by onnxruntime-node: an
 * independent runtime on the same graph, checked against the same spec. Variables are fed and kept as our
 * runtime keeps them (the graph takes their value as an input and gives the new value as an output).
 */
async function openOnOnnxruntime(source: string): Promise<ServedModel> {
  const ort = await importOnnxruntime();
  const opened = await openModel(source);
  if (!opened.imported) throw opened.unavailable ?? new NeuropodError('PLATFORM_UNSUPPORTED', `${source} cannot be imported`);
  const { encodeOnnxModel } = await import('../formats/onnx/encode.js');
  // Severity 3 (errors only): the exporter lists initializers among graph inputs, which onnxruntime warns about once each.
  const session = await ort.InferenceSession.create(encodeOnnxModel(opened.imported.model), { logSeverityLevel: 3 });
  const graph = opened.imported.model.graph;
  const takes = new Set(graph.inputs.filter((i) => !graph.initializers.has(i.name)).map((i) => i.name));
  const produces = graph.outputs.map((o) => o.name);
  const state = new Map<StateBinding, Tensor>((opened.imported.state ?? []).map((b) => [b, b.initial]));
  const infer = async (inputs: ReadonlyMap<string, Tensor>, outputs: readonly string[]): Promise<Record<string, Tensor>> => {
    validateAgainstSpec(inputs, opened.inputs, 'input');
    const wanted = outputs.length ? outputs : produces.filter((n) => ![...state.keys()].some((b) => b.output === n));
    for (const name of wanted) if (!produces.includes(name)) throw runtimeError('OUTPUT_UNKNOWN', `Tried to request a tensor that does not exist: ${name}`);
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const [name, t] of inputs) if (takes.has(name)) feeds[name] = toOrt(ort, t);
    for (const [binding, t] of state) feeds[binding.input] = toOrt(ort, t);
    const missing = [...takes].filter((n) => !(n in feeds));
    if (missing.length) throw new NeuropodError('USAGE', `${source} needs input(s) ${missing.map((n) => `'${n}'`).join(', ')}`);
    const fetches = [...new Set([...wanted, ...[...state.keys()].map((b) => b.output)])];
    let result;
    try {
      result = await session.run(feeds, fetches);
    } catch (e) {
      throw new NeuropodError('INFERENCE_FAILED', `onnxruntime-node could not run ${source}: ${(e as Error).message}`, { cause: e });
    }
    for (const binding of state.keys()) state.set(binding, fromOrt(result[binding.output]!));
    const produced = new Map(wanted.map((n) => [n, fromOrt(result[n]!)]));
    validateAgainstSpec(produced, opened.outputs, 'output');
    return Object.fromEntries(produced);
  };
  return { engine: 'onnxruntime', name: opened.name, platform: opened.platform, inputs: opened.inputs, outputs: opened.outputs, infer, close: async () => session.release() };
}

function toOrt(ort: Ort, t: Tensor): InstanceType<Ort['Tensor']> {
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.shape]);
}

function fromOrt(t: { type: string; data: unknown; dims: readonly number[] }): Tensor {
  const dtype = t.type as Tensor['dtype'];
  return new Tensor(dtype, [...t.dims], t.data as Tensor['data']);
}
