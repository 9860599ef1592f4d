/**
 * Element values to compare and combine (TopK, Unique, Scatter reductions, Range, OneHot): float16/bfloat16
 * decoded to numbers, int64/uint64 kept as exact BigInts, strings as strings; and back to storage.
 */
import { DTYPES, type DType } from '../src/tensor/dtype.js';
import { Tensor, type Shape } from '../src/tensor/tensor.js';
import { fromNumbers, toNumbers } from './elements.js';
import type { RawElement } from './layout.js';

export function readValues(t: Tensor): RawElement[] {
  if (Array.isArray(t.data)) return [...t.data];
  if (DTYPES[t.dtype].big) return Array.from(t.data as BigInt64Array);
  return Array.from(toNumbers(t));
}

/** A tensor of `dtype` holding `values` (numbers encoded as a cast would store them). */
export function valuesTensor(dtype: DType, shape: Shape, values: readonly RawElement[]): Tensor {
  if (dtype === 'string') return new Tensor(dtype, [...shape], values.map(String));
  if (DTYPES[dtype].big) {
    const ctor = DTYPES[dtype].array as BigInt64ArrayConstructor;
    return new Tensor(dtype, [...shape], ctor.from(values, (v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))))));
  }
  return fromNumbers(dtype, shape, values.map(Number));
}

/** One value encoded as `dtype` storage (a pad or fill value). */
export function rawOf(dtype: DType, value: RawElement): RawElement {
  return (valuesTensor(dtype, [1], [value]).data as ArrayLike<RawElement>)[0]!;
}

/** Ascending order on values of one dtype; NaN sorts last (numpy.sort). */
export function compareValues(a: RawElement, b: RawElement): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
    return a - b;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
