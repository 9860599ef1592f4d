/**
 * Every element type the engine knows. The first eleven are the Neuropod dtypes (NEUROPOD-FORMAT.md section 4),
 * the only ones that cross a package's spec boundary; the rest live inside graphs.
 */
export type DType =
  | 'float32' | 'float64' | 'string'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool' | 'float16' | 'bfloat16'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz'
  | 'int4' | 'uint4' | 'float4e2m1';

export type NumericArray =
  | Float32Array | Float64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export type TensorData = NumericArray | string[];

type ArrayConstructorOf =
  | Float32ArrayConstructor | Float64ArrayConstructor
  | Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor | BigInt64ArrayConstructor
  | Uint8ArrayConstructor | Uint16ArrayConstructor | Uint32ArrayConstructor | BigUint64ArrayConstructor;

export interface DTypeInfo {
  /** Storage of one element in memory (float16/bfloat16/float8 keep their raw bits; int4 one value a byte). */
  array: ArrayConstructorOf | null;
  /** ONNX TensorProto.DataType enum value. */
  onnx: number;
  /** Neuropod's name in validation messages (FLOAT_TENSOR ...); null when the dtype never crosses a spec. */
  neuropod: string | null;
  /** Bytes an element takes in ONNX raw_data (int4/float4 are packed two a byte there; 0.5). */
  rawBytes: number;
  /** Values are BigInt (int64/uint64). */
  big: boolean;
  /** Values are read as floating point. */
  float: boolean;
}

/** One row a dtype; ONNX enum values from onnx.proto TensorProto.DataType. */
export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float32: { array: Float32Array, onnx: 1, neuropod: 'FLOAT_TENSOR', rawBytes: 4, big: false, float: true },
  uint8: { array: Uint8Array, onnx: 2, neuropod: 'UINT8_TENSOR', rawBytes: 1, big: false, float: false },
  int8: { array: Int8Array, onnx: 3, neuropod: 'INT8_TENSOR', rawBytes: 1, big: false, float: false },
  uint16: { array: Uint16Array, onnx: 4, neuropod: 'UINT16_TENSOR', rawBytes: 2, big: false, float: false },
  int16: { array: Int16Array, onnx: 5, neuropod: 'INT16_TENSOR', rawBytes: 2, big: false, float: false },
  int32: { array: Int32Array, onnx: 6, neuropod: 'INT32_TENSOR', rawBytes: 4, big: false, float: false },
  int64: { array: BigInt64Array, onnx: 7, neuropod: 'INT64_TENSOR', rawBytes: 8, big: true, float: false },
  string: { array: null, onnx: 8, neuropod: 'STRING_TENSOR', rawBytes: 0, big: false, float: false },
  bool: { array: Uint8Array, onnx: 9, neuropod: null, rawBytes: 1, big: false, float: false },
  float16: { array: Uint16Array, onnx: 10, neuropod: null, rawBytes: 2, big: false, float: true },
  float64: { array: Float64Array, onnx: 11, neuropod: 'DOUBLE_TENSOR', rawBytes: 8, big: false, float: true },
  uint32: { array: Uint32Array, onnx: 12, neuropod: 'UINT32_TENSOR', rawBytes: 4, big: false, float: false },
  uint64: { array: BigUint64Array, onnx: 13, neuropod: 'UINT64_TENSOR', rawBytes: 8, big: true, float: false },
  bfloat16: { array: Uint16Array, onnx: 16, neuropod: null, rawBytes: 2, big: false, float: true },
  float8e4m3fn: { array: Uint8Array, onnx: 17, neuropod: null, rawBytes: 1, big: false, float: true },
  float8e4m3fnuz: { array: Uint8Array, onnx: 18, neuropod: null, rawBytes: 1, big: false, float: true },
  float8e5m2: { array: Uint8Array, onnx: 19, neuropod: null, rawBytes: 1, big: false, float: true },
  float8e5m2fnuz: { array: Uint8Array, onnx: 20, neuropod: null, rawBytes: 1, big: false, float: true },
  uint4: { array: Uint8Array, onnx: 21, neuropod: null, rawBytes: 0.5, big: false, float: false },
  int4: { array: Int8Array, onnx: 22, neuropod: null, rawBytes: 0.5, big: false, float: false },
  float4e2m1: { array: Uint8Array, onnx: 23, neuropod: null, rawBytes: 0.5, big: false, float: true },
};

/** The eleven dtypes a Neuropod spec may name. */
export const NEUROPOD_DTYPES: readonly DType[] = [
  'float32', 'float64', 'string', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
];

const BY_ONNX = new Map<number, DType>(
  (Object.entries(DTYPES) as [DType, DTypeInfo][]).map(([name, info]) => [info.onnx, name]),
);

export function dtypeFromOnnx(code: number): DType | undefined {
  return BY_ONNX.get(code);
}

export function isDType(name: unknown): name is DType {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, name);
}

/** A zeroed storage array for `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): TensorData {
  const ctor = DTYPES[dtype].array;
  return ctor ? new ctor(size) : new Array<string>(size).fill('');
}
