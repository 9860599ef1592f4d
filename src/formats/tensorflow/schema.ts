import protobuf from 'protobufjs/light.js';
import Long from 'long';

/**
 * The part of TensorFlow's protobuf schema this engine reads, as a table: message -> fields [name, number, type,
 * rule]. Numbers and types are those of tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape,
 * types,function,op_def,versions}.proto, core/protobuf/{saved_model,meta_graph,saver,saved_object_graph,
 * trackable_object_graph,struct}.proto and core/protobuf/tensor_bundle.proto. Field names are camelCase, the
 * protobuf JSON mapping, so a TF.js model.json topology (that mapping of a GraphDef) reads through `fromObject`.
 * A map field's rule is its key type.
 */
type Rule = 'repeated' | `map<${'string' | 'int32' | 'int64'}>`;
type FieldRow = readonly [name: string, id: number, type: string, rule?: Rule];

const MESSAGES: Record<string, readonly FieldRow[]> = {
  GraphDef: [['node', 1, 'NodeDef', 'repeated'], ['library', 2, 'FunctionDefLibrary'], ['version', 3, 'int32'], ['versions', 4, 'VersionDef']],
  VersionDef: [['producer', 1, 'int32'], ['minConsumer', 2, 'int32'], ['badConsumers', 3, 'int32', 'repeated']],
  NodeDef: [
    ['name', 1, 'string'], ['op', 2, 'string'], ['input', 3, 'string', 'repeated'], ['device', 4, 'string'],
    ['attr', 5, 'AttrValue', 'map<string>'],
  ],
  AttrValue: [
    ['list', 1, 'ListValue'], ['s', 2, 'bytes'], ['i', 3, 'int64'], ['f', 4, 'float'], ['b', 5, 'bool'],
    ['type', 6, 'DataType'], ['shape', 7, 'TensorShapeProto'], ['tensor', 8, 'TensorProto'],
    ['placeholder', 9, 'string'], ['func', 10, 'NameAttrList'],
  ],
  ListValue: [
    ['s', 2, 'bytes', 'repeated'], ['i', 3, 'int64', 'repeated'], ['f', 4, 'float', 'repeated'],
    ['b', 5, 'bool', 'repeated'], ['type', 6, 'DataType', 'repeated'], ['shape', 7, 'TensorShapeProto', 'repeated'],
    ['tensor', 8, 'TensorProto', 'repeated'], ['func', 9, 'NameAttrList', 'repeated'],
  ],
  NameAttrList: [['name', 1, 'string'], ['attr', 2, 'AttrValue', 'map<string>']],
  TensorProto: [
    ['dtype', 1, 'DataType'], ['tensorShape', 2, 'TensorShapeProto'], ['versionNumber', 3, 'int32'],
    ['tensorContent', 4, 'bytes'], ['floatVal', 5, 'float', 'repeated'], ['doubleVal', 6, 'double', 'repeated'],
    ['intVal', 7, 'int32', 'repeated'], ['stringVal', 8, 'bytes', 'repeated'], ['scomplexVal', 9, 'float', 'repeated'],
    ['int64Val', 10, 'int64', 'repeated'], ['boolVal', 11, 'bool', 'repeated'], ['dcomplexVal', 12, 'double', 'repeated'],
    ['halfVal', 13, 'int32', 'repeated'], ['uint32Val', 16, 'uint32', 'repeated'], ['uint64Val', 17, 'uint64', 'repeated'],
  ],
  TensorShapeProto: [['dim', 2, 'Dim', 'repeated'], ['unknownRank', 3, 'bool']],
  Dim: [['size', 1, 'int64'], ['name', 2, 'string']],
  FunctionDefLibrary: [['function', 1, 'FunctionDef', 'repeated'], ['gradient', 2, 'GradientDef', 'repeated']],
  GradientDef: [['functionName', 1, 'string'], ['gradientFunc', 2, 'string']],
  FunctionDef: [
    ['signature', 1, 'OpDef'], ['nodeDef', 3, 'NodeDef', 'repeated'], ['ret', 4, 'string', 'map<string>'],
    ['attr', 5, 'AttrValue', 'map<string>'], ['controlRet', 6, 'string', 'map<string>'],
  ],
  OpDef: [
    ['name', 1, 'string'], ['inputArg', 2, 'ArgDef', 'repeated'], ['outputArg', 3, 'ArgDef', 'repeated'],
    ['isStateful', 17, 'bool'], ['controlOutput', 20, 'string', 'repeated'],
  ],
  ArgDef: [
    ['name', 1, 'string'], ['type', 3, 'DataType'], ['typeAttr', 4, 'string'], ['numberAttr', 5, 'string'],
    ['typeListAttr', 6, 'string'], ['isRef', 16, 'bool'],
  ],
  SavedModel: [['savedModelSchemaVersion', 1, 'int64'], ['metaGraphs', 2, 'MetaGraphDef', 'repeated']],
  MetaGraphDef: [
    ['metaInfoDef', 1, 'MetaInfoDef'], ['graphDef', 2, 'GraphDef'], ['saverDef', 3, 'SaverDef'],
    ['signatureDef', 5, 'SignatureDef', 'map<string>'], ['objectGraphDef', 7, 'SavedObjectGraph'],
  ],
  MetaInfoDef: [['metaGraphVersion', 1, 'string'], ['tags', 4, 'string', 'repeated'], ['tensorflowVersion', 5, 'string']],
  SaverDef: [['filenameTensorName', 1, 'string'], ['saveTensorName', 2, 'string'], ['restoreOpName', 3, 'string']],
  SignatureDef: [
    ['inputs', 1, 'TensorInfo', 'map<string>'], ['outputs', 2, 'TensorInfo', 'map<string>'], ['methodName', 3, 'string'],
  ],
  TensorInfo: [['name', 1, 'string'], ['dtype', 2, 'DataType'], ['tensorShape', 3, 'TensorShapeProto']],
  SavedObjectGraph: [['nodes', 1, 'SavedObject', 'repeated']],
  SavedObject: [['children', 1, 'ObjectReference', 'repeated'], ['variable', 7, 'SavedVariable']],
  ObjectReference: [['nodeId', 1, 'int32'], ['localName', 2, 'string']],
  SavedVariable: [['dtype', 1, 'DataType'], ['shape', 2, 'TensorShapeProto'], ['name', 6, 'string']],
  BundleHeaderProto: [['numShards', 1, 'int32'], ['endianness', 2, 'int32'], ['version', 3, 'VersionDef']],
  BundleEntryProto: [
    ['dtype', 1, 'DataType'], ['shape', 2, 'TensorShapeProto'], ['shardId', 3, 'int32'], ['offset', 4, 'int64'],
    ['size', 5, 'int64'], ['crc32c', 6, 'fixed32'], ['slices', 7, 'TensorSliceProto', 'repeated'],
  ],
  TensorSliceProto: [['extent', 1, 'Extent', 'repeated']],
  Extent: [['start', 1, 'int64'], ['length', 2, 'int64']],
};

