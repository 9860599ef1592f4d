import type protobuf from 'protobufjs/light.js';
import { isNeuropodError, NeuropodError } from '../../api/errors.js';
import type { AttributeValue, Attributes, Dim, Graph, Model, Node, Opsets, ValueInfo, ValueType } from '../../graph/ir.js';
import { Optional, Sequence, type Value } from '../../graph/value.js';
import type { Tensor } from '../../tensor/tensor.js';
import { inlineFunctions } from './functions.js';
import {
  ATTRIBUTE_TYPES, CONTAINER_ELEM_TYPES, DATA_LOCATION_EXTERNAL, hasField, int64ToNumber, ModelProtoType,
  OptionalProtoType, SequenceProtoType, TensorProtoType,
  type AttributeMsg, type GraphMsg, type ModelMsg, type OperatorSetId, type OptionalMsg, type SequenceMsg,
  type TensorProtoMsg, type TypeProtoMsg, type ValueInfoMsg,
} from './schema.js';
import { denseFromSparse, dtypeOfProto, tensorFromProto } from './tensor-proto.js';

export { tensorFromProto } from './tensor-proto.js';

export interface DecodeOptions {
  /** Where the bytes came from, for messages ('0/data/model.onnx in models/x.neuropod'). */
  source: string;
  /** Reads an external-data file named by a tensor's `location`, relative to the model file. */
  externalData?: (location: string) => Promise<Uint8Array>;
}

const utf8 = new TextDecoder();

/** protobufjs gives an absent bytes field as an empty plain array, which TextDecoder refuses. */
function text(bytes: Uint8Array): string {
  return bytes.length ? utf8.decode(bytes) : '';
}

/** Parses an ONNX ModelProto and lowers it to the IR; model-local functions are inlined. */
export async function decodeOnnxModel(bytes: Uint8Array, opts: DecodeOptions): Promise<Model> {
  const proto = decodeMessage<ModelMsg>(ModelProtoType, bytes, opts.source, 'an ONNX model');
  if (!proto.graph) throw new NeuropodError('MODEL_INVALID', `${opts.source} is not an ONNX model: it has no graph`);
  const graphProto = proto.graph;
  await resolveExternalData(modelTensors(proto), opts);
  return withSource(opts.source, () => {
    const opsets = opsetsOf(proto.opset_import);
    for (const fn of proto.functions) for (const [domain, version] of opsetsOf(fn.opset_import)) if (!opsets.has(domain)) opsets.set(domain, version);
    inlineFunctions(graphProto, proto.functions);
    return { graph: lowerGraph(graphProto), opsets, metadata: metadataOf(proto) };
  });
}

/** protobufjs reports a truncated or foreign file as a bare RangeError/Error: say which file and what it was meant to be. */
function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array, source: string, what: string): T {
  try {
    return type.decode(bytes) as unknown as T;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new NeuropodError('MODEL_INVALID', `${source} is not ${what} (truncated or another format): protobuf decoding failed: ${reason}`, { cause: e });
  }
}

function withSource<T>(source: string, lower: () => T): T {
  try {
    return lower();
  } catch (e) {
    if (isNeuropodError(e) && e.code === 'MODEL_INVALID') throw new NeuropodError('MODEL_INVALID', `${source}: ${e.message}`, { cause: e });
    throw e;
  }
}

function opsetsOf(imports: readonly OperatorSetId[]): Opsets {
  const opsets: Opsets = new Map();
  for (const { domain, version } of imports) opsets.set(domain === 'ai.onnx' ? '' : domain, int64ToNumber(version));
  return opsets;
}

function metadataOf(proto: ModelMsg): Record<string, string> {
  const metadata: Record<string, string> = { format: 'onnx', ir_version: String(int64ToNumber(proto.ir_version)) };
  if (proto.producer_name) metadata.producer_name = proto.producer_name;
  if (proto.producer_version) metadata.producer_version = proto.producer_version;
  if (proto.domain) metadata.domain = proto.domain;
  for (const { key, value } of proto.metadata_props) metadata[key] = value;
  return metadata;
}

