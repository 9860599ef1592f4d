import { NeuropodError } from '../api/errors.js';
import { DTYPES, isDType, type DType, type NumericArray } from '../tensor/dtype.js';
import { floatToBfloat16, floatToHalf, halfToFloat, bfloat16ToFloat } from '../tensor/float16.js';
import { sizeOf, Tensor } from '../tensor/tensor.js';

/**
 * A tensor as JSON: `{"dtype": "float32", "shape": [2, 2], "data": [1, 2, 3, 4]}`. `data` is flat in row-major
 * order or nested as numpy's tolist() writes it. int64/uint64 values are numbers or decimal strings (JSON numbers
 * lose precision past 2^53); float NaN and infinities are the strings "NaN", "Infinity", "-Infinity"; bools are
 * true/false (or 0/1); string tensors hold strings. The reference server speaks this form.
 */
export interface JsonTensor {
  dtype: string;
  shape: number[];
  data: unknown[];
}

const SPECIAL_FLOATS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '+Infinity': Infinity, '-Infinity': -Infinity, inf: Infinity, '-inf': -Infinity, nan: NaN };
const DECIMAL = /^[+-]?\d+$/;
/** Integer ranges, so an out-of-range value is an error instead of wrapping in its typed array. */
const INT_RANGE: Partial<Record<DType, readonly [bigint, bigint]>> = {
  int8: [-128n, 127n], int16: [-32768n, 32767n], int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 255n], uint16: [0n, 65535n], uint32: [0n, 2n ** 32n - 1n], uint64: [0n, 2n ** 64n - 1n],
};

function invalid(where: string, what: string): NeuropodError {
  return new NeuropodError('TENSOR_INVALID', `${where}: ${what}`);
}

/** One JSON tensor as a Tensor; `where` names it in errors ("input 'x'"). */
export function tensorFromJson(value: unknown, where = 'JSON tensor'): Tensor {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(where, 'is not an object {"dtype", "shape", "data"}');
  const { dtype, shape, data } = value as Record<string, unknown>;
  if (!isDType(dtype)) throw invalid(where, `dtype ${JSON.stringify(dtype)} is not a dtype (float32, int64, string, ...)`);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw invalid(where, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(data)) throw invalid(where, `data must be an array, got ${typeof data}`);
  const flat = data.flat(Infinity);
  const size = sizeOf(shape);
  if (flat.length !== size) throw invalid(where, `shape [${shape.join(', ')}] needs ${size} values, data has ${flat.length}`);
  return new Tensor(dtype, [...shape], storageOf(flat, dtype, where));
}

function storageOf(flat: unknown[], dtype: DType, where: string): NumericArray | string[] {
  const info = DTYPES[dtype];
  if (!info.array) {
    flat.forEach((v, i) => { if (typeof v !== 'string') throw invalid(where, `element ${i} is ${JSON.stringify(v)}, a string tensor holds strings`); });
    return flat as string[];
  }
  const out = new info.array(flat.length);
  for (let i = 0; i < flat.length; i++) (out as unknown as unknown[])[i] = elementOf(flat[i], dtype, info.big, info.float, `${where} element ${i}`);
  return out as NumericArray;
}

function elementOf(v: unknown, dtype: DType, big: boolean, float: boolean, where: string): number | bigint {
  if (big) {
    const b = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : typeof v === 'string' && DECIMAL.test(v) ? BigInt(v) : undefined;
    if (b === undefined) throw new NeuropodError('TENSOR_INVALID', `${where}: ${JSON.stringify(v)} is not an integer (give ${dtype} values as numbers up to 2^53 or decimal strings)`);
    return inRange(b, dtype, where);
  }
  if (dtype === 'bool') {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v === 0 || v === 1) return v;
    throw new NeuropodError('TENSOR_INVALID', `${where}: ${JSON.stringify(v)} is not a bool (true, false, 0 or 1)`);
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && float && v in SPECIAL_FLOATS ? SPECIAL_FLOATS[v]! : undefined;
  if (n === undefined) throw new NeuropodError('TENSOR_INVALID', `${where}: ${JSON.stringify(v)} is not a number${float ? ' (or "NaN", "Infinity", "-Infinity")' : ''}`);
  if (!float && !Number.isInteger(n)) throw new NeuropodError('TENSOR_INVALID', `${where}: ${n} is not an integer, and the tensor is ${dtype}`);
  if (!float) return Number(inRange(BigInt(n), dtype, where));
  if (dtype === 'float16') return floatToHalf(n);
  if (dtype === 'bfloat16') return floatToBfloat16(n);
  return n;
}

function inRange(b: bigint, dtype: DType, where: string): bigint {
  const range = INT_RANGE[dtype];
  if (range && (b < range[0] || b > range[1])) throw new NeuropodError('TENSOR_INVALID', `${where}: ${b} is out of the ${dtype} range [${range[0]}, ${range[1]}]`);
  return b;
}

/** A Tensor as JSON: int64 as numbers when every value is within 2^53, else every value a decimal string. */
export function tensorToJson(t: Tensor): JsonTensor {
  return { dtype: t.dtype, shape: [...t.shape], data: jsonData(t) };
}

function jsonData(t: Tensor): unknown[] {
  if (t.dtype === 'string') return [...t.strings];
  const data = t.numeric;
  if (DTYPES[t.dtype].big) {
    const values = Array.from(data as BigInt64Array);
    return values.every((v) => Number.isSafeInteger(Number(v))) ? values.map(Number) : values.map(String);
  }
  if (t.dtype === 'bool') return Array.from(data, Boolean);
  const decode = t.dtype === 'float16' ? halfToFloat : t.dtype === 'bfloat16' ? bfloat16ToFloat : Number;
  return Array.from(data as ArrayLike<number>, (v) => {
    const n = decode(v);
    return Number.isFinite(n) ? n : String(n);
  });
}

/** `{name: {"dtype", "shape", "data"}}` (text, bytes or parsed) as tensors by name. */
export function readJsonTensors(source: string | Uint8Array | object, where = 'JSON tensors'): Record<string, Tensor> {
  const parsed = typeof source === 'object' && !(source instanceof Uint8Array) ? source : parseJson(source, where);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid(where, 'is not an object mapping names to {"dtype", "shape", "data"}');
  return Object.fromEntries(Object.entries(parsed).map(([name, v]) => [name, tensorFromJson(v, `${where} '${name}'`)]));
}

export function tensorsToJson(tensors: Readonly<Record<string, Tensor>>): Record<string, JsonTensor> {
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, tensorToJson(t)]));
}

function parseJson(source: string | Uint8Array, where: string): unknown {
  const text = typeof source === 'string' ? source : new TextDecoder().decode(source);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw invalid(where, `is not JSON (${(e as Error).message})`);
  }
}
