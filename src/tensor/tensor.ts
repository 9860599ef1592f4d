import { NeuropodError } from '../api/errors.js';
import { DTYPES, isDType, type DType, type NumericArray, type TensorData } from './dtype.js';

export type Shape = readonly number[];

/** A dense, row-major tensor. Storage per dtype is given by DTYPES (int64 as BigInt64Array, strings as string[]). */
export class Tensor<D extends TensorData = TensorData> {
  readonly size: number;
  constructor(
    readonly dtype: DType,
    readonly shape: Shape,
    readonly data: D,
  ) {
    this.size = sizeOf(shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Numeric storage; throws for string tensors. */
  get numeric(): NumericArray {
    if (Array.isArray(this.data)) throw new NeuropodError('TENSOR_INVALID', `a string tensor has no numeric data`);
    return this.data as NumericArray;
  }

  get strings(): string[] {
    if (!Array.isArray(this.data)) throw new NeuropodError('TENSOR_INVALID', `a ${this.dtype} tensor is not a string tensor`);
    return this.data;
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const INFERRED: ReadonlyArray<[new (...a: never[]) => unknown, DType]> = [
  [Float32Array, 'float32'], [Float64Array, 'float64'], [Int8Array, 'int8'], [Int16Array, 'int16'],
  [Int32Array, 'int32'], [BigInt64Array, 'int64'], [Uint8Array, 'uint8'], [Uint16Array, 'uint16'],
  [Uint32Array, 'uint32'], [BigUint64Array, 'uint64'],
];

function inferDType(data: unknown): DType | undefined {
  if (Array.isArray(data)) {
    if (data.every((v) => typeof v === 'string')) return 'string';
    if (data.every((v) => typeof v === 'boolean')) return 'bool';
    if (data.every((v) => typeof v === 'bigint')) return 'int64';
    if (data.every((v) => typeof v === 'number')) return 'float32';
    return undefined;
  }
  for (const [ctor, dtype] of INFERRED) if (data instanceof ctor) return dtype;
  return undefined;
}

function describe(data: unknown): string {
  if (Array.isArray(data)) return `an array of ${data.length}`;
  if (data && typeof data === 'object') return (data as object).constructor?.name ?? 'an object';
  return typeof data;
}

/**
 * Makes a tensor, checking that the data fits the shape and dtype.
 * `data` is a typed array, a plain array of numbers / bigints / booleans / strings, or a flat array for `shape`.
 * Without `dtype` it is taken from the typed array (plain number arrays are float32).
 */
export function tensor(data: TensorData | readonly (number | bigint | boolean | string)[], shape: Shape, dtype?: DType): Tensor {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new NeuropodError('TENSOR_INVALID', `tensor(): shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (dtype !== undefined && !isDType(dtype)) throw new NeuropodError('TENSOR_INVALID', `tensor(): unknown dtype '${String(dtype)}'`);
  const type = dtype ?? inferDType(data);
  if (!type) throw new NeuropodError('TENSOR_INVALID', `tensor(): cannot tell the dtype of ${describe(data)}; pass it as the third argument`);
  const size = sizeOf(shape);
  if ((data as ArrayLike<unknown>).length !== size) {
    throw new NeuropodError('TENSOR_INVALID', `tensor(): shape [${shape.join(', ')}] needs ${size} elements, but the data has ${(data as ArrayLike<unknown>).length}`);
  }
  return new Tensor(type, [...shape], toStorage(data, type));
}

function toStorage(data: unknown, dtype: DType): TensorData {
  const info = DTYPES[dtype];
  if (!info.array) {
    if (!Array.isArray(data) || data.some((v) => typeof v !== 'string')) throw new NeuropodError('TENSOR_INVALID', `tensor(): a string tensor needs an array of strings`);
    return data as string[];
  }
  if (data instanceof info.array) return data as NumericArray;
  if (Array.isArray(data) && data.some((v) => typeof v === 'string')) throw new NeuropodError('TENSOR_INVALID', `tensor(): strings cannot make a ${dtype} tensor`);
  const values = Array.from(data as ArrayLike<number | bigint | boolean>, (v) => (info.big ? BigInt(typeof v === 'boolean' ? Number(v) : v) : Number(v)));
  if (dtype === 'float16' || dtype === 'bfloat16' || dtype.startsWith('float8') || dtype === 'float4e2m1') {
    if (!ArrayBuffer.isView(data)) throw new NeuropodError('TENSOR_INVALID', `tensor(): ${dtype} data must be given as its raw bits in a Uint16Array/Uint8Array`);
  }
  return (info.array as { from(a: ArrayLike<unknown>): NumericArray }).from(values);
}
