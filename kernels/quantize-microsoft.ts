/**
 * com.microsoft quantized operators (onnxruntime ContribOperators.md): elementwise QLinear ops, pools, concat and
 * softmax on dequantized values requantized to the output's scale; MatMulIntegerToFloat, DynamicQuantizeMatMul and
 * GatherBlockQuantized. Where onnxruntime rounds in float32 in a particular order (its pools), so do these.
 */
import type { Value } from '../src/graph/value.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { fromNumbers, optionalTensor, tensorInput, toNumbers } from './elements.js';
import { broadcastIndexMap, broadcastShapes, normalizeAxis } from './indexing.js';
import { centered, columnScale, dequantize, dynamicQuantizeLinear, paramIndex, quantize, quantizedValues, storeQuantized } from './linear-quantization.js';
import { matmul } from './matmul.js';
import { convGeometry, gatherOffsets } from './quantized-conv.js';
import { moveChannels } from './channel-layout.js';
import type { KernelContext, KernelDef } from './registry.js';

type Inputs = (Value | undefined)[];

/** The dequantized input of a com.microsoft QLinear op whose operand triple starts at `at`. */
function dequantizedInput(inputs: Inputs, at: number, op: string): { t: Tensor; v: Float64Array } {
  const t = tensorInput(inputs, at, op);
  const zp = optionalTensor(inputs, at + 2);
  return { t, v: dequantize(quantizedValues(t), { scale: toNumbers(tensorInput(inputs, at + 1, op)), zeroPoint: zp && quantizedValues(zp), index: () => 0 }) };
}

/** Float values quantized to the (scale, zero point) at inputs[at], inputs[at + 1]; the zero point's dtype, else `fallback`. */
function requantize(y: Float64Array, shape: readonly number[], inputs: Inputs, at: number, fallback: Tensor['dtype']): Tensor {
  const zp = optionalTensor(inputs, at + 1);
  return quantize(y, shape, { scale: toNumbers(tensorInput(inputs, at, 'QLinear')), zeroPoint: zp && quantizedValues(zp), index: () => 0 }, zp?.dtype ?? fallback);
}

/** A float function of dequantized operands, broadcast numpy-style, quantized to the output's scale and zero point. */
function requantized(inputs: Inputs, operands: number, outAt: number, fn: (...v: number[]) => number): Tensor {
  const ops = Array.from({ length: operands }, (_, k) => dequantizedInput(inputs, 3 * k, 'QLinear'));
  const shape = broadcastShapes(...ops.map(({ t }) => t.shape));
  const deq = ops.map(({ t, v }) => {
    const map = broadcastIndexMap(t.shape, shape);
    return (i: number) => v[map[i]!]!;
  });
  const y = new Float64Array(sizeOf(shape)).map((_, i) => fn(...deq.map((d) => d(i))));
  return requantize(y, shape, inputs, outAt, ops[0]!.t.dtype);
}

/** QLinearGlobalAveragePool (com.microsoft): mean over the spatial dims, NCHW or channels_last. */
function qLinearGlobalAveragePool(inputs: Inputs, ctx: KernelContext): Tensor {
  const { t: x, v, scale } = centeredInput(inputs, 0, 'QLinearGlobalAveragePool');
  const last = ctx.attrs.int('channels_last', 0) !== 0;
  const n = x.shape[0]!;
  const c = last ? x.shape[x.rank - 1]! : x.shape[1]!;
  const spatial = x.size / (n * c);
  const y = new Float64Array(n * c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      let sum = 0;
      for (let s = 0; s < spatial; s++) sum += v[last ? (b * spatial + s) * c + ch : (b * c + ch) * spatial + s]!;
      y[b * c + ch] = sum;
    }
  }
  const shape = last ? [n, ...x.shape.slice(1, -1).map(() => 1), c] : [n, c, ...x.shape.slice(2).map(() => 1)];
  return requantizeAverages(y, () => spatial, shape, scale, inputs, 3, x.dtype);
}

