import Long from 'long';
import { NeuropodError } from '../../api/errors.js';
import type { AttributeValue, Dim, Graph, Model, Node, ValueInfo, ValueType } from '../../graph/ir.js';
import { DTYPES } from '../../tensor/dtype.js';
import { ATTRIBUTE_TYPES, ModelProtoType } from './schema.js';
import { tensorToProto } from './tensor-proto.js';

export { tensorToProto } from './tensor-proto.js';

/**
 * IR version written: 10 (ONNX 1.16) covers every opset up to 21 and the int4/uint4/float8 types; a model
 * decoded from a newer file keeps its own version.
 */
const MIN_IR_VERSION = 10;

/** Keys of Model.metadata that ModelProto holds in its own fields; the rest go to metadata_props. */
const MODEL_FIELDS = new Set(['format', 'ir_version', 'producer_name', 'producer_version', 'domain']);

const utf8 = new TextEncoder();

type Message = Record<string, unknown>;

/** The IR as an ONNX ModelProto: numbers in raw_data, attributes typed, subgraphs nested, shapes kept. */
export function encodeOnnxModel(model: Model): Uint8Array {
  return ModelProtoType.encode(modelToProto(model)).finish();
}

export function modelToProto(model: Model): Message {
  const metadata = model.metadata ?? {};
  return {
    ir_version: Math.max(MIN_IR_VERSION, Number(metadata.ir_version ?? 0) || 0),
    producer_name: metadata.producer_name ?? 'neuropod-web',
    ...(metadata.producer_version ? { producer_version: metadata.producer_version } : {}),
    ...(metadata.domain ? { domain: metadata.domain } : {}),
    opset_import: [...model.opsets].map(([domain, version]) => ({ domain, version })),
    metadata_props: Object.entries(metadata).filter(([key]) => !MODEL_FIELDS.has(key)).map(([key, value]) => ({ key, value })),
    graph: graphToProto(model.graph),
  };
}

function graphToProto(graph: Graph): Message {
  return {
    name: graph.name,
    node: graph.nodes.map(nodeToProto),
    initializer: [...graph.initializers].map(([name, t]) => tensorToProto(t, name)),
    input: graph.inputs.map(valueInfoToProto),
    output: graph.outputs.map(valueInfoToProto),
    value_info: (graph.valueInfo ?? []).map(valueInfoToProto),
  };
}

function nodeToProto(node: Node): Message {
  return {
    name: node.name,
    op_type: node.opType,
    domain: node.domain,
    input: node.inputs,
    output: node.outputs,
    attribute: [...node.attributes].map(([name, a]) => attributeToProto(name, a)),
  };
}

/** One row an AttributeValue type: the AttributeProto type code and the field holding the value. */
const ATTRIBUTE_ENCODING: { [K in AttributeValue['type']]: (v: Extract<AttributeValue, { type: K }>['value']) => Message } = {
  float: (v) => ({ type: ATTRIBUTE_TYPES.FLOAT, f: v }),
  int: (v) => ({ type: ATTRIBUTE_TYPES.INT, i: int64(v) }),
  string: (v) => ({ type: ATTRIBUTE_TYPES.STRING, s: utf8.encode(v) }),
  tensor: (v) => ({ type: ATTRIBUTE_TYPES.TENSOR, t: tensorToProto(v) }),
  graph: (v) => ({ type: ATTRIBUTE_TYPES.GRAPH, g: graphToProto(v) }),
  floats: (v) => ({ type: ATTRIBUTE_TYPES.FLOATS, floats: v }),
  ints: (v) => ({ type: ATTRIBUTE_TYPES.INTS, ints: v.map(int64) }),
  strings: (v) => ({ type: ATTRIBUTE_TYPES.STRINGS, strings: v.map((s) => utf8.encode(s)) }),
  tensors: (v) => ({ type: ATTRIBUTE_TYPES.TENSORS, tensors: v.map((t) => tensorToProto(t)) }),
  graphs: (v) => ({ type: ATTRIBUTE_TYPES.GRAPHS, graphs: v.map(graphToProto) }),
  type: (v) => ({ type: ATTRIBUTE_TYPES.TYPE_PROTO, tp: typeToProto(v) }),
};

/**
 * Attribute ints are JS numbers in the IR; INT64_MAX (Slice's "to the end") reads back as 2^63, which protobufjs
 * would wrap to INT64_MIN, so the int64 range is saturated here.
 */
function int64(v: number): Long | number {
  if (v >= 2 ** 63) return Long.MAX_VALUE;
  if (v <= -(2 ** 63)) return Long.MIN_VALUE;
  return Math.trunc(v);
}

function attributeToProto(name: string, a: AttributeValue): Message {
  const encode = ATTRIBUTE_ENCODING[a.type] as (v: AttributeValue['value']) => Message;
  return { name, ...encode(a.value) };
}

function valueInfoToProto(info: ValueInfo): Message {
  return info.type ? { name: info.name, type: typeToProto(info.type) } : { name: info.name };
}

function typeToProto(type: ValueType): Message {
  const elem = type.elem ? typeToProto(type.elem) : undefined;
  switch (type.kind) {
    case 'tensor': {
      const tensor: Message = type.dtype ? { elem_type: DTYPES[type.dtype].onnx } : {};
      if (type.shape) tensor.shape = { dim: type.shape.map(dimToProto) };
      return { tensor_type: tensor };
    }
    case 'sequence': return { sequence_type: elem ? { elem_type: elem } : {} };
    case 'optional': return { optional_type: elem ? { elem_type: elem } : {} };
    case 'map': {
      if (!type.dtype) throw new NeuropodError('MODEL_INVALID', 'a map type needs its key dtype');
      return { map_type: { key_type: DTYPES[type.dtype].onnx, ...(elem ? { value_type: elem } : {}) } };
    }
  }
}

function dimToProto(dim: Dim): Message {
  if (typeof dim === 'number') return { dim_value: dim };
  if (typeof dim === 'string') return { dim_param: dim };
  return {};
}