// ---- external data ----

function* modelTensors(proto: ModelMsg): Generator<TensorProtoMsg> {
  if (proto.graph) yield* graphTensors(proto.graph);
  for (const fn of proto.functions) for (const node of fn.node) for (const a of node.attribute) yield* attributeTensors(a);
}

function* graphTensors(graph: GraphMsg): Generator<TensorProtoMsg> {
  yield* graph.initializer;
  for (const s of graph.sparse_initializer) yield* [s.values, s.indices].filter((t): t is TensorProtoMsg => !!t);
  for (const node of graph.node) for (const a of node.attribute) yield* attributeTensors(a);
}

function* attributeTensors(a: AttributeMsg): Generator<TensorProtoMsg> {
  if (a.t) yield a.t;
  yield* a.tensors;
  for (const g of a.g ? [a.g] : a.graphs) yield* graphTensors(g);
}

/** Fills raw_data of every EXTERNAL tensor from its file (location/offset/length entries, onnx.proto), one read a file. */
async function resolveExternalData(tensors: Iterable<TensorProtoMsg>, opts: DecodeOptions): Promise<void> {
  const files = new Map<string, Promise<Uint8Array>>();
  for (const tensor of tensors) {
    if (tensor.data_location !== DATA_LOCATION_EXTERNAL) continue;
    const entries = new Map(tensor.external_data.map((e) => [e.key, e.value]));
    const location = entries.get('location');
    if (!location) throw new NeuropodError('MODEL_INVALID', `${opts.source}: tensor '${tensor.name}' is marked external but names no location`);
    if (!opts.externalData) throw new NeuropodError('MODEL_INVALID', `${opts.source}: tensor '${tensor.name}' keeps its data in '${location}', and no external data reader was given`);
    const read = opts.externalData;
    let file = files.get(location);
    if (!file) files.set(location, (file = read(location)));
    const bytes = await file;
    const offset = Number(entries.get('offset') ?? 0);
    const length = entries.has('length') ? Number(entries.get('length')) : bytes.length - offset;
    if (offset + length > bytes.length) {
      throw new NeuropodError('MODEL_INVALID', `${opts.source}: tensor '${tensor.name}' wants bytes ${offset}..${offset + length} of '${location}', which has ${bytes.length}`);
    }
    tensor.raw_data = bytes.subarray(offset, offset + length);
    tensor.data_location = 0;
  }
}

// ---- lowering to the IR ----

