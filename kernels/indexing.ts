import { NeuropodError } from '../src/api/errors.js';
import type { Shape } from '../src/tensor/tensor.js';

/** Row-major strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Numpy-style multidirectional broadcasting (ONNX Broadcasting.md). */
export function broadcastShapes(...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new NeuropodError('INFERENCE_FAILED', `shapes [${shapes.map((x) => x.join(',')).join('] and [')}] cannot be broadcast together`);
    }
  }
  return out;
}

/**
 * For each flat index of `outShape`, the flat index into a tensor of `shape` broadcast to it. Returned as a
 * function of the output index; callers iterating in order should prefer `broadcastIndexMap`.
 */
export function broadcastIndexMap(shape: Shape, outShape: Shape): Int32Array {
  const size = outShape.reduce((a, b) => a * b, 1);
  const map = new Int32Array(size);
  const rank = outShape.length;
  const inStrides = stridesOf(shape);
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = rank - shape.length + i;
    eff[o] = shape[i] === 1 ? 0 : inStrides[i]!;
  }
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let flat = 0; flat < size; flat++) {
    map[flat] = src;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += eff[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= eff[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return map;
}

/** An axis in [-rank, rank) made non-negative; out of range is a model error. */
export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  if (axis < -rank || axis >= Math.max(rank, 1)) throw new NeuropodError('INFERENCE_FAILED', `${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}
