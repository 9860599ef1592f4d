import { NeuropodError } from '../../api/errors.js';
import { allocate, DTYPES, type DType, type NumericArray } from '../../tensor/dtype.js';
import { sizeOf, Tensor } from '../../tensor/tensor.js';
import { int64ToNumber, TF_DATA_TYPES, type TensorProtoMsg, type TensorShapeMsg } from './schema.js';

/** TensorFlow DataType -> engine dtype, for the types a graph may hold as tensors. */
const DTYPE_OF_TF: Partial<Record<number, DType>> = {
  [TF_DATA_TYPES.DT_FLOAT]: 'float32', [TF_DATA_TYPES.DT_DOUBLE]: 'float64', [TF_DATA_TYPES.DT_INT32]: 'int32',
  [TF_DATA_TYPES.DT_UINT8]: 'uint8', [TF_DATA_TYPES.DT_INT16]: 'int16', [TF_DATA_TYPES.DT_INT8]: 'int8',
  [TF_DATA_TYPES.DT_STRING]: 'string', [TF_DATA_TYPES.DT_INT64]: 'int64', [TF_DATA_TYPES.DT_BOOL]: 'bool',
  [TF_DATA_TYPES.DT_BFLOAT16]: 'bfloat16', [TF_DATA_TYPES.DT_UINT16]: 'uint16', [TF_DATA_TYPES.DT_HALF]: 'float16',
  [TF_DATA_TYPES.DT_UINT32]: 'uint32', [TF_DATA_TYPES.DT_UINT64]: 'uint64',
  [TF_DATA_TYPES.DT_QINT8]: 'int8', [TF_DATA_TYPES.DT_QUINT8]: 'uint8', [TF_DATA_TYPES.DT_QINT32]: 'int32',
};

const TF_NAME_OF: Record<number, string> = Object.fromEntries(Object.entries(TF_DATA_TYPES).map(([k, v]) => [v, k]));

/** A DataType enum (number, or its name as model.json writes it; `_REF` types read as their value type). */
export function dtypeOfTf(code: number | string, where: string): DType {
  const value = typeof code === 'string' ? (TF_DATA_TYPES as Record<string, number>)[code.replace(/_REF$/, '')] ?? -1 : code % 100;
  const dtype = DTYPE_OF_TF[value];
  if (!dtype) throw new NeuropodError('MODEL_INVALID', `${where}: TensorFlow type ${TF_NAME_OF[value] ?? code} has no tensor form in this engine`);
  return dtype;
}

/** The DataType of an engine dtype: the lowest code that maps to it (integer keys iterate in ascending order). */
export function tfTypeOf(dtype: DType): number {
  const entry = Object.entries(DTYPE_OF_TF).find(([, d]) => d === dtype);
  if (!entry) throw new NeuropodError('MODEL_INVALID', `no TensorFlow type for ${dtype}`);
  return Number(entry[0]);
}

/** The DataType's name as model.json writes it (DT_FLOAT). */
export function tfTypeNameOf(dtype: DType): string {
  return TF_NAME_OF[tfTypeOf(dtype)]!;
}

/** Dims of a TensorShapeProto; -1 (unknown) stays -1. Undefined for an unknown rank. */
export function shapeOf(shape: TensorShapeMsg | null | undefined): number[] | undefined {
  if (!shape || shape.unknownRank) return shape ? undefined : [];
  return shape.dim.map((d) => int64ToNumber(d.size));
}

const utf8 = new TextDecoder();

/**
 * A TensorProto as a Tensor (tensor.proto): tensor_content holds the packed little-endian values; otherwise the
 * typed `*_val` field holds them, and fewer values than the shape needs means the last one repeats (a splat).
 */
export function tensorFromTfProto(proto: TensorProtoMsg, where: string): Tensor {
  const dtype = dtypeOfTf(proto.dtype, where);
  const shape = shapeOf(proto.tensorShape) ?? [];
  if (shape.some((d) => d < 0)) throw new NeuropodError('MODEL_INVALID', `${where}: a constant with an unknown dim [${shape.join(', ')}]`);
  const size = sizeOf(shape);
  if (proto.tensorContent?.length) return new Tensor(dtype, shape, fromContent(proto.tensorContent, dtype, size, where));
  return new Tensor(dtype, shape, fromValues(typedValues(proto, dtype), dtype, size));
}

function fromContent(content: Uint8Array, dtype: DType, size: number, where: string): NumericArray {
  const info = DTYPES[dtype];
  if (!info.array) throw new NeuropodError('MODEL_INVALID', `${where}: string tensors have no tensor_content form`);
  if (content.length !== size * info.rawBytes) {
    throw new NeuropodError('MODEL_INVALID', `${where}: tensor_content has ${content.length} bytes, its ${dtype} shape needs ${size * info.rawBytes}`);
  }
  const bytes = new Uint8Array(content.length);
  bytes.set(content);
  return new info.array(bytes.buffer, 0, size) as NumericArray;
}

function typedValues(proto: TensorProtoMsg, dtype: DType): ArrayLike<unknown> {
  switch (dtype) {
    case 'float32': return proto.floatVal;
    case 'float64': return proto.doubleVal;
    case 'string': return proto.stringVal.map((b) => (b.length ? utf8.decode(b) : ''));
    case 'int64': return proto.int64Val;
    case 'bool': return proto.boolVal;
    case 'float16': case 'bfloat16': return proto.halfVal;
    case 'uint32': return proto.uint32Val;
    case 'uint64': return proto.uint64Val;
    default: return proto.intVal;
  }
}

function fromValues(values: ArrayLike<unknown>, dtype: DType, size: number): NumericArray | string[] {
  const out = allocate(dtype, size);
  if (values.length === 0) return out;
  const big = DTYPES[dtype].big;
  for (let i = 0; i < size; i++) {
    const v = values[Math.min(i, values.length - 1)];
    if (dtype === 'string') (out as string[])[i] = v as string;
    else (out as NumericArray)[i] = (big ? BigInt(String(v)) : Number(v)) as never;
  }
  return out;
}
