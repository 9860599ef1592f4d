import protobuf from 'protobufjs/light.js';
import Long from 'long';

/**
 * The part of the ONNX protobuf schema this engine reads and writes, as a table: message -> fields
 * [name, field number, type, rule]. Field numbers and types are those of onnx.proto / onnx-data.proto (IR version
 * 11); the messages are proto2, so repeated scalars are unpacked unless onnx.proto marks them `packed = true`
 * (TensorProto's typed data fields), which the 'packed' rule says.
 */
type Rule = 'repeated' | 'packed';
type FieldRow = readonly [name: string, id: number, type: string, rule?: Rule];

const MESSAGES: Record<string, readonly FieldRow[]> = {
  ModelProto: [
    ['ir_version', 1, 'int64'], ['producer_name', 2, 'string'], ['producer_version', 3, 'string'],
    ['domain', 4, 'string'], ['model_version', 5, 'int64'], ['doc_string', 6, 'string'],
    ['graph', 7, 'GraphProto'], ['opset_import', 8, 'OperatorSetIdProto', 'repeated'],
    ['metadata_props', 14, 'StringStringEntryProto', 'repeated'], ['functions', 25, 'FunctionProto', 'repeated'],
  ],
  StringStringEntryProto: [['key', 1, 'string'], ['value', 2, 'string']],
  OperatorSetIdProto: [['domain', 1, 'string'], ['version', 2, 'int64']],
  GraphProto: [
    ['node', 1, 'NodeProto', 'repeated'], ['name', 2, 'string'], ['initializer', 5, 'TensorProto', 'repeated'],
    ['doc_string', 10, 'string'], ['input', 11, 'ValueInfoProto', 'repeated'],
    ['output', 12, 'ValueInfoProto', 'repeated'], ['value_info', 13, 'ValueInfoProto', 'repeated'],
    ['sparse_initializer', 15, 'SparseTensorProto', 'repeated'],
    ['metadata_props', 16, 'StringStringEntryProto', 'repeated'],
  ],
  NodeProto: [
    ['input', 1, 'string', 'repeated'], ['output', 2, 'string', 'repeated'], ['name', 3, 'string'],
    ['op_type', 4, 'string'], ['attribute', 5, 'AttributeProto', 'repeated'], ['doc_string', 6, 'string'],
    ['domain', 7, 'string'], ['overload', 8, 'string'], ['metadata_props', 9, 'StringStringEntryProto', 'repeated'],
  ],
  AttributeProto: [
    ['name', 1, 'string'], ['f', 2, 'float'], ['i', 3, 'int64'], ['s', 4, 'bytes'], ['t', 5, 'TensorProto'],
    ['g', 6, 'GraphProto'], ['floats', 7, 'float', 'repeated'], ['ints', 8, 'int64', 'repeated'],
    ['strings', 9, 'bytes', 'repeated'], ['tensors', 10, 'TensorProto', 'repeated'],
    ['graphs', 11, 'GraphProto', 'repeated'], ['doc_string', 13, 'string'], ['tp', 14, 'TypeProto'],
    ['type_protos', 15, 'TypeProto', 'repeated'], ['type', 20, 'int32'], ['ref_attr_name', 21, 'string'],
    ['sparse_tensor', 22, 'SparseTensorProto'], ['sparse_tensors', 23, 'SparseTensorProto', 'repeated'],
  ],
  ValueInfoProto: [['name', 1, 'string'], ['type', 2, 'TypeProto'], ['doc_string', 3, 'string']],
  TensorProto: [
    ['dims', 1, 'int64', 'repeated'], ['data_type', 2, 'int32'], ['segment', 3, 'TensorProto.Segment'],
    ['float_data', 4, 'float', 'packed'], ['int32_data', 5, 'int32', 'packed'], ['string_data', 6, 'bytes', 'repeated'],
    ['int64_data', 7, 'int64', 'packed'], ['name', 8, 'string'], ['raw_data', 9, 'bytes'],
    ['double_data', 10, 'double', 'packed'], ['uint64_data', 11, 'uint64', 'packed'], ['doc_string', 12, 'string'],
    ['external_data', 13, 'StringStringEntryProto', 'repeated'], ['data_location', 14, 'int32'],
  ],
  'TensorProto.Segment': [['begin', 1, 'int64'], ['end', 2, 'int64']],
  SparseTensorProto: [['values', 1, 'TensorProto'], ['indices', 2, 'TensorProto'], ['dims', 3, 'int64', 'repeated']],
  TensorShapeProto: [['dim', 1, 'TensorShapeProto.Dimension', 'repeated']],
  'TensorShapeProto.Dimension': [['dim_value', 1, 'int64'], ['dim_param', 2, 'string'], ['denotation', 3, 'string']],
  TypeProto: [
    ['tensor_type', 1, 'TypeProto.Tensor'], ['sequence_type', 4, 'TypeProto.Sequence'], ['map_type', 5, 'TypeProto.Map'],
    ['denotation', 6, 'string'], ['sparse_tensor_type', 8, 'TypeProto.SparseTensor'],
    ['optional_type', 9, 'TypeProto.Optional'],
  ],
  'TypeProto.Tensor': [['elem_type', 1, 'int32'], ['shape', 2, 'TensorShapeProto']],
  'TypeProto.Sequence': [['elem_type', 1, 'TypeProto']],
  'TypeProto.Map': [['key_type', 1, 'int32'], ['value_type', 2, 'TypeProto']],
  'TypeProto.Optional': [['elem_type', 1, 'TypeProto']],
  'TypeProto.SparseTensor': [['elem_type', 1, 'int32'], ['shape', 2, 'TensorShapeProto']],
  FunctionProto: [
    ['name', 1, 'string'], ['input', 4, 'string', 'repeated'], ['output', 5, 'string', 'repeated'],
    ['attribute', 6, 'string', 'repeated'], ['node', 7, 'NodeProto', 'repeated'], ['doc_string', 8, 'string'],
    ['opset_import', 9, 'OperatorSetIdProto', 'repeated'], ['domain', 10, 'string'],
    ['attribute_proto', 11, 'AttributeProto', 'repeated'], ['value_info', 12, 'ValueInfoProto', 'repeated'],
    ['overload', 13, 'string'],
  ],
  SequenceProto: [
    ['name', 1, 'string'], ['elem_type', 2, 'int32'], ['tensor_values', 3, 'TensorProto', 'repeated'],
    ['sparse_tensor_values', 4, 'SparseTensorProto', 'repeated'], ['sequence_values', 5, 'SequenceProto', 'repeated'],
    ['map_values', 6, 'MapProto', 'repeated'], ['optional_values', 7, 'OptionalProto', 'repeated'],
  ],
  MapProto: [
    ['name', 1, 'string'], ['key_type', 2, 'int32'], ['keys', 3, 'int64', 'repeated'],
    ['string_keys', 4, 'bytes', 'repeated'], ['values', 5, 'SequenceProto'],
  ],
  OptionalProto: [
    ['name', 1, 'string'], ['elem_type', 2, 'int32'], ['tensor_value', 3, 'TensorProto'],
    ['sparse_tensor_value', 4, 'SparseTensorProto'], ['sequence_value', 5, 'SequenceProto'],
    ['map_value', 6, 'MapProto'], ['optional_value', 7, 'OptionalProto'],
  ],
};

