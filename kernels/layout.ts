/**
 * Moving elements between layouts: every data-movement op (Transpose, Slice, Pad, Expand, Tile, Gather, ...) is a
 * map from each output element to the source element it copies (or to "fill"). The map is computed once from
 * shapes and applied to any dtype, raw storage kept (float16/float8 bits, int64 BigInts, strings).
 */
import { NeuropodError } from '../src/api/errors.js';
import { allocate, type NumericArray } from '../src/tensor/dtype.js';
import { Tensor, sizeOf, type Shape } from '../src/tensor/tensor.js';
import { stridesOf } from './indexing.js';

/** A raw storage element: what `tensor.data[i]` holds. */
export type RawElement = number | bigint | string;

/** Marks an output element that takes the fill value instead of a source element. */
export const FILL = -1;

/** Calls `visit` with each multi-index of `shape` in row-major order (the array is reused between calls). */
export function forEachIndex(shape: Shape, visit: (idx: number[], flat: number) => void): void {
  const size = sizeOf(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < size; flat++) {
    visit(idx, flat);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** For each element of `outShape`, the source flat index `source` names (or FILL). */
export function indexMap(outShape: Shape, source: (idx: readonly number[]) => number): Int32Array {
  const map = new Int32Array(sizeOf(outShape));
  forEachIndex(outShape, (idx, flat) => {
    map[flat] = source(idx);
  });
  return map;
}

/** The zero of a dtype's storage ('' for strings, 0n for int64). */
export function zeroOf(t: Tensor): RawElement {
  if (Array.isArray(t.data)) return '';
  return t.data instanceof BigInt64Array || t.data instanceof BigUint64Array ? 0n : 0;
}

/** A tensor of `outShape` whose element i is `t.data[map[i]]`, or `fill` where map[i] is FILL. */
export function takeByMap(t: Tensor, map: ArrayLike<number>, outShape: Shape, fill: RawElement = zeroOf(t)): Tensor {
  const out = allocate(t.dtype, map.length);
  const src = t.data as ArrayLike<RawElement>;
  const dst = out as unknown as RawElement[];
  for (let i = 0; i < map.length; i++) {
    const j = map[i]!;
    dst[i] = j === FILL ? fill : src[j]!;
  }
  return new Tensor(t.dtype, [...outShape], out);
}

/** Same data, another shape (Reshape, Squeeze, Flatten): storage is shared, as kernels never write their inputs. */
export function withShape(t: Tensor, shape: Shape): Tensor {
  if (sizeOf(shape) !== t.size) throw new NeuropodError('INFERENCE_FAILED', `cannot view ${t.size} elements as shape [${shape.join(', ')}]`);
  return new Tensor(t.dtype, [...shape], t.data);
}

/** numpy.transpose: output axis i is input axis perm[i]. */
export function transpose(t: Tensor, perm: readonly number[]): Tensor {
  const strides = stridesOf(t.shape);
  const outShape = perm.map((p) => t.shape[p]!);
  const permStrides = perm.map((p) => strides[p]!);
  return takeByMap(t, indexMap(outShape, (idx) => dot(idx, permStrides)), outShape);
}

export function dot(idx: readonly number[], strides: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < idx.length; i++) s += idx[i]! * strides[i]!;
  return s;
}

/** Tensors of one rank joined along `axis` (numpy.concatenate); shapes must agree elsewhere. */
export function concat(parts: readonly Tensor[], axis: number): Tensor {
  const first = parts[0]!;
  const outShape = [...first.shape];
  outShape[axis] = parts.reduce((n, p) => n + p.shape[axis]!, 0);
  for (const p of parts) {
    if (p.rank !== first.rank || p.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      throw new NeuropodError('INFERENCE_FAILED', `Concat: shape [${p.shape.join(', ')}] does not match [${first.shape.join(', ')}] off axis ${axis}`);
    }
  }
  const outer = sizeOf(first.shape.slice(0, axis));
  const inner = sizeOf(first.shape.slice(axis + 1));
  const out = allocate(first.dtype, sizeOf(outShape));
  const rowLen = outShape[axis]! * inner;
  let offset = 0;
  for (const p of parts) {
    const len = p.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) copyRun(p.data, o * len, out, o * rowLen + offset, len);
    offset += len;
  }
  return new Tensor(first.dtype, outShape, out);
}

/** Copies `len` elements, by block for typed arrays. */
export function copyRun(src: Tensor['data'], from: number, dst: Tensor['data'], to: number, len: number): void {
  if (Array.isArray(src)) {
    for (let i = 0; i < len; i++) (dst as string[])[to + i] = src[from + i]!;
  } else {
    (dst as NumericArray).set(src.subarray(from, from + len) as never, to);
  }
}

/** Elements [start, start+len) of `axis`, the other axes whole. */
export function narrow(t: Tensor, axis: number, start: number, len: number): Tensor {
  const outer = sizeOf(t.shape.slice(0, axis));
  const inner = sizeOf(t.shape.slice(axis + 1));
  const n = t.shape[axis]!;
  const out = allocate(t.dtype, outer * len * inner);
  for (let o = 0; o < outer; o++) copyRun(t.data, (o * n + start) * inner, out, o * len * inner, len * inner);
  const shape = [...t.shape];
  shape[axis] = len;
  return new Tensor(t.dtype, shape, out);
}

/** numpy broadcast_to: `t` read at each index of `outShape` (size-1 and missing leading dims repeat). */
export function broadcastTo(t: Tensor, outShape: Shape): Tensor {
  const strides = stridesOf(t.shape);
  const lead = outShape.length - t.rank;
  const eff = outShape.map((_, o) => (o < lead || t.shape[o - lead] === 1 ? 0 : strides[o - lead]!));
  return takeByMap(t, indexMap(outShape, (idx) => dot(idx, eff)), outShape);
}
