/**
 * Linear quantization arithmetic shared by the quantized kernels (ONNX QuantizeLinear/DequantizeLinear):
 * q = saturate(round_half_even(x / scale) + zero_point), x = (q - zero_point) * scale, with scales per tensor, per
 * axis, or per block along an axis (opset 21 block_size). Float8/float4 codes go through the minifloat codecs.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { DType } from '../src/tensor/dtype.js';
import { Tensor, sizeOf, type Shape } from '../src/tensor/tensor.js';
import { fromNumbers, toNumbers } from './elements.js';
import { normalizeAxis } from './indexing.js';
import { decodeMinifloats, encodeMinifloats, isMinifloat } from './minifloat.js';

/** Integer ranges a quantized value saturates to. */
const INT_RANGES: Partial<Record<DType, [number, number]>> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767],
  uint4: [0, 15], int4: [-8, 7], int32: [-2147483648, 2147483647],
};

export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Element values of a quantized tensor (float8/float4 decoded from their bits). */
export function quantizedValues(t: Tensor): Float64Array {
  return isMinifloat(t.dtype) && t.dtype !== 'float16' && t.dtype !== 'bfloat16' ? decodeMinifloats(t.dtype, t.data as Uint8Array) : toNumbers(t);
}

/** A tensor of `dtype` from values already divided by their scale: rounded, shifted, saturated. */
export function storeQuantized(dtype: DType, shape: Shape, scaled: Float64Array, zeroPoint: (i: number) => number, saturate: boolean): Tensor {
  if (isMinifloat(dtype)) return new Tensor(dtype, [...shape], encodeMinifloats(dtype, scaled.map((v, i) => Math.fround(v + zeroPoint(i))), saturate));
  const range = INT_RANGES[dtype];
  if (!range) throw new NeuropodError('INFERENCE_FAILED', `cannot quantize to ${dtype}`);
  const q = scaled.map((v, i) => Math.min(range[1], Math.max(range[0], roundHalfEven(v) + zeroPoint(i))));
  return fromNumbers(dtype, shape, q);
}

/**
 * Maps each element of `shape` to its entry in a scale/zero-point tensor of `paramShape`: one entry (per tensor),
 * one per index of `axis` (per axis), or one per `blockSize` indices of `axis` (blocked, params of x's rank).
 */
export function paramIndex(shape: Shape, paramShape: Shape, axis: number, blockSize = 0): (i: number) => number {
  if (sizeOf(paramShape) === 1) return () => 0;
  const a = normalizeAxis(axis, shape.length);
  const inner = sizeOf(shape.slice(a + 1));
  const n = shape[a]!;
  if (blockSize <= 0) return (i) => Math.floor(i / inner) % n;
  const blocks = paramShape[a]!;
  return (i) => {
    const outer = Math.floor(i / (inner * n));
    const at = Math.floor(i / inner) % n;
    return (outer * blocks + Math.floor(at / blockSize)) * inner + (i % inner);
  };
}

export interface LinearParams {
  scale: Float64Array;
  zeroPoint?: Float64Array;
  index: (i: number) => number;
}

export function quantize(x: Float64Array, shape: Shape, p: LinearParams, dtype: DType, saturate = true): Tensor {
  const scaled = x.map((v, i) => Math.fround(v / p.scale[p.index(i)]!));
  const zp = p.zeroPoint;
  return storeQuantized(dtype, shape, scaled, zp ? (i) => zp[p.index(i)]! : () => 0, saturate);
}

export function dequantize(q: Float64Array, p: LinearParams): Float64Array {
  const zp = p.zeroPoint;
  return q.map((v, i) => Math.fround(Math.fround(v - (zp ? zp[p.index(i)]! : 0)) * p.scale[p.index(i)]!));
}

/**
 * DynamicQuantizeLinear: uint8 with scale = (max(x, 0) - min(x, 0)) / 255 and zero point
 * round(saturate(0 - min / scale)) (ONNX Operators.md), computed in float32 as the reference does.
 */
export function dynamicQuantizeLinear(x: Tensor): Tensor[] {
  const v = toNumbers(x);
  let min = 0;
  let max = 0;
  for (const e of v) {
    if (e < min) min = e;
    if (e > max) max = e;
  }
  const scale = Math.fround(Math.fround(max - min) / 255);
  const zp = scale === 0 ? 0 : roundHalfEven(Math.min(255, Math.max(0, Math.fround(0 - Math.fround(min / scale)))));
  const q = scale === 0 ? new Tensor('uint8', [...x.shape], new Uint8Array(x.size)) : quantize(v, x.shape, { scale: Float64Array.of(scale), zeroPoint: Float64Array.of(zp), index: () => 0 }, 'uint8');
  return [q, new Tensor('float32', [], Float32Array.of(scale)), new Tensor('uint8', [], Uint8Array.of(zp))];
}

/**
 * Integer operand minus its zero point, as float64 (exact for these magnitudes). A zero point is a scalar, or per
 * row of A / per column of B (onnxruntime accepts both for MatMulInteger and QLinearMatMul).
 */
export function centered(t: Tensor, zp: Tensor | undefined, side: 'a' | 'b'): Tensor {
  const v = quantizedValues(t);
  if (zp) {
    const z = quantizedValues(zp);
    const n = t.shape[t.rank - 1]!;
    const rows = t.rank > 1 ? t.shape[t.rank - 2]! : 1;
    const at = (i: number): number => {
      if (z.length === 1) return 0;
      if (side === 'b') return z.length === n ? i % n : Math.floor(i / (rows * n)) * n + (i % n);
      return z.length === rows ? Math.floor(i / n) % rows : Math.floor(i / n);
    };
    for (let i = 0; i < v.length; i++) v[i] -= z[at(i)]!;
  }
  return new Tensor('float64', [...t.shape], v);
}

/** Per-column multipliers for a product whose B side may be quantized per column. */
export function columnScale(aScale: Tensor, bScale: Tensor, shape: Shape): (i: number) => number {
  const a = toNumbers(aScale)[0]!;
  const b = toNumbers(bScale);
  const n = shape[shape.length - 1] ?? 1;
  return b.length === 1 ? () => Math.fround(a * b[0]!) : (i) => Math.fround(a * b[i % n]!);
}
