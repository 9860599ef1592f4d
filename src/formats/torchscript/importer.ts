import { NeuropodError } from '../../api/errors.js';
import type { Model, Node, ValueInfo } from '../../graph/ir.js';
import type { NeuropodConfig, TensorSpec } from '../../spec/types.js';
import type { Importer } from '../importer.js';
import { readTorchScriptArchive } from './archive.js';
import { Sym } from './graph-builder.js';
import { Interpreter } from './interpreter.js';
import { asSym, itemsOf } from './tensor-values.js';
import { PickleObject, PickleTuple, Tensor, type PyValue } from './values.js';

/** Operator sets the lowering emits: StringConcat and Gelu need ai.onnx 20; vocab lookups use ai.onnx.ml LabelEncoder. */
const OPSETS: [string, number][] = [['', 20], ['ai.onnx.ml', 3]];

export const importTorchScriptPackage: Importer = async (files, config) => {
  const path = '0/data/model.pt';
  const bytes = await files.read(path);
  return { model: lowerTorchScript(bytes, `${files.source}/${path}`, config) };
};

/** A `torch.jit.save` archive's forward() as an IR model whose inputs and outputs carry the spec's names. */
export function lowerTorchScript(bytes: Uint8Array, source: string, config: Pick<NeuropodConfig, 'name' | 'inputSpec' | 'outputSpec'>): Model {
  const archive = readTorchScriptArchive(bytes, source);
  const interpreter = new Interpreter(archive);
  const forward = interpreter.method(archive.root, 'forward');
  const inputs = new Map(config.inputSpec.map((spec) => [spec.name, new Sym(spec.name, spec.dtype, spec.dtype === 'string' ? 1 : spec.shape.length)]));
  const result = interpreter.call(archive.root, forward, forwardArguments(forward.params.slice(1), inputs, source));
  const builder = interpreter.builder;
  const outputs: ValueInfo[] = [];
  for (const [name, value] of namedOutputs(result, config.outputSpec, source)) {
    const sym = asSym(interpreter, value);
    builder.node('Identity', [sym], 0);
    builder.nodes[builder.nodes.length - 1]!.outputs = [name];
    outputs.push({ name, type: { kind: 'tensor', dtype: sym.dtype } });
  }
  const used = new Set(allNodes(builder.nodes).flatMap((n) => n.inputs));
  const clash = outputs.find((o) => used.has(o.name) && config.inputSpec.some((s) => s.name === o.name));
  if (clash) throw new NeuropodError('OP_UNSUPPORTED', `${source}: output '${clash.name}' has the name of an input the model reads; one graph cannot hold both values under one name`);
  // Traces that were redone (a loop body traced again once its carried types settle) leave constants behind.
  for (const name of [...builder.initializers.keys()]) if (!used.has(name)) builder.initializers.delete(name);
  const graphInputs = config.inputSpec.filter((s) => used.has(s.name)).map((s) => ({
    name: s.name,
    type: { kind: 'tensor' as const, dtype: s.dtype, shape: s.dtype === 'string' ? [s.shape[0] ?? null] : [...s.shape] },
  }));
  const opsets = new Map(OPSETS.filter(([domain]) => domain === '' || allNodes(builder.nodes).some((n) => n.domain === domain)));
  return { graph: builder.graph(config.name, graphInputs, outputs), opsets, metadata: { source: 'torchscript', layout: archive.layout } };
}

/** Nodes with those of their If branches and Loop bodies, which read outer values by name. */
function allNodes(nodes: Node[]): Node[] {
  return nodes.flatMap((n) => [n, ...[...n.attributes.values()].flatMap((a) => (a.type === 'graph' ? allNodes(a.value.nodes) : []))]);
}

/**
 * Neuropod's TorchScript input rule (NEUROPOD-FORMAT.md section 6): a forward taking one Dict receives every
 * input in it; otherwise inputs go to the parameters of the same name.
 */
function forwardArguments(params: { name: string; annotation?: { kind: string } }[], inputs: Map<string, Sym>, source: string): PyValue[] {
  const annotation = params[0]?.annotation;
  const isDict = params.length === 1 && annotation?.kind === 'subscript' && JSON.stringify(annotation).includes('"id":"Dict"');
  if (isDict) return [new Map<PyValue, PyValue>(inputs)];
  const unnamed = params.filter((p) => !inputs.has(p.name));
  if (unnamed.length === 0) return params.map((p) => inputs.get(p.name)!);
  // Extension: traced models keep the Python parameter names (x), which packagers often rename in the spec
  // (image); with as many spec inputs as parameters, they are placed in spec order. Neuropod itself rejects this.
  if (params.length === inputs.size) return [...inputs.values()];
  throw new NeuropodError('MODEL_INVALID', `${source}: forward() takes '${unnamed[0]!.name}', which the input spec does not name`);
}

/**
 * Neuropod's output rule: a dict; a namedtuple (fields are output names); a tuple of dicts, merged; or one
 * tensor / list when the output spec has exactly one entry.
 */
function namedOutputs(result: PyValue, spec: TensorSpec[], source: string): [string, PyValue][] {
  if (result instanceof Map) return [...result].map(([k, v]) => [String(k), v]);
  if (result instanceof PickleObject && result.state instanceof Map) return [...result.state].map(([k, v]) => [String(k), v]);
  if (result instanceof PickleTuple && result.items.length > 0 && result.items.every((i) => i instanceof Map)) {
    const merged = new Map<string, PyValue>();
    for (const dict of result.items as Map<PyValue, PyValue>[]) {
      for (const [k, v] of dict) {
        if (merged.has(String(k))) throw new NeuropodError('MODEL_INVALID', `${source}: output '${String(k)}' is returned by more than one dict`);
        merged.set(String(k), v);
      }
    }
    return [...merged];
  }
  if (result instanceof Sym || result instanceof Tensor || itemsOf(result)) {
    if (spec.length !== 1) throw new NeuropodError('MODEL_INVALID', `${source}: forward() returns one value, but the output spec has ${spec.length} entries; return a dict`);
    return [[spec[0]!.name, result]];
  }
  throw new NeuropodError('MODEL_INVALID', `${source}: forward() returns something Neuropod cannot name as outputs`);
}
