import { NeuropodError } from '../../api/errors.js';
import { concatBytes } from '../../archive/concat-bytes.js';
import type { TensorSpec } from '../../spec/types.js';
import type { DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { producerOf, type TfNode } from '../tensorflow/builder.js';
import type { TfGraphRequest } from '../tensorflow/lower.js';
import { GraphDefType, type AttrValueMsg } from '../tensorflow/schema.js';
import { tensorFromTfProto, tfTypeNameOf, tfTypeOf } from '../tensorflow/tensor-proto.js';
import type { WeightsManifestEntry } from './weights.js';

/** A TF.js graph model as files: model.json and its one weights shard, by the paths model.json names. */
export type TfjsModelFiles = Map<string, Uint8Array>;

export const WEIGHTS_FILE = 'group1-shard1of1.bin';

const VARIABLES = new Set(['VariableV2', 'Variable', 'VarHandleOp']);
const ASSIGNS = new Set(['Assign', 'AssignAdd', 'AssignSub', 'AssignVariableOp', 'AssignAddVariableOp', 'AssignSubVariableOp']);

/** TF.js weights hold float32, int32, bool and string (tfjs-core io/types.ts); wider or narrower ints go as int32. */
const WEIGHT_DTYPE: Partial<Record<DType, WeightsManifestEntry['dtype']>> = {
  float32: 'float32', float64: 'float32', float16: 'float32', int32: 'int32', int64: 'int32', int16: 'int32', int8: 'int32',
  uint8: 'int32', uint16: 'int32', uint32: 'int32', bool: 'bool', string: 'string',
};

interface Exported {
  nodes: TfNode[];
  weights: { entry: WeightsManifestEntry; bytes: Uint8Array }[];
}

/**
 * Writes the part of a TF graph that the spec's outputs need as a TF.js graph model (the format tfjs-converter
 * writes: a GraphDef in protobuf JSON whose Const values live in the weights manifest). Variables become
 * constants holding their value after load; a graph that assigns a variable at run time has no TF.js form (a
 * graph model is stateless) and is refused naming the node.
 */
export function exportTfjsGraphModel(req: TfGraphRequest, spec: { inputs: TensorSpec[]; outputs: TensorSpec[] }): TfjsModelFiles {
  const { nodes, weights } = rewriteForTfjs(req);
  const shard = concatBytes(weights.map((w) => w.bytes));
  const topology = GraphDefType.toObject(GraphDefType.fromObject({ node: nodes.map(nodeDefOf) }), { enums: String, longs: String, bytes: String });
  const modelJson = {
    format: 'graph-model',
    generatedBy: req.producer,
    convertedBy: 'neuropod-web convert',
    modelTopology: { ...topology, versions: {} },
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weights.map((w) => w.entry) }],
    signature: {
      inputs: Object.fromEntries(req.inputs.map((b) => [b.name, tensorInfo(b.tensor, spec.inputs.find((s) => s.name === b.name))])),
      outputs: Object.fromEntries(req.outputs.map((b) => [b.name, tensorInfo(b.tensor, spec.outputs.find((s) => s.name === b.name))])),
    },
  };
  return new Map([['model.json', new TextEncoder().encode(JSON.stringify(modelJson))], [WEIGHTS_FILE, shard]]);
}

const TABLES = new Set(['HashTableV2', 'HashTable', 'LookupTableFindV2', 'LookupTableFind']);

/** The needed nodes, feeds as Placeholders, variables and Consts turned into weights. */
function rewriteForTfjs(req: TfGraphRequest): Exported {
  const byName = new Map(req.nodes.map((n) => [n.name, n]));
  const fed = new Map(req.inputs.map((b) => [producerOf(b.tensor), b]));
  const kept = neededNodes(byName, req.outputs.map((b) => producerOf(b.tensor)), new Set(fed.keys()), req.source);
  const weights: Exported['weights'] = [];
  const nodes = kept.map((node): TfNode => {
    const where = `${req.source}: node '${node.name}' (${node.op})`;
    const keptControls = node.controls.filter((c) => kept.some((k) => k.name === c));
    if (fed.has(node.name) && node.op !== 'Placeholder') return placeholderFor(node, req, where);
    if (node.region) throw new NeuropodError('OP_UNSUPPORTED', `${where} runs library functions (a TF2 While/If); the TF.js export writes no function library`);
    if (TABLES.has(node.op)) throw new NeuropodError('OP_UNSUPPORTED', `${where} uses a hash table, which the TF.js export cannot initialize (it writes no init ops)`);
    if (ASSIGNS.has(node.op)) throw new NeuropodError('OP_UNSUPPORTED', `${where} assigns a variable at run time; a TF.js graph model holds no state, so this graph has no TF.js form`);
    if (VARIABLES.has(node.op)) return constantNode(node, variableValue(node, req, where), weights, where);
    if (node.op === 'ReadVariableOp') return { ...node, op: 'Identity', controls: keptControls, attr: { T: node.attr.dtype! } };
    if (node.op === 'Const') return constantNode(node, req.weights?.get(node.name) ?? tensorFromTfProto(node.attr.value!.tensor!, where), weights, where);
    return { ...node, controls: keptControls };
  });
  return { nodes, weights };
}

