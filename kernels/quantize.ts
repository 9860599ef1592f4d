/**
 * ONNX linear quantization operators: QuantizeLinear/DequantizeLinear (per tensor, per axis, blocked; integer,
 * int4 and float8 types; output_dtype, saturate), DynamicQuantizeLinear, and the integer products MatMulInteger,
 * QLinearMatMul, ConvInteger, QLinearConv. The com.microsoft QLinear forms are in quantize-microsoft.ts.
 */
import type { Value } from '../src/graph/value.js';
import { dtypeFromOnnx } from '../src/tensor/dtype.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { fromNumbers, optionalTensor, tensorInput, toNumbers } from './elements.js';
import { centered, columnScale, dequantize, dynamicQuantizeLinear, paramIndex, quantize, quantizedValues, storeQuantized, type LinearParams } from './linear-quantization.js';
import { matmul } from './matmul.js';
import { convolveIntegers } from './quantized-conv.js';
import { quantizeMicrosoftKernels } from './quantize-microsoft.js';
import type { KernelContext, KernelDef } from './registry.js';

type Inputs = (Value | undefined)[];

function linearParams(x: Tensor, scale: Tensor, zeroPoint: Tensor | undefined, ctx: KernelContext): LinearParams {
  const index = paramIndex(x.shape, scale.shape, ctx.attrs.int('axis', 1), ctx.attrs.int('block_size', 0));
  return { scale: toNumbers(scale), zeroPoint: zeroPoint && quantizedValues(zeroPoint), index };
}

function quantizeLinear(inputs: Inputs, ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'QuantizeLinear');
  const scale = tensorInput(inputs, 1, 'QuantizeLinear');
  const zp = optionalTensor(inputs, 2);
  const code = ctx.attrs.int('output_dtype', 0);
  const dtype = zp?.dtype ?? (code ? dtypeFromOnnx(code) : undefined) ?? 'uint8';
  return quantize(toNumbers(x), x.shape, linearParams(x, scale, zp, ctx), dtype, ctx.attrs.int('saturate', 1) !== 0);
}

function dequantizeLinear(inputs: Inputs, ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'DequantizeLinear');
  const scale = tensorInput(inputs, 1, 'DequantizeLinear');
  const code = ctx.attrs.int('output_dtype', 0);
  const dtype = (code ? dtypeFromOnnx(code) : undefined) ?? scale.dtype;
  return fromNumbers(dtype, x.shape, dequantize(quantizedValues(x), linearParams(x, scale, optionalTensor(inputs, 2), ctx)));
}

function matMulInteger(inputs: Inputs): Tensor {
  const a = centered(tensorInput(inputs, 0, 'MatMulInteger'), optionalTensor(inputs, 2), 'a');
  const b = centered(tensorInput(inputs, 1, 'MatMulInteger'), optionalTensor(inputs, 3), 'b');
  const y = matmul(a, b);
  return fromNumbers('int32', y.shape, y.numeric as Float64Array);
}

/** QLinearMatMul (onnx reference): integer product of centered operands, times a_scale*b_scale/y_scale, requantized. */
function qLinearMatMul(inputs: Inputs): Tensor {
  const [a, aScale, aZp, b, bScale, bZp, yScale, yZp] = inputs.map((v) => v as Tensor | undefined);
  const product = matmul(centered(a!, aZp, 'a'), centered(b!, bZp, 'b'));
  const ys = toNumbers(yScale!)[0]!;
  const mult = columnScale(aScale!, bScale!, product.shape);
  const scaled = (product.numeric as Float64Array).map((v, i) => Math.fround(v * Math.fround(mult(i) / ys)));
  const z = yZp ? quantizedValues(yZp)[0]! : 0;
  return storeQuantized(yZp?.dtype ?? a!.dtype, product.shape, scaled, () => z, true);
}

/** QLinearConv: integer convolution of centered x and w (w per output channel), plus int32 bias, requantized. */
function qLinearConv(inputs: Inputs, ctx: KernelContext): Tensor {
  const [x, xScale, xZp, w, wScale, wZp, yScale, yZp, bias] = inputs.map((v) => v as Tensor | undefined);
  const acc = convolveIntegers(x!, xZp, w!, wZp, bias, ctx);
  const m = acc.shape[1]!;
  const spatial = sizeOf(acc.shape.slice(2));
  const xs = toNumbers(xScale!)[0]!;
  const ws = toNumbers(wScale!);
  const ys = toNumbers(yScale!)[0]!;
  const scaled = acc.values.map((v, i) => {
    const channel = Math.floor(i / spatial) % m;
    return Math.fround(v * Math.fround(Math.fround(xs * ws[ws.length === 1 ? 0 : channel]!) / ys));
  });
  const z = yZp ? quantizedValues(yZp)[0]! : 0;
  return storeQuantized(yZp?.dtype ?? x!.dtype, acc.shape, scaled, () => z, true);
}

function convInteger(inputs: Inputs, ctx: KernelContext): Tensor {
  const [x, w, xZp, wZp] = inputs.map((v) => v as Tensor | undefined);
  const acc = convolveIntegers(x!, xZp, w!, wZp, undefined, ctx);
  return fromNumbers('int32', acc.shape, acc.values);
}

const ms = 'com.microsoft';

export const quantizeKernels: KernelDef[] = [
  { op: 'QuantizeLinear', since: 10, run: (inputs, ctx) => [quantizeLinear(inputs, ctx)] },
  { op: 'DequantizeLinear', since: 10, run: (inputs, ctx) => [dequantizeLinear(inputs, ctx)] },
  { op: 'QuantizeLinear', domain: ms, run: (inputs, ctx) => [quantizeLinear(inputs, ctx)] },
  { op: 'DequantizeLinear', domain: ms, run: (inputs, ctx) => [dequantizeLinear(inputs, ctx)] },
  { op: 'DynamicQuantizeLinear', since: 11, run: (inputs) => dynamicQuantizeLinear(tensorInput(inputs, 0, 'DynamicQuantizeLinear')) },
  { op: 'MatMulInteger', since: 10, run: (inputs) => [matMulInteger(inputs)] },
  { op: 'QLinearMatMul', since: 10, run: (inputs) => [qLinearMatMul(inputs)] },
  { op: 'QLinearConv', since: 10, run: (inputs, ctx) => [qLinearConv(inputs, ctx)] },
  { op: 'ConvInteger', since: 10, run: (inputs, ctx) => [convInteger(inputs, ctx)] },
  ...quantizeMicrosoftKernels,
];