export function lowerGraph(proto: GraphMsg): Graph {
  const initializers = new Map<string, Tensor>();
  for (const t of proto.initializer) initializers.set(t.name, tensorFromProto(t));
  for (const s of proto.sparse_initializer) {
    const name = s.values?.name ?? '';
    initializers.set(name, denseFromSparse(s, `sparse initializer '${name}'`));
  }
  const graph: Graph = {
    name: proto.name,
    nodes: proto.node.map((n, i) => ({
      name: n.name,
      opType: n.op_type,
      domain: n.domain === 'ai.onnx' ? '' : n.domain,
      inputs: [...n.input],
      outputs: [...n.output],
      attributes: lowerAttributes(n.attribute, `${n.op_type} node '${n.name || `#${i}`}'`),
    }) satisfies Node),
    inputs: proto.input.map(lowerValueInfo),
    outputs: proto.output.map(lowerValueInfo),
    initializers,
  };
  if (proto.value_info.length) graph.valueInfo = proto.value_info.map(lowerValueInfo);
  return graph;
}

function lowerValueInfo(proto: ValueInfoMsg): ValueInfo {
  const type = proto.type ? lowerType(proto.type) : undefined;
  return type ? { name: proto.name, type } : { name: proto.name };
}

export function lowerType(proto: TypeProtoMsg): ValueType | undefined {
  const tensor = proto.tensor_type ?? proto.sparse_tensor_type;
  if (tensor) {
    const type: ValueType = { kind: 'tensor' };
    if (tensor.elem_type) type.dtype = dtypeOfProto(tensor.elem_type, 'a value type');
    if (tensor.shape) type.shape = tensor.shape.dim.map(lowerDim);
    return type;
  }
  if (proto.sequence_type) return container('sequence', proto.sequence_type.elem_type);
  if (proto.optional_type) return container('optional', proto.optional_type.elem_type);
  if (proto.map_type) {
    const type = container('map', proto.map_type.value_type);
    type.dtype = dtypeOfProto(proto.map_type.key_type, 'a map key type');
    return type;
  }
  return undefined;
}

function container(kind: ValueType['kind'], elem: TypeProtoMsg | null | undefined): ValueType {
  const inner = elem ? lowerType(elem) : undefined;
  return inner ? { kind, elem: inner } : { kind };
}

function lowerDim(dim: { dim_value?: unknown; dim_param?: string | null }): Dim {
  if (hasField(dim, 'dim_value')) return int64ToNumber(dim.dim_value as number);
  if (hasField(dim, 'dim_param') && dim.dim_param) return dim.dim_param;
  return null;
}

function lowerAttributes(protos: readonly AttributeMsg[], where: string): Attributes {
  const attributes: Attributes = new Map();
  for (const a of protos) attributes.set(a.name, lowerAttribute(a, `attribute '${a.name}' of ${where}`));
  return attributes;
}

type Lowering = (a: AttributeMsg, where: string) => AttributeValue;

/** One row an AttributeProto.AttributeType. Sparse tensors become dense (the IR has no sparse values). */
const ATTRIBUTE_LOWERING: Record<number, Lowering> = {
  [ATTRIBUTE_TYPES.FLOAT]: (a) => ({ type: 'float', value: a.f }),
  [ATTRIBUTE_TYPES.INT]: (a) => ({ type: 'int', value: int64ToNumber(a.i) }),
  [ATTRIBUTE_TYPES.STRING]: (a) => ({ type: 'string', value: text(a.s) }),
  [ATTRIBUTE_TYPES.TENSOR]: (a, where) => ({ type: 'tensor', value: tensorFromProto(required(a.t, where)) }),
  [ATTRIBUTE_TYPES.GRAPH]: (a, where) => ({ type: 'graph', value: lowerGraph(required(a.g, where)) }),
  [ATTRIBUTE_TYPES.FLOATS]: (a) => ({ type: 'floats', value: [...a.floats] }),
  [ATTRIBUTE_TYPES.INTS]: (a) => ({ type: 'ints', value: a.ints.map(int64ToNumber) }),
  [ATTRIBUTE_TYPES.STRINGS]: (a) => ({ type: 'strings', value: a.strings.map(text) }),
  [ATTRIBUTE_TYPES.TENSORS]: (a) => ({ type: 'tensors', value: a.tensors.map(tensorFromProto) }),
  [ATTRIBUTE_TYPES.GRAPHS]: (a) => ({ type: 'graphs', value: a.graphs.map(lowerGraph) }),
  [ATTRIBUTE_TYPES.SPARSE_TENSOR]: (a, where) => ({ type: 'tensor', value: denseFromSparse(required(a.sparse_tensor, where), where) }),
  [ATTRIBUTE_TYPES.SPARSE_TENSORS]: (a, where) => ({ type: 'tensors', value: a.sparse_tensors.map((s) => denseFromSparse(s, where)) }),
  [ATTRIBUTE_TYPES.TYPE_PROTO]: (a, where) => ({ type: 'type', value: required(lowerType(required(a.tp, where)), where) }),
};

function lowerAttribute(a: AttributeMsg, where: string): AttributeValue {
  const type = a.type || inferAttributeType(a);
  const lowering = ATTRIBUTE_LOWERING[type];
  if (!lowering) throw new NeuropodError('MODEL_INVALID', `${where} has attribute type ${type}, which this engine does not read`);
  return lowering(a, where);
}

/** Files from before IR version 2 leave `type` unset: the one value field present says it. */
function inferAttributeType(a: AttributeMsg): number {
  const singles: [keyof AttributeMsg, number][] = [
    ['f', ATTRIBUTE_TYPES.FLOAT], ['i', ATTRIBUTE_TYPES.INT], ['s', ATTRIBUTE_TYPES.STRING], ['t', ATTRIBUTE_TYPES.TENSOR],
    ['g', ATTRIBUTE_TYPES.GRAPH], ['sparse_tensor', ATTRIBUTE_TYPES.SPARSE_TENSOR], ['tp', ATTRIBUTE_TYPES.TYPE_PROTO],
  ];
  for (const [field, type] of singles) if (hasField(a, field)) return type;
  const lists: [keyof AttributeMsg, number][] = [
    ['floats', ATTRIBUTE_TYPES.FLOATS], ['ints', ATTRIBUTE_TYPES.INTS], ['strings', ATTRIBUTE_TYPES.STRINGS],
    ['tensors', ATTRIBUTE_TYPES.TENSORS], ['graphs', ATTRIBUTE_TYPES.GRAPHS],
  ];
  for (const [field, type] of lists) if ((a[field] as unknown[]).length) return type;
  return 0;
}

function required<T>(value: T | null | undefined, where: string): T {
  if (value === null || value === undefined) throw new NeuropodError('MODEL_INVALID', `${where} lacks its value`);
  return value;
}

// ---- test-data readers (.pb files of the ONNX backend tests) ----

export function readTensorProto(bytes: Uint8Array, source = 'TensorProto'): Tensor {
  const proto = decodeMessage<TensorProtoMsg>(TensorProtoType, bytes, source, 'a TensorProto');
  return withSource(source, () => tensorFromProto(proto));
}

export function readSequenceProto(bytes: Uint8Array, source = 'SequenceProto'): Sequence {
  const proto = decodeMessage<SequenceMsg>(SequenceProtoType, bytes, source, 'a SequenceProto');
  return withSource(source, () => sequenceFromProto(proto));
}

export function readOptionalProto(bytes: Uint8Array, source = 'OptionalProto'): Optional {
  const proto = decodeMessage<OptionalMsg>(OptionalProtoType, bytes, source, 'an OptionalProto');
  return withSource(source, () => optionalFromProto(proto));
}

/** The reader a value of `type` needs (a test input or output file): tensors unless the type says otherwise. */
export function readValueProto(bytes: Uint8Array, type: ValueType | undefined, source?: string): Value {
  if (type?.kind === 'sequence') return readSequenceProto(bytes, source);
  if (type?.kind === 'optional') return readOptionalProto(bytes, source);
  return readTensorProto(bytes, source);
}

function sequenceFromProto(proto: SequenceMsg): Sequence {
  switch (proto.elem_type) {
    case CONTAINER_ELEM_TYPES.SEQUENCE: return new Sequence(proto.sequence_values.map(sequenceFromProto));
    case CONTAINER_ELEM_TYPES.OPTIONAL: return new Sequence(proto.optional_values.map(optionalFromProto));
    case CONTAINER_ELEM_TYPES.SPARSE_TENSOR: return new Sequence(proto.sparse_tensor_values.map((s) => denseFromSparse(s, 'a sequence element')));
    case CONTAINER_ELEM_TYPES.MAP: throw new NeuropodError('MODEL_INVALID', 'sequences of maps are not supported');
    default: return new Sequence(proto.tensor_values.map(tensorFromProto));
  }
}

function optionalFromProto(proto: OptionalMsg): Optional {
  if (proto.tensor_value) return new Optional(tensorFromProto(proto.tensor_value));
  if (proto.sequence_value) return new Optional(sequenceFromProto(proto.sequence_value));
  if (proto.optional_value) return new Optional(optionalFromProto(proto.optional_value));
  if (proto.sparse_tensor_value) return new Optional(denseFromSparse(proto.sparse_tensor_value, 'an optional value'));
  if (proto.map_value) throw new NeuropodError('MODEL_INVALID', 'optional maps are not supported');
  return new Optional(undefined);
}