/** AttributeProto.AttributeType. */
export const ATTRIBUTE_TYPES = {
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10,
  SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

/** SequenceProto.DataType / OptionalProto.DataType: what the container holds. */
export const CONTAINER_ELEM_TYPES = { TENSOR: 1, SPARSE_TENSOR: 2, SEQUENCE: 3, MAP: 4, OPTIONAL: 5 } as const;

/** TensorProto.DataLocation.EXTERNAL */
export const DATA_LOCATION_EXTERNAL = 1;

/** Nested messages ('TypeProto.Tensor') live inside their parent in the protobufjs namespace tree. */
function descriptor(): protobuf.INamespace {
  const nested: Record<string, protobuf.IType & { nested?: Record<string, protobuf.IType> }> = {};
  for (const [qualified, rows] of Object.entries(MESSAGES)) {
    const fields: Record<string, protobuf.IField> = {};
    for (const [name, id, type, rule] of rows) {
      const field: protobuf.IField = { id, type };
      if (rule) {
        field.rule = 'repeated';
        if (isScalar(type)) field.options = { packed: rule === 'packed' };
      }
      fields[name] = field;
    }
    const [parent, child] = qualified.split('.') as [string, string | undefined];
    if (child) {
      const host = (nested[parent] ??= { fields: {} });
      (host.nested ??= {})[child] = { fields };
    } else {
      nested[parent] = { ...nested[parent], fields };
    }
  }
  return { nested: { onnx: { nested } } } as protobuf.INamespace;
}

function isScalar(type: string): boolean {
  return !/^[A-Z]/.test(type) && type !== 'string' && type !== 'bytes';
}

protobuf.util.Long = Long;
protobuf.configure();

const root = protobuf.Root.fromJSON(descriptor());

export const ModelProtoType = root.lookupType('onnx.ModelProto');
export const TensorProtoType = root.lookupType('onnx.TensorProto');
export const SequenceProtoType = root.lookupType('onnx.SequenceProto');
export const OptionalProtoType = root.lookupType('onnx.OptionalProto');

/** int64 fields decode to Long (or number when written as one); both become numbers here. */
export type Int64 = Long | number;

export function int64ToNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Shapes of the decoded messages, as far as this engine reads them. Absent fields read as their defaults. */
export interface StringStringEntry { key: string; value: string }
export interface OperatorSetId { domain: string; version: Int64 }
export interface TensorProtoMsg {
  dims: Int64[]; data_type: number; segment?: { begin: Int64; end: Int64 } | null;
  float_data: number[]; int32_data: number[]; string_data: Uint8Array[]; int64_data: Int64[];
  name: string; raw_data: Uint8Array; double_data: number[]; uint64_data: Int64[];
  external_data: StringStringEntry[]; data_location: number;
}
export interface SparseTensorProtoMsg { values?: TensorProtoMsg | null; indices?: TensorProtoMsg | null; dims: Int64[] }
export interface DimensionMsg { dim_value?: Int64 | null; dim_param?: string | null }
export interface TypeProtoMsg {
  tensor_type?: { elem_type: number; shape?: { dim: DimensionMsg[] } | null } | null;
  sparse_tensor_type?: { elem_type: number; shape?: { dim: DimensionMsg[] } | null } | null;
  sequence_type?: { elem_type?: TypeProtoMsg | null } | null;
  optional_type?: { elem_type?: TypeProtoMsg | null } | null;
  map_type?: { key_type: number; value_type?: TypeProtoMsg | null } | null;
}
export interface ValueInfoMsg { name: string; type?: TypeProtoMsg | null }
export interface AttributeMsg {
  name: string; type: number; ref_attr_name: string;
  f: number; i: Int64; s: Uint8Array; t?: TensorProtoMsg | null; g?: GraphMsg | null; tp?: TypeProtoMsg | null;
  sparse_tensor?: SparseTensorProtoMsg | null;
  floats: number[]; ints: Int64[]; strings: Uint8Array[]; tensors: TensorProtoMsg[]; graphs: GraphMsg[];
  sparse_tensors: SparseTensorProtoMsg[]; type_protos: TypeProtoMsg[];
}
export interface NodeMsg {
  input: string[]; output: string[]; name: string; op_type: string; domain: string; overload: string;
  attribute: AttributeMsg[];
}
export interface GraphMsg {
  node: NodeMsg[]; name: string; initializer: TensorProtoMsg[]; sparse_initializer: SparseTensorProtoMsg[];
  input: ValueInfoMsg[]; output: ValueInfoMsg[]; value_info: ValueInfoMsg[];
}
export interface FunctionMsg {
  name: string; domain: string; overload: string; input: string[]; output: string[]; attribute: string[];
  attribute_proto: AttributeMsg[]; node: NodeMsg[]; opset_import: OperatorSetId[];
}
export interface ModelMsg {
  ir_version: Int64; producer_name: string; producer_version: string; domain: string; model_version: Int64;
  graph?: GraphMsg | null; opset_import: OperatorSetId[]; metadata_props: StringStringEntry[];
  functions: FunctionMsg[];
}
export interface SequenceMsg {
  elem_type: number; tensor_values: TensorProtoMsg[]; sparse_tensor_values: SparseTensorProtoMsg[];
  sequence_values: SequenceMsg[]; map_values: unknown[]; optional_values: OptionalMsg[];
}
export interface OptionalMsg {
  elem_type: number; tensor_value?: TensorProtoMsg | null; sparse_tensor_value?: SparseTensorProtoMsg | null;
  sequence_value?: SequenceMsg | null; map_value?: unknown; optional_value?: OptionalMsg | null;
}

/** Whether a decoded message carries `field` (proto2 presence): defaults live on the prototype, set fields are own. */
export function hasField(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}