/** QLinearConcat (com.microsoft): inputs are (Y_scale, Y_zero_point, then X, X_scale, X_zero_point per operand). */
function qLinearConcat(inputs: Inputs, ctx: KernelContext): Tensor {
  const parts: { t: Tensor; v: Float64Array }[] = [];
  for (let k = 2; k + 1 < inputs.length; k += 3) parts.push(dequantizedInput(inputs, k, 'QLinearConcat'));
  const rank = parts[0]!.t.rank;
  const axis = normalizeAxis(ctx.attrs.require('axis', 'int'), rank);
  const outer = sizeOf(parts[0]!.t.shape.slice(0, axis));
  const shape = [...parts[0]!.t.shape];
  shape[axis] = parts.reduce((s, p) => s + p.t.shape[axis]!, 0);
  const y = new Float64Array(sizeOf(shape));
  let at = 0;
  const rowOut = sizeOf(shape.slice(axis));
  for (const { t, v } of parts) {
    const row = sizeOf(t.shape.slice(axis));
    for (let o = 0; o < outer; o++) y.set(v.subarray(o * row, (o + 1) * row), o * rowOut + at);
    at += row;
  }
  return requantize(y, shape, inputs, 0, parts[0]!.t.dtype);
}

/** MatMulIntegerToFloat (com.microsoft): (A - a_zp)(B - b_zp) * a_scale * b_scale + bias, in float. */
function matMulIntegerToFloat(inputs: Inputs): Tensor {
  const [a, b, aScale, bScale, aZp, bZp, bias] = inputs.map((v) => v as Tensor | undefined);
  const product = matmul(centered(a!, aZp, 'a'), centered(b!, bZp, 'b'));
  const mult = columnScale(aScale!, bScale!, product.shape);
  const n = product.shape[product.rank - 1]!;
  const bv = bias && toNumbers(bias);
  const y = (product.numeric as Float64Array).map((v, i) => Math.fround(Math.fround(v * mult(i)) + (bv ? bv[i % n]! : 0)));
  return fromNumbers(aScale!.dtype, product.shape, y);
}

/** DynamicQuantizeMatMul (com.microsoft): A quantized to uint8 on the fly, then MatMulIntegerToFloat. */
function dynamicQuantizeMatMul(inputs: Inputs): Tensor {
  const [a, b, bScale, bZp, bias] = inputs.map((v) => v as Tensor | undefined);
  const [qa, aScale, aZp] = dynamicQuantizeLinear(a!);
  return matMulIntegerToFloat([qa, b, aScale, bScale, aZp, bZp, bias]);
}

/**
 * GatherBlockQuantized (com.microsoft): Gather along gather_axis of data dequantized in blocks of block_size along
 * quantize_axis. uint8 data packs `bits`-bit values low bits first; the default zero point is 0 for int4 and
 * 2^(bits-1) for unsigned data.
 */
function gatherBlockQuantized(inputs: Inputs, ctx: KernelContext): Tensor {
  const data = tensorInput(inputs, 0, 'GatherBlockQuantized');
  const indices = toNumbers(tensorInput(inputs, 1, 'GatherBlockQuantized'));
  const indexShape = tensorInput(inputs, 1, 'GatherBlockQuantized').shape;
  const scales = tensorInput(inputs, 2, 'GatherBlockQuantized');
  const zp = optionalTensor(inputs, 3);
  const bits = ctx.attrs.int('bits', 4);
  const perByte = data.dtype === 'uint8' ? 8 / bits : 1;
  const shape = [...data.shape.slice(0, -1), data.shape[data.rank - 1]! * perByte];
  const raw = quantizedValues(data);
  const q = perByte === 1 ? raw : Float64Array.from({ length: raw.length * perByte }, (_, i) => (raw[Math.floor(i / perByte)]! >> ((i % perByte) * bits)) & ((1 << bits) - 1));
  const zpValues = zp && (perByte === 1 ? quantizedValues(zp) : Float64Array.from({ length: zp.size * perByte }, (_, i) => ((zp.data as Uint8Array)[Math.floor(i / perByte)]! >> ((i % perByte) * bits)) & ((1 << bits) - 1)));
  const index = paramIndex(shape, scales.shape, ctx.attrs.int('quantize_axis', shape.length - 1), ctx.attrs.int('block_size', 128));
  const defaultZp = data.dtype === 'int4' || data.dtype === 'int8' ? 0 : 1 << (bits - 1);
  const values = dequantize(q, { scale: toNumbers(scales), zeroPoint: zpValues ?? new Float64Array(sizeOf(scales.shape)).fill(defaultZp), index });
  const axis = normalizeAxis(ctx.attrs.int('gather_axis', 0), shape.length);
  const n = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const out = new Float64Array(outer * indices.length * inner);
  for (let o = 0; o < outer; o++) {
    indices.forEach((raw, j) => {
      const at = raw < 0 ? raw + n : raw;
      out.set(values.subarray((o * n + at) * inner, (o * n + at + 1) * inner), (o * indices.length + j) * inner);
    });
  }
  return fromNumbers(scales.dtype, [...shape.slice(0, axis), ...indexShape, ...shape.slice(axis + 1)], out);
}

