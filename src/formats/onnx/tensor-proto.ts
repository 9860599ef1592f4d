import { NeuropodError } from '../../api/errors.js';
import { allocate, DTYPES, dtypeFromOnnx, type DType, type NumericArray } from '../../tensor/dtype.js';
import { sizeOf, Tensor } from '../../tensor/tensor.js';
import { DATA_LOCATION_EXTERNAL, hasField, int64ToNumber, type Int64, type SparseTensorProtoMsg, type TensorProtoMsg } from './schema.js';

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** The typed field of TensorProto that holds each dtype when raw_data is absent (onnx.proto TensorProto comments). */
type TypedField = 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data' | 'string_data';
const TYPED_FIELD: Record<DType, TypedField> = {
  float32: 'float_data', float64: 'double_data', string: 'string_data', int64: 'int64_data',
  uint32: 'uint64_data', uint64: 'uint64_data',
  int32: 'int32_data', int16: 'int32_data', int8: 'int32_data', uint16: 'int32_data', uint8: 'int32_data',
  bool: 'int32_data', float16: 'int32_data', bfloat16: 'int32_data', float8e4m3fn: 'int32_data',
  float8e4m3fnuz: 'int32_data', float8e5m2: 'int32_data', float8e5m2fnuz: 'int32_data',
  int4: 'int32_data', uint4: 'int32_data', float4e2m1: 'int32_data',
};

const FOUR_BIT: ReadonlySet<DType> = new Set(['int4', 'uint4', 'float4e2m1']);

export function dtypeOfProto(code: number, where: string): DType {
  const dtype = dtypeFromOnnx(code);
  if (!dtype) throw new NeuropodError('MODEL_INVALID', `${where}: ONNX data type ${code} is not one this engine supports`);
  return dtype;
}

/** A TensorProto as a Tensor. External data must have been resolved into raw_data beforehand. */
export function tensorFromProto(proto: TensorProtoMsg): Tensor {
  const where = `tensor '${proto.name}'`;
  const dtype = dtypeOfProto(proto.data_type, where);
  if (proto.segment) throw new NeuropodError('MODEL_INVALID', `${where} is a segment of a larger tensor, which this engine does not assemble`);
  if (proto.data_location === DATA_LOCATION_EXTERNAL) throw new NeuropodError('MODEL_INVALID', `${where} keeps its data in an external file that was not read`);
  const shape = proto.dims.map((d) => int64ToNumber(d));
  const size = sizeOf(shape);
  const data = hasField(proto, 'raw_data') ? fromRawData(proto.raw_data, dtype, size, where) : fromTypedField(proto, dtype, size, where);
  return new Tensor(dtype, shape, data);
}

function fromRawData(raw: Uint8Array, dtype: DType, size: number, where: string): NumericArray | string[] {
  const info = DTYPES[dtype];
  if (!info.array) throw new NeuropodError('MODEL_INVALID', `${where}: string tensors cannot be stored in raw_data`);
  const needed = Math.ceil(size * info.rawBytes);
  if (raw.length !== needed) throw new NeuropodError('MODEL_INVALID', `${where}: raw_data has ${raw.length} bytes, its ${dtype} shape needs ${needed}`);
  if (FOUR_BIT.has(dtype)) return unpackFourBit(raw, dtype, size);
  // Copy so the view is aligned and does not pin the whole file (a Node Buffer's slice() would not copy);
  // ONNX raw_data is little-endian, as are JS hosts.
  const bytes = new Uint8Array(raw.length);
  bytes.set(raw);
  const view = new info.array(bytes.buffer, 0, size) as NumericArray;
  if (dtype === 'bool') for (let i = 0; i < size; i++) view[i] = view[i] ? 1 : 0;
  return view;
}

/** Two 4-bit values a byte, the first in the low nibble (onnx.proto); int4 sign-extends. */
function unpackFourBit(packed: ArrayLike<number>, dtype: DType, size: number): NumericArray {
  const out = allocate(dtype, size) as Int8Array | Uint8Array;
  for (let i = 0; i < size; i++) {
    const nibble = (packed[i >> 1]! >> ((i & 1) * 4)) & 0xf;
    out[i] = dtype === 'int4' ? (nibble << 28) >> 28 : nibble;
  }
  return out;
}

