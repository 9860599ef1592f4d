import { allocate, DTYPES, type DType, type NumericArray } from '../src/tensor/dtype.js';
import { sizeOf, Tensor, type Shape } from '../src/tensor/tensor.js';
import { broadcastIndexMap, broadcastShapes } from './indexing.js';
import { decodeMinifloats, encodeMinifloats, isMinifloat, roundHalfToEven } from './minifloat.js';

/** One element as kernels compute on it: a number, a bigint (int64/uint64 only), or a string. */
export type Scalar = number | bigint | string;

/** Writable element storage seen through one type. */
export interface Elements {
  [i: number]: Scalar;
  readonly length: number;
}

export function isBig(dtype: DType): boolean {
  return DTYPES[dtype].big;
}

/** Integer dtypes (bool excluded) kept as JS numbers, whose arithmetic must wrap like C's. */
export function isSmallInt(dtype: DType): boolean {
  return !DTYPES[dtype].float && !DTYPES[dtype].big && dtype !== 'bool' && dtype !== 'string';
}

/** Elements to compute on: narrow floats decoded to numbers, everything else the storage itself (no copy). */
export function readElements(t: Tensor): ArrayLike<Scalar> {
  if (isMinifloat(t.dtype)) return decodeMinifloats(t.dtype, t.data as Uint8Array | Uint16Array);
  return t.data as ArrayLike<Scalar>;
}

/** Elements as numbers (int64 converted, exact below 2^53). */
export function readNumbers(t: Tensor): ArrayLike<number> {
  const e = readElements(t);
  if (!isBig(t.dtype)) return e as ArrayLike<number>;
  return Float64Array.from(e as ArrayLike<bigint>, Number);
}

/** Elements as bigints, for exact integer arithmetic on any integer dtype. */
export function readBigInts(t: Tensor): ArrayLike<bigint> {
  const e = readElements(t);
  if (isBig(t.dtype)) return e as ArrayLike<bigint>;
  return Array.from(e as ArrayLike<number>, (v) => BigInt(v));
}

/**
 * Where results go: the dtype's storage when it can hold a computed value as is (typed arrays convert and wrap
 * on store, as a C cast does), else a Float64Array that `finish` encodes (narrow floats rounded to nearest even;
 * int4/uint4 rounded and clamped to their range).
 */
export class ElementSink {
  readonly values: Elements;
  constructor(readonly dtype: DType, size: number, private readonly saturate = true) {
    this.values = isMinifloat(dtype) || dtype === 'int4' || dtype === 'uint4' ? new Float64Array(size) : (allocate(dtype, size) as Elements);
  }

  finish(shape: Shape): Tensor {
    const v = this.values;
    if (isMinifloat(this.dtype)) return new Tensor(this.dtype, [...shape], encodeMinifloats(this.dtype, v as Float64Array, this.saturate));
    if (this.dtype === 'int4' || this.dtype === 'uint4') return new Tensor(this.dtype, [...shape], toInt4(this.dtype, v as Float64Array));
    return new Tensor(this.dtype, [...shape], v as NumericArray | string[]);
  }
}

const INT4_RANGE = { int4: [-8, 7], uint4: [0, 15] } as const;

/** Float values to int4/uint4 (one value a byte): rounded half to even and clamped, as ONNX's reference casts. */
export function toInt4(dtype: 'int4' | 'uint4', values: ArrayLike<number>): Int8Array | Uint8Array {
  const [lo, hi] = INT4_RANGE[dtype];
  const out = dtype === 'int4' ? new Int8Array(values.length) : new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = Number.isNaN(v) ? 0 : Math.min(hi, Math.max(lo, roundHalfToEven(v)));
  }
  return out;
}

/** `f` applied to every element of `t`, results stored as `outDtype`. */
export function mapElements(t: Tensor, outDtype: DType, f: (x: Scalar) => Scalar): Tensor {
  const x = readElements(t);
  const sink = new ElementSink(outDtype, t.size);
  const out = sink.values;
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return sink.finish(t.shape);
}

/** For each output index, the input index (undefined when the input already has the output's size). */
function indexMap(shape: Shape, outShape: Shape, outSize: number): Int32Array | undefined {
  return sizeOf(shape) === outSize ? undefined : broadcastIndexMap(shape, outShape);
}

/** `f` over `a` and `b` broadcast together (ONNX Broadcasting.md), results stored as `outDtype`. */
export function broadcastElements(a: Tensor, b: Tensor, outDtype: DType, f: (x: Scalar, y: Scalar) => Scalar): Tensor {
  return broadcastValues(readElements(a), a.shape, readElements(b), b.shape, outDtype, f);
}

export function broadcastValues<X extends Scalar, Y extends Scalar>(
  x: ArrayLike<X>, xShape: Shape, y: ArrayLike<Y>, yShape: Shape, outDtype: DType, f: (x: X, y: Y) => Scalar,
): Tensor {
  const shape = broadcastShapes(xShape, yShape);
  const n = sizeOf(shape);
  const sink = new ElementSink(outDtype, n);
  const out = sink.values;
  const ia = indexMap(xShape, shape, n);
  const ib = indexMap(yShape, shape, n);
  if (!ia && !ib) for (let i = 0; i < n; i++) out[i] = f(x[i]!, y[i]!);
  else if (!ia) for (let i = 0; i < n; i++) out[i] = f(x[i]!, y[ib![i]!]!);
  else if (!ib) for (let i = 0; i < n; i++) out[i] = f(x[ia[i]!]!, y[i]!);
  else for (let i = 0; i < n; i++) out[i] = f(x[ia[i]!]!, y[ib[i]!]!);
  return sink.finish(shape);
}

/** Storage-level selection that works for every dtype (strings and raw narrow-float codes included). */
export function broadcastSelect(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(cond.shape, a.shape, b.shape);
  const n = sizeOf(shape);
  const c = cond.data as ArrayLike<number>;
  const x = a.data as ArrayLike<Scalar>;
  const y = b.data as ArrayLike<Scalar>;
  const ic = broadcastIndexMap(cond.shape, shape);
  const ia = broadcastIndexMap(a.shape, shape);
  const ib = broadcastIndexMap(b.shape, shape);
  const out = allocate(a.dtype, n) as Elements;
  for (let i = 0; i < n; i++) out[i] = c[ic[i]!] ? x[ia[i]!]! : y[ib[i]!]!;
  return new Tensor(a.dtype, shape, out as NumericArray | string[]);
}