/** A QLinear operand as integers less its zero point, with its scale (pools sum these exactly). */
function centeredInput(inputs: Inputs, at: number, op: string): { t: Tensor; v: Float64Array; scale: number } {
  const t = tensorInput(inputs, at, op);
  const zp = optionalTensor(inputs, at + 2);
  const z = zp ? quantizedValues(zp)[0]! : 0;
  return { t, v: quantizedValues(t).map((q) => q - z), scale: toNumbers(tensorInput(inputs, at + 1, op))[0]! };
}

/**
 * Sums of centered integers requantized as onnxruntime's global average pool does: sum * (x_scale / count /
 * y_scale) in float32, rounded half to even, plus the output zero point (so exact ties round the same way).
 */
function requantizeAverages(sums: Float64Array, counts: (i: number) => number, shape: readonly number[], xScale: number, inputs: Inputs, at: number, fallback: Tensor['dtype']): Tensor {
  const ys = toNumbers(tensorInput(inputs, at, 'QLinear'))[0]!;
  const zp = optionalTensor(inputs, at + 1);
  const z = zp ? quantizedValues(zp)[0]! : 0;
  const scaled = sums.map((sum, i) => Math.fround(sum * Math.fround(Math.fround(xScale / counts(i)) / ys)));
  return storeQuantized(zp?.dtype ?? fallback, shape, scaled, () => z, true);
}

/** onnxruntime's float-to-quantized step in its pools: nearbyint(y / y_scale + zero_point) in float32, saturated. */
function requantizeFloat32(y: Float64Array, shape: readonly number[], inputs: Inputs, at: number, fallback: Tensor['dtype']): Tensor {
  const ys = toNumbers(tensorInput(inputs, at, 'QLinear'))[0]!;
  const zp = optionalTensor(inputs, at + 1);
  const z = zp ? quantizedValues(zp)[0]! : 0;
  return storeQuantized(zp?.dtype ?? fallback, shape, y.map((v) => Math.fround(Math.fround(v / ys) + z)), () => 0, true);
}

/**
 * QLinearAveragePool (com.microsoft): AveragePool (pads, strides, ceil_mode, count_include_pad) on the dequantized
 * input, summed and divided in float32 as onnxruntime's kernel does.
 */