function neededNodes(byName: Map<string, TfNode>, roots: string[], feeds: Set<string>, source: string): TfNode[] {
  const order: TfNode[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const node = byName.get(name);
    if (!node) throw new NeuropodError('MODEL_INVALID', `${source}: the graph has no node '${name}'`);
    if (!feeds.has(name)) for (const input of node.inputs) visit(producerOf(input));
    order.push(node);
  };
  roots.forEach(visit);
  return order;
}

function variableValue(node: TfNode, req: TfGraphRequest, where: string): Tensor {
  const value = req.variableValue?.(node.name);
  if (!value) throw new NeuropodError('MODEL_INVALID', `${where}: the variable has no value after load (no checkpoint entry or constant init op)`);
  return value;
}

function placeholderFor(node: TfNode, req: TfGraphRequest, where: string): TfNode {
  const binding = req.inputs.find((b) => producerOf(b.tensor) === node.name)!;
  if (!binding.tensor.endsWith(':0')) throw new NeuropodError('OP_UNSUPPORTED', `${where}: input '${binding.name}' feeds output ${binding.tensor} of a multi-output node, which TF.js cannot feed`);
  const dtype = node.attr.T ?? node.attr.dtype;
  if (!dtype) throw new NeuropodError('OP_UNSUPPORTED', `${where}: input '${binding.name}' feeds a node whose dtype TF.js cannot tell`);
  return { name: node.name, op: 'Placeholder', inputs: [], controls: [], attr: { dtype } };
}

function constantNode(node: TfNode, value: Tensor, weights: Exported['weights'], where: string): TfNode {
  const dtype = WEIGHT_DTYPE[value.dtype];
  if (!dtype) throw new NeuropodError('OP_UNSUPPORTED', `${where}: a ${value.dtype} constant has no TF.js weight form`);
  weights.push({ entry: { name: node.name, shape: [...value.shape], dtype }, bytes: weightBytes(value, dtype, where) });
  const type = { type: tfTypeOf(value.dtype === 'float16' ? 'float32' : value.dtype) } as unknown as AttrValueMsg;
  const tensor = { tensor: { dtype: type.type, tensorShape: { dim: value.shape.map((size) => ({ size })) } } } as unknown as AttrValueMsg;
  return { name: node.name, op: 'Const', inputs: [], controls: [], attr: { dtype: type, value: tensor } };
}

/** Little-endian values as TF.js reads them; strings as a uint32 byte length then the UTF-8 bytes, each. */
function weightBytes(value: Tensor, dtype: WeightsManifestEntry['dtype'], where: string): Uint8Array {
  if (dtype === 'string') {
    const parts = value.strings.map((s) => new TextEncoder().encode(s));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
    const view = new DataView(out.buffer);
    let at = 0;
    for (const p of parts) {
      view.setUint32(at, p.length, true);
      out.set(p, at + 4);
      at += 4 + p.length;
    }
    return out;
  }
  const source = value.numeric as ArrayLike<number | bigint>;
  if (dtype === 'bool') return Uint8Array.from(source as ArrayLike<number>, (v) => (v ? 1 : 0));
  if (dtype === 'float32') return new Uint8Array(Float32Array.from(source as ArrayLike<number>).buffer);
  const ints = new Int32Array(value.size);
  for (let i = 0; i < value.size; i++) {
    const v = Number(source[i]);
    if (v !== (v | 0)) throw new NeuropodError('OP_UNSUPPORTED', `${where}: ${value.dtype} value ${String(source[i])} does not fit TF.js's int32 weights`);
    ints[i] = v;
  }
  return new Uint8Array(ints.buffer);
}

function nodeDefOf(node: TfNode): object {
  return { name: node.name, op: node.op, input: [...node.inputs, ...node.controls.map((c) => `^${c}`)], attr: node.attr };
}

function tensorInfo(tensor: string, spec: TensorSpec | undefined): object {
  const dim = spec?.shape.map((d) => ({ size: typeof d === 'number' ? String(d) : '-1' }));
  return { name: tensor, dtype: spec ? tfTypeNameOf(spec.dtype) : undefined, tensorShape: dim ? { dim } : undefined };
}
