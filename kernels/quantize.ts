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
import type { KernelContext, KernelDef, ShapeFn } from './registry.js';
import { convShape } from './conv.js';
import { poolShape } from './pool.js';
import { binaryOf, matmulOf, sameShape, withShapes, type ShapeTable } from './shape-rules.js';

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

/** QuantizeLinear: X's shape in the zero point's dtype, else output_dtype, else uint8 (QuantizeLinear-21 doc). */
const quantizeShape: ShapeFn = (inputs, ctx) => {
  const code = ctx.attrs.int('output_dtype', 0);
  const hasZp = (ctx.node.inputs[2] ?? '') !== '';
  const dtype = hasZp ? inputs[2]?.dtype : ((code ? dtypeFromOnnx(code) : undefined) ?? 'uint8');
  return [{ dtype, dims: inputs[0]?.dims }];
};

const dequantizeShape: ShapeFn = (inputs, ctx) => {
  const code = ctx.attrs.int('output_dtype', 0);
  return [{ dtype: (code ? dtypeFromOnnx(code) : undefined) ?? inputs[1]?.dtype, dims: inputs[0]?.dims }];
};

/** QLinearConv / ConvInteger: Conv's shape of X (input 0) and W (`w`), in `dtype` or the output zero point's. */
function quantizedConvShape(w: number, dtype?: 'int32'): ShapeFn {
  return (inputs, ctx) => [{ ...convShape([inputs[0], inputs[w]], ctx)[0], dtype: dtype ?? inputs[7]?.dtype }];
}

/** The com.microsoft QLinear ops with the default NCHW layout; channels_last makes the rule unknown. */
function channelsFirst(rule: ShapeFn): ShapeFn {
  return (inputs, ctx) => (ctx.attrs.int('channels_last', 0) === 0 ? rule(inputs, ctx) : [{ dtype: inputs[0]?.dtype }]);
}

const QUANTIZE_SHAPES: ShapeTable = {
  QuantizeLinear: quantizeShape,
  DequantizeLinear: dequantizeShape,
  [`${ms}::QuantizeLinear`]: quantizeShape,
  [`${ms}::DequantizeLinear`]: dequantizeShape,
  DynamicQuantizeLinear: (inputs) => [{ dtype: 'uint8', dims: inputs[0]?.dims }, { dtype: 'float32', dims: [] }, { dtype: 'uint8', dims: [] }],
  MatMulInteger: matmulOf(0, 1, 'int32'),
  QLinearMatMul: (inputs, ctx) => [{ ...matmulOf(0, 3)(inputs, ctx)[0], dtype: inputs[7]?.dtype }],
  QLinearConv: quantizedConvShape(3),
  ConvInteger: quantizedConvShape(1, 'int32'),
  [`${ms}::QLinearAdd`]: (inputs, ctx) => binaryOf()([inputs[0], inputs[3]], ctx),
  [`${ms}::QLinearMul`]: (inputs, ctx) => binaryOf()([inputs[0], inputs[3]], ctx),
  [`${ms}::QLinearSigmoid`]: sameShape,
  [`${ms}::QLinearLeakyRelu`]: sameShape,
  [`${ms}::QLinearSoftmax`]: sameShape,
  [`${ms}::QLinearGlobalAveragePool`]: channelsFirst((inputs) => [{ dtype: inputs[0]?.dtype, dims: inputs[0]?.dims?.map((d, i) => (i < 2 ? d : 1)) }]),
  [`${ms}::QLinearAveragePool`]: channelsFirst((inputs, ctx) => poolShape(inputs, ctx).slice(0, 1)),
  [`${ms}::MatMulIntegerToFloat`]: (inputs, ctx) => [{ ...matmulOf()(inputs, ctx)[0], dtype: inputs[2]?.dtype }],
  [`${ms}::DynamicQuantizeMatMul`]: matmulOf(0, 1, 'float32'),
};

export const quantizeKernels: KernelDef[] = withShapes([
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
], QUANTIZE_SHAPES);
