/**
 * Taking one index of an axis out of a tensor and stacking tensors along a new axis: the moves Scan, Loop and the
 * recurrent kernels make between whole sequences and their steps. Any dtype, strings included.
 */
import { allocate, type TensorData } from '../src/tensor/dtype.js';
import { Tensor, sizeOf, type Shape } from '../src/tensor/tensor.js';

/** Copies `len` elements; typed arrays by block, string arrays by element. */
export function copyElements(src: TensorData, srcOff: number, dst: TensorData, dstOff: number, len: number): void {
  if (Array.isArray(src)) {
    for (let i = 0; i < len; i++) (dst as string[])[dstOff + i] = src[srcOff + i]!;
    return;
  }
  (dst as Exclude<TensorData, string[]>).set(src.subarray(srcOff, srcOff + len) as never, dstOff);
}

/** The sub-tensor at `index` of `axis`, that axis removed (numpy `t.take(index, axis)`). */
export function takeAlongAxis(t: Tensor, axis: number, index: number): Tensor {
  const outer = sizeOf(t.shape.slice(0, axis));
  const n = t.shape[axis]!;
  const inner = sizeOf(t.shape.slice(axis + 1));
  const out = allocate(t.dtype, outer * inner);
  for (let o = 0; o < outer; o++) copyElements(t.data, (o * n + index) * inner, out, o * inner, inner);
  return new Tensor(t.dtype, [...t.shape.slice(0, axis), ...t.shape.slice(axis + 1)], out);
}

/** Tensors of one shape stacked along a new `axis` (numpy `stack`); `empty` gives the result for no parts. */
export function stackAlongAxis(parts: readonly Tensor[], axis: number, empty?: { dtype: Tensor['dtype']; shape: Shape }): Tensor {
  if (parts.length === 0) {
    const shape = empty?.shape ?? [];
    return new Tensor(empty?.dtype ?? 'float32', [...shape.slice(0, axis), 0, ...shape.slice(axis)], allocate(empty?.dtype ?? 'float32', 0));
  }
  const first = parts[0]!;
  const outer = sizeOf(first.shape.slice(0, axis));
  const inner = sizeOf(first.shape.slice(axis));
  const k = parts.length;
  const out = allocate(first.dtype, outer * k * inner);
  parts.forEach((p, j) => {
    for (let o = 0; o < outer; o++) copyElements(p.data, o * inner, out, (o * k + j) * inner, inner);
  });
  return new Tensor(first.dtype, [...first.shape.slice(0, axis), k, ...first.shape.slice(axis)], out);
}
