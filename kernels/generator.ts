/** Operators that make tensors from attributes and shapes (ONNX Operators.md): Constant, ConstantOfShape, Range, EyeLike. */
import { NeuropodError } from '../src/api/errors.js';
import type { AttributeValue } from '../src/graph/ir.js';
import { dtypeFromOnnx, type DType } from '../src/tensor/dtype.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { tensorInput, toIndices } from './elements.js';
import { readValues, valuesTensor } from './element-values.js';
import { indexMap, takeByMap } from './layout.js';
import type { KernelContext, KernelDef, ShapeFn } from './registry.js';
import { infoOfTensor, intsOperand, withShapes, type ShapeTable } from './shape-rules.js';

/** Constant's value_* attributes, each to the tensor it stands for (value_int is an int64 scalar, ...). */
const CONSTANT_VALUES: Record<string, (a: AttributeValue) => Tensor> = {
  value: (a) => a.value as Tensor,
  value_float: (a) => new Tensor('float32', [], Float32Array.of(a.value as number)),
  value_floats: (a) => new Tensor('float32', [(a.value as number[]).length], Float32Array.from(a.value as number[])),
  value_int: (a) => new Tensor('int64', [], BigInt64Array.of(BigInt(a.value as number))),
  value_ints: (a) => new Tensor('int64', [(a.value as number[]).length], BigInt64Array.from(a.value as number[], BigInt)),
  value_string: (a) => new Tensor('string', [], [a.value as string]),
  value_strings: (a) => new Tensor('string', [(a.value as string[]).length], [...(a.value as string[])]),
};

function constant(ctx: Pick<KernelContext, 'attrs' | 'node'>): Tensor {
  for (const [name, make] of Object.entries(CONSTANT_VALUES)) {
    const a = ctx.attrs.raw(name);
    if (a) return make(a);
  }
  throw new NeuropodError('INFERENCE_FAILED', `Constant: node '${ctx.node.name}' has none of the value attributes this engine reads (${Object.keys(CONSTANT_VALUES).join(', ')}; sparse_value is not supported)`);
}

/** ConstantOfShape: the shape filled with `value`'s single element (float32 0 by default). */
function constantOfShape(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor {
  const shape = toIndices(tensorInput(inputs, 0, 'ConstantOfShape'));
  const value = ctx.attrs.tensor('value') ?? new Tensor('float32', [1], new Float32Array(1));
  return takeByMap(value, new Int32Array(sizeOf(shape)), shape);
}

/** Range (opset 11): ceil((limit - start) / delta) elements start + i·delta, in the inputs' dtype. */
function range(inputs: Parameters<KernelDef['run']>[0]): Tensor {
  const [start, limit, delta] = [0, 1, 2].map((i) => readValues(tensorInput(inputs, i, 'Range'))[0]!);
  const dtype = tensorInput(inputs, 0, 'Range').dtype;
  if (typeof start === 'bigint') {
    const [s, l, d] = [start, limit as bigint, delta as bigint];
    const n = d > 0n ? (l - s + d - 1n) / d : (s - l - d - 1n) / -d;
    const count = Number(n > 0n ? n : 0n);
    return new Tensor(dtype, [count], BigInt64Array.from({ length: count }, (_, i) => s + BigInt(i) * d));
  }
  const [s, l, d] = [Number(start), Number(limit), Number(delta)];
  const count = Math.max(Math.ceil((l - s) / d), 0);
  return valuesTensor(dtype, [count], Array.from({ length: count }, (_, i) => s + i * d));
}

/** EyeLike: ones where column - row = k, in `dtype` (an ONNX enum) or the input's dtype. */
function eyeLike(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'EyeLike');
  const code = ctx.attrs.int('dtype');
  const dtype: DType | undefined = code === undefined ? x.dtype : dtypeFromOnnx(code);
  if (!dtype) throw new NeuropodError('INFERENCE_FAILED', `EyeLike: unknown dtype ${code}`);
  const k = ctx.attrs.int('k', 0);
  const ones = valuesTensor(dtype, [2], [0, 1]);
  return takeByMap(ones, indexMap(x.shape, (idx) => (idx[1]! - idx[0]! === k ? 1 : 0)), x.shape);
}

/** Range's length: ceil((limit - start) / delta) on known values; Range(0, n, 1) of a symbolic n has n elements. */
const rangeShape: ShapeFn = (inputs) => {
  const [start, limit, delta] = inputs.map((x) => x?.elements?.[0]);
  let n: number | string | null = null;
  if (typeof start === 'number' && typeof limit === 'number' && typeof delta === 'number' && delta !== 0) n = Math.max(Math.ceil((limit - start) / delta), 0);
  else if (start === 0 && delta === 1 && limit !== undefined) n = limit;
  return [{ dtype: inputs[0]?.dtype, dims: [n] }];
};

const GENERATOR_SHAPES: ShapeTable = {
  Constant: (_inputs, ctx) => [infoOfTensor(constant(ctx))],
  ConstantOfShape: (inputs, ctx) => {
    const shape = intsOperand(inputs, ctx, 0, 'input', 1);
    const rank = inputs[0]?.dims?.[0];
    const dims = shape ?? (typeof rank === 'number' ? new Array<null>(rank).fill(null) : undefined);
    return [{ dtype: ctx.attrs.tensor('value')?.dtype ?? 'float32', dims }];
  },
  Range: rangeShape,
  EyeLike: (inputs, ctx) => {
    const code = ctx.attrs.int('dtype');
    return [{ dtype: code === undefined ? inputs[0]?.dtype : dtypeFromOnnx(code), dims: inputs[0]?.dims }];
  },
};

export const generatorKernels: KernelDef[] = withShapes([
  { op: 'Constant', run: (_inputs, ctx) => [constant(ctx)] },
  { op: 'ConstantOfShape', run: (inputs, ctx) => [constantOfShape(inputs, ctx)] },
  { op: 'Range', run: (inputs) => [range(inputs)] },
  { op: 'EyeLike', run: (inputs, ctx) => [eyeLike(inputs, ctx)] },
], GENERATOR_SHAPES);