/**
 * attr_value.proto puts AttrValue's value in a oneof, so a value equal to its field's default (b: false, i: 0)
 * is still written and read back as set.
 */
const ONEOFS: Record<string, [string, string[]]> = {
  AttrValue: ['value', ['list', 's', 'i', 'f', 'b', 'type', 'shape', 'tensor', 'placeholder', 'func']],
};

/** types.proto DataType: the enum values, `_REF` variants are these plus 100. */
export const TF_DATA_TYPES = {
  DT_INVALID: 0, DT_FLOAT: 1, DT_DOUBLE: 2, DT_INT32: 3, DT_UINT8: 4, DT_INT16: 5, DT_INT8: 6, DT_STRING: 7,
  DT_COMPLEX64: 8, DT_INT64: 9, DT_BOOL: 10, DT_QINT8: 11, DT_QUINT8: 12, DT_QINT32: 13, DT_BFLOAT16: 14,
  DT_QINT16: 15, DT_QUINT16: 16, DT_UINT16: 17, DT_COMPLEX128: 18, DT_HALF: 19, DT_RESOURCE: 20, DT_VARIANT: 21,
  DT_UINT32: 22, DT_UINT64: 23,
} as const;

function descriptor(): protobuf.INamespace {
  const nested: Record<string, protobuf.IType | protobuf.IEnum> = { DataType: { values: { ...TF_DATA_TYPES } } };
  for (const [message, rows] of Object.entries(MESSAGES)) {
    const fields: Record<string, protobuf.IField & { keyType?: string }> = {};
    for (const [name, id, type, rule] of rows) {
      if (rule?.startsWith('map<')) fields[name] = { id, type, keyType: rule.slice(4, -1) };
      else fields[name] = rule ? { id, type, rule } : { id, type };
    }
    const oneof = ONEOFS[message];
    nested[message] = oneof ? { fields, oneofs: { [oneof[0]]: { oneof: oneof[1] } } } : { fields };
  }
  return { nested: { tensorflow: { nested } } } as protobuf.INamespace;
}