function fromTypedField(proto: TensorProtoMsg, dtype: DType, size: number, where: string): NumericArray | string[] {
  const field = TYPED_FIELD[dtype];
  const values = proto[field] as ArrayLike<unknown>;
  const expected = FOUR_BIT.has(dtype) ? Math.ceil(size / 2) : size;
  if (values.length !== expected) {
    throw new NeuropodError('MODEL_INVALID', `${where}: ${field} has ${values.length} values, its ${dtype} shape [${proto.dims.join(', ')}] needs ${expected}`);
  }
  if (dtype === 'string') return (values as ArrayLike<Uint8Array>).length ? Array.from(values as ArrayLike<Uint8Array>, (b) => (b.length ? utf8.decode(b) : '')) : [];
  if (FOUR_BIT.has(dtype)) return unpackFourBit(values as ArrayLike<number>, dtype, size);
  if (DTYPES[dtype].big) return int64Array(values as ArrayLike<Int64>, dtype === 'uint64');
  if (field === 'uint64_data') return Uint32Array.from(values as ArrayLike<Int64>, (v) => int64ToNumber(v) >>> 0);
  const out = allocate(dtype, size) as NumericArray;
  const numbers = values as ArrayLike<number>;
  for (let i = 0; i < size; i++) (out as Float64Array)[i] = dtype === 'bool' ? (numbers[i] ? 1 : 0) : numbers[i]!;
  return out;
}

/** Long's 32-bit halves laid into the 64-bit array's memory: exact for the whole int64/uint64 range. */
function int64Array(values: ArrayLike<Int64>, unsigned: boolean): BigInt64Array | BigUint64Array {
  const out = unsigned ? new BigUint64Array(values.length) : new BigInt64Array(values.length);
  const halves = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v === 'number') {
      out[i] = unsigned ? BigInt.asUintN(64, BigInt(v)) : BigInt(v);
    } else {
      halves[2 * i] = v.low;
      halves[2 * i + 1] = v.high;
    }
  }
  return out;
}

/** A sparse tensor made dense: indices are [NNZ] linear offsets or [NNZ, rank] coordinates (onnx.proto). */
export function denseFromSparse(proto: SparseTensorProtoMsg, where: string): Tensor {
  if (!proto.values || !proto.indices) throw new NeuropodError('MODEL_INVALID', `${where}: a sparse tensor lacks its values or indices`);
  const values = tensorFromProto(proto.values);
  const indices = tensorFromProto(proto.indices);
  const shape = proto.dims.map((d) => int64ToNumber(d));
  const dense = allocate(values.dtype, sizeOf(shape));
  const coords = Array.from(indices.data as BigInt64Array, Number);
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  for (let k = 0; k < values.size; k++) {
    let offset = 0;
    if (indices.rank === 2) for (let d = 0; d < shape.length; d++) offset += coords[k * shape.length + d]! * strides[d]!;
    else offset = coords[k]!;
    (dense as unknown[])[offset] = (values.data as ArrayLike<unknown>)[k];
  }
  return new Tensor(values.dtype, shape, dense);
}

/** A Tensor as a TensorProto message: numbers in raw_data (4-bit types packed), strings in string_data. */
export function tensorToProto(tensor: Tensor, name = ''): Partial<TensorProtoMsg> {
  const base = { name, data_type: DTYPES[tensor.dtype].onnx, dims: [...tensor.shape] };
  if (tensor.dtype === 'string') return { ...base, string_data: tensor.strings.map((s) => utf8Encoder.encode(s)) };
  const data = tensor.numeric;
  if (FOUR_BIT.has(tensor.dtype)) return { ...base, raw_data: packFourBit(data as Int8Array | Uint8Array) };
  return { ...base, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() };
}

function packFourBit(values: Int8Array | Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) out[i >> 1] = out[i >> 1]! | ((values[i]! & 0xf) << ((i & 1) * 4));
  return out;
}