function qLinearAveragePool(inputs: Inputs, ctx: KernelContext): Tensor {
  const { t: x, v: centered, scale } = centeredInput(inputs, 0, 'QLinearAveragePool');
  const raw = centered.map((q) => Math.fround(scale * q));
  const last = ctx.attrs.int('channels_last', 0) !== 0;
  const v = last ? moveChannels(raw, x.shape, false) : raw;
  const [n, c] = last ? [x.shape[0]!, x.shape[x.rank - 1]!] : [x.shape[0]!, x.shape[1]!];
  const inSpatial = last ? x.shape.slice(1, -1) : x.shape.slice(2);
  const kernel = ctx.attrs.require('kernel_shape', 'ints');
  const g = convGeometry(inSpatial, kernel, ctx);
  const offsets = gatherOffsets(inSpatial, g);
  const kSize = sizeOf(kernel);
  const inSize = sizeOf(inSpatial);
  const outSize = sizeOf(g.out);
  const includePad = ctx.attrs.int('count_include_pad', 0) !== 0;
  const y = new Float64Array(n * c * outSize);
  for (let plane = 0; plane < n * c; plane++) {
    for (let op = 0; op < outSize; op++) {
      let sum = 0;
      let count = 0;
      for (let kp = 0; kp < kSize; kp++) {
        const off = offsets[op * kSize + kp]!;
        if (off < 0) continue;
        sum = Math.fround(sum + v[plane * inSize + off]!);
        count++;
      }
      y[plane * outSize + op] = Math.fround(sum / (includePad ? kSize : count));
    }
  }
  const nchw = [n, c, ...g.out];
  return last ? requantizeFloat32(moveChannels(y, nchw, true), [n, ...g.out, c], inputs, 3, x.dtype) : requantizeFloat32(y, nchw, inputs, 3, x.dtype);
}

/**
 * QLinearSoftmax (com.microsoft): Softmax of the dequantized input, requantized. `opset` names the Softmax
 * semantics: before 13 the input is flattened to 2-D at `axis`, from 13 the softmax runs along `axis` alone.
 */
function qLinearSoftmax(inputs: Inputs, ctx: KernelContext): Tensor {
  const { t: x, v } = dequantizedInput(inputs, 0, 'QLinearSoftmax');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.rank);
  const legacy = ctx.attrs.int('opset', 13) < 13;
  const len = legacy ? sizeOf(x.shape.slice(axis)) : x.shape[axis]!;
  const inner = legacy ? 1 : sizeOf(x.shape.slice(axis + 1));
  const y = new Float64Array(v.length);
  for (let o = 0; o < v.length / (len * inner); o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number): number => (o * len + j) * inner + i;
      let max = -Infinity;
      for (let j = 0; j < len; j++) max = Math.max(max, v[at(j)]!);
      let sum = 0;
      for (let j = 0; j < len; j++) sum += y[at(j)] = Math.exp(v[at(j)]! - max);
      for (let j = 0; j < len; j++) y[at(j)]! /= sum;
    }
  }
  return requantize(y, x.shape, inputs, 3, x.dtype);
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const ms = 'com.microsoft';

export const quantizeMicrosoftKernels: KernelDef[] = [
  { op: 'QLinearAdd', domain: ms, run: (inputs) => [requantized(inputs, 2, 6, (a, b) => a! + b!)] },
  { op: 'QLinearMul', domain: ms, run: (inputs) => [requantized(inputs, 2, 6, (a, b) => a! * b!)] },
  { op: 'QLinearSigmoid', domain: ms, run: (inputs) => [requantized(inputs, 1, 3, (a) => sigmoid(a!))] },
  { op: 'QLinearLeakyRelu', domain: ms, run: (inputs, ctx) => [requantized(inputs, 1, 3, (a) => (a! >= 0 ? a! : a! * ctx.attrs.float('alpha', 0.01)))] },
  { op: 'QLinearGlobalAveragePool', domain: ms, run: (inputs, ctx) => [qLinearGlobalAveragePool(inputs, ctx)] },
  { op: 'QLinearConcat', domain: ms, run: (inputs, ctx) => [qLinearConcat(inputs, ctx)] },
  { op: 'MatMulIntegerToFloat', domain: ms, run: (inputs) => [matMulIntegerToFloat(inputs)] },
  { op: 'QLinearAveragePool', domain: ms, run: (inputs, ctx) => [qLinearAveragePool(inputs, ctx)] },
  { op: 'QLinearSoftmax', domain: ms, run: (inputs, ctx) => [qLinearSoftmax(inputs, ctx)] },
  { op: 'GatherBlockQuantized', domain: ms, run: (inputs, ctx) => [gatherBlockQuantized(inputs, ctx)] },
  { op: 'DynamicQuantizeMatMul', domain: ms, run: (inputs) => [dynamicQuantizeMatMul(inputs)] },
];