protobuf.util.Long = Long;
protobuf.configure();

const root = protobuf.Root.fromJSON(descriptor());

export const GraphDefType = root.lookupType('tensorflow.GraphDef');
export const NodeDefType = root.lookupType('tensorflow.NodeDef');
export const AttrValueType = root.lookupType('tensorflow.AttrValue');
export const TensorProtoType = root.lookupType('tensorflow.TensorProto');
export const FunctionDefLibraryType = root.lookupType('tensorflow.FunctionDefLibrary');
export const SavedModelType = root.lookupType('tensorflow.SavedModel');
export const BundleHeaderType = root.lookupType('tensorflow.BundleHeaderProto');
export const BundleEntryType = root.lookupType('tensorflow.BundleEntryProto');

export type Int64 = Long | number | string;

export function int64ToNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return v.toNumber();
}

/** The decoded messages, as far as this engine reads them; absent fields read as their defaults. */
export interface DimMsg { size: Int64; name: string }
export interface TensorShapeMsg { dim: DimMsg[]; unknownRank: boolean }
export interface TensorProtoMsg {
  dtype: number; tensorShape?: TensorShapeMsg | null; tensorContent: Uint8Array;
  floatVal: number[]; doubleVal: number[]; intVal: number[]; stringVal: Uint8Array[]; int64Val: Int64[];
  boolVal: boolean[]; halfVal: number[]; uint32Val: number[]; uint64Val: Int64[];
}
export interface NameAttrListMsg { name: string; attr: Record<string, AttrValueMsg> }
export interface ListValueMsg {
  s: Uint8Array[]; i: Int64[]; f: number[]; b: boolean[]; type: number[]; shape: TensorShapeMsg[];
  tensor: TensorProtoMsg[]; func: NameAttrListMsg[];
}
export interface AttrValueMsg {
  list?: ListValueMsg | null; s?: Uint8Array; i?: Int64; f?: number; b?: boolean; type?: number;
  shape?: TensorShapeMsg | null; tensor?: TensorProtoMsg | null; placeholder?: string; func?: NameAttrListMsg | null;
}
export interface NodeDefMsg { name: string; op: string; input: string[]; device: string; attr: Record<string, AttrValueMsg> }
export interface ArgDefMsg { name: string; type: number; typeAttr: string; numberAttr: string; typeListAttr: string }
export interface OpDefMsg { name: string; inputArg: ArgDefMsg[]; outputArg: ArgDefMsg[] }
export interface FunctionDefMsg {
  signature?: OpDefMsg | null; nodeDef: NodeDefMsg[]; ret: Record<string, string>; attr: Record<string, AttrValueMsg>;
}
export interface GraphDefMsg { node: NodeDefMsg[]; library?: { function: FunctionDefMsg[] } | null }
export interface TensorInfoMsg { name: string; dtype: number; tensorShape?: TensorShapeMsg | null }
export interface SignatureDefMsg { inputs: Record<string, TensorInfoMsg>; outputs: Record<string, TensorInfoMsg>; methodName: string }
export interface MetaGraphDefMsg {
  metaInfoDef?: { tags: string[] } | null; graphDef?: GraphDefMsg | null;
  saverDef?: { filenameTensorName: string; restoreOpName: string } | null;
  signatureDef: Record<string, SignatureDefMsg>;
}
export interface SavedModelMsg { metaGraphs: MetaGraphDefMsg[] }
export interface BundleEntryMsg {
  dtype: number; shape?: TensorShapeMsg | null; shardId: number; offset: Int64; size: Int64; crc32c: number;
  slices: unknown[];
}
export interface BundleHeaderMsg { numShards: number; endianness: number }
