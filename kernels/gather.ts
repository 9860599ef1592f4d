/**
 * Indexing operators (ONNX Operators.md): Gather, GatherElements, GatherND, Scatter, ScatterElements, ScatterND,
 * TensorScatter, OneHot, NonZero, TopK, Unique. Indices are int32 or int64; a negative index counts from the end
 * of its axis.
 */
import { NeuropodError } from '../src/api/errors.js';
import { allocate } from '../src/tensor/dtype.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { tensorInput, toIndices, toNumbers } from './elements.js';
import { compareValues, readValues } from './element-values.js';
import { normalizeAxis, stridesOf } from './indexing.js';
import { copyRun, forEachIndex, indexMap, takeByMap } from './layout.js';
import { int64Of, ndOffsets, wrapIndex } from './index-tuples.js';
import { scatterElements, scatterND, tensorScatter } from './scatter.js';
import { uniqueKernel } from './unique.js';
import type { KernelContext, KernelDef, ShapeFn } from './registry.js';
import { axisOf, intsOperand, knownInts, sameShape, withShapes, type ShapeTable } from './shape-rules.js';

type Inputs = Parameters<KernelDef['run']>[0];

/** Gather: out = data[:axis] + indices.shape + data[axis+1:], each index picking a whole inner block. */
function gather(inputs: Inputs, ctx: KernelContext): Tensor {
  const data = tensorInput(inputs, 0, 'Gather');
  const indicesT = tensorInput(inputs, 1, 'Gather');
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), data.rank);
  const n = data.shape[axis]!;
  const indices = toIndices(indicesT).map((i) => wrapIndex(i, n, 'Gather'));
  const outer = sizeOf(data.shape.slice(0, axis));
  const inner = sizeOf(data.shape.slice(axis + 1));
  const out = allocate(data.dtype, outer * indices.length * inner);
  for (let o = 0; o < outer; o++) {
    indices.forEach((idx, j) => copyRun(data.data, (o * n + idx) * inner, out, (o * indices.length + j) * inner, inner));
  }
  return new Tensor(data.dtype, [...data.shape.slice(0, axis), ...indicesT.shape, ...data.shape.slice(axis + 1)], out);
}

/** GatherElements: out[i][j][k] = data[i][indices[i][j][k]][k] for axis 1 (and likewise on any axis). */
function gatherElements(inputs: Inputs, ctx: KernelContext): Tensor {
  const data = tensorInput(inputs, 0, 'GatherElements');
  const indicesT = tensorInput(inputs, 1, 'GatherElements');
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), data.rank);
  const indices = toNumbers(indicesT);
  const strides = stridesOf(data.shape);
  const map = indexMap(indicesT.shape, (idx) => {
    let s = 0;
    for (let d = 0; d < idx.length; d++) s += (d === axis ? wrapIndex(indices[flatOf(idx, indicesT.shape)]!, data.shape[axis]!, 'GatherElements') : idx[d]!) * strides[d]!;
    return s;
  });
  return takeByMap(data, map, indicesT.shape);
}

export function flatOf(idx: readonly number[], shape: readonly number[]): number {
  let s = 0;
  for (let d = 0; d < shape.length; d++) s = s * shape[d]! + idx[d]!;
  return s;
}

function gatherND(inputs: Inputs, ctx: KernelContext): Tensor {
  const data = tensorInput(inputs, 0, 'GatherND');
  const indicesT = tensorInput(inputs, 1, 'GatherND');
  const batchDims = ctx.attrs.int('batch_dims', 0);
  const { offsets, inner, tupleShape } = ndOffsets(data.shape, indicesT, batchDims, 'GatherND');
  const out = allocate(data.dtype, offsets.length * inner);
  offsets.forEach((off, t) => copyRun(data.data, off, out, t * inner, inner));
  const m = indicesT.shape[indicesT.rank - 1]!;
  return new Tensor(data.dtype, [...tupleShape, ...data.shape.slice(batchDims + m)], out);
}

/** OneHot: `depth` inserted at `axis`; on_value where the class equals the (wrapped) index, off_value elsewhere. */
function oneHot(inputs: Inputs, ctx: KernelContext): Tensor {
  const indicesT = tensorInput(inputs, 0, 'OneHot');
  const depth = Math.trunc(toNumbers(tensorInput(inputs, 1, 'OneHot'))[0]!);
  const values = tensorInput(inputs, 2, 'OneHot');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), indicesT.rank + 1);
  const indices = toNumbers(indicesT);
  const outShape = [...indicesT.shape.slice(0, axis), depth, ...indicesT.shape.slice(axis)];
  const inStrides = stridesOf(indicesT.shape);
  const map = indexMap(outShape, (idx) => {
    let flat = 0;
    for (let d = 0, k = 0; d < idx.length; d++) if (d !== axis) flat += idx[d]! * inStrides[k++]!;
    const v = Math.trunc(indices[flat]!);
    return (v < 0 ? v + depth : v) === idx[axis] ? 1 : 0;
  });
  return takeByMap(values, map, outShape);
}

/** NonZero: the multi-indices of non-zero elements, one row per axis (numpy.nonzero), as int64 [rank, count]. */
function nonZero(inputs: Inputs): Tensor {
  const x = tensorInput(inputs, 0, 'NonZero');
  const values = readValues(x);
  const hits: number[][] = [];
  forEachIndex(x.shape, (idx, flat) => {
    const v = values[flat]!;
    if (v !== 0 && v !== 0n && v !== '') hits.push([...idx]);
  });
  const rank = x.rank;
  const out = new BigInt64Array(rank * hits.length);
  hits.forEach((idx, j) => idx.forEach((v, d) => (out[d * hits.length + j] = BigInt(v))));
  return new Tensor('int64', [rank, hits.length], out);
}

/** TopK: the k largest (or smallest) along `axis`, equal values in index order (TopK-11: "the lower index first"). */
function topK(inputs: Inputs, ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'TopK');
  const k = ctx.opset >= 10 ? toIndices(tensorInput(inputs, 1, 'TopK'))[0]! : ctx.attrs.require('k', 'int');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.rank);
  const largest = ctx.attrs.int('largest', 1) === 1;
  const n = x.shape[axis]!;
  if (k < 0 || k > n) throw new NeuropodError('INFERENCE_FAILED', `TopK: k = ${k} is outside [0, ${n}]`);
  const values = readValues(x);
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outer = sizeOf(x.shape.slice(0, axis));
  const outShape = [...x.shape];
  outShape[axis] = k;
  const map = new Int32Array(outer * k * inner);
  const picked = new Float64Array(map.length);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < inner; r++) {
      const at = (i: number) => (o * n + i) * inner + r;
      order.sort((a, b) => (largest ? compareValues(values[at(b)]!, values[at(a)]!) : compareValues(values[at(a)]!, values[at(b)]!)) || a - b);
      for (let j = 0; j < k; j++) {
        map[(o * k + j) * inner + r] = at(order[j]!);
        picked[(o * k + j) * inner + r] = order[j]!;
      }
      order.sort((a, b) => a - b);
    }
  }
  return [takeByMap(x, map, outShape), int64Of(outShape, picked)];
}

/** Gather's shape (out = data[:axis] + indices + data[axis+1:]); on a known shape vector it picks the elements too. */
const gatherShape: ShapeFn = (inputs, ctx) => {
  const [data, indices] = inputs;
  if (!data?.dims || !indices?.dims) return [{ dtype: data?.dtype }];
  const axis = axisOf(ctx.attrs.int('axis', 0), data.dims.length);
  const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
  const picks = knownInts(intsOperand(inputs, ctx, 1, 'indices', 1));
  const from = data.elements;
  const elements = from && picks && data.dims.length === 1 ? picks.map((i) => from[i < 0 ? i + from.length : i] ?? null) : undefined;
  return [{ dtype: data.dtype, dims, elements: elements?.includes(null) ? undefined : elements }];
};

/** GatherND (opset 12 batch_dims): out = indices.shape[:-1] + data.shape[batch_dims + indices.shape[-1]:]. */
const gatherNDShape: ShapeFn = (inputs, ctx) => {
  const [data, indices] = inputs;
  const last = indices?.dims?.[indices.dims.length - 1];
  if (!data?.dims || !indices?.dims || typeof last !== 'number') return [{ dtype: data?.dtype }];
  const b = ctx.attrs.int('batch_dims', 0);
  return [{ dtype: data.dtype, dims: [...indices.dims.slice(0, -1), ...data.dims.slice(b + last)] }];
};

/** OneHot: depth inserted into the indices' dims at axis, in the values' dtype. */
const oneHotShape: ShapeFn = (inputs, ctx) => {
  const [indices, , values] = inputs;
  const depth = ctx.constant(1);
  if (!indices?.dims) return [{ dtype: values?.dtype }];
  const axis = axisOf(ctx.attrs.int('axis', -1), indices.dims.length + 1);
  const d = depth ? Math.trunc(Number(depth.data[0])) : null;
  return [{ dtype: values?.dtype, dims: [...indices.dims.slice(0, axis), d, ...indices.dims.slice(axis)] }];
};

/** TopK: values and int64 indices, the axis cut to k. */
const topKShape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  const k = ctx.opset >= 10 ? knownInts(intsOperand(inputs, ctx, 1, 'k', 10))?.[0] : ctx.attrs.int('k');
  if (!x?.dims) return [{ dtype: x?.dtype }, { dtype: 'int64' }];
  const dims = [...x.dims];
  dims[axisOf(ctx.attrs.int('axis', -1), dims.length)] = k ?? null;
  return [{ dtype: x.dtype, dims }, { dtype: 'int64', dims }];
};

const GATHER_SHAPES: ShapeTable = {
  Gather: gatherShape,
  GatherElements: (inputs) => [{ dtype: inputs[0]?.dtype, dims: inputs[1]?.dims }],
  GatherND: gatherNDShape,
  Scatter: sameShape,
  ScatterElements: sameShape,
  ScatterND: sameShape,
  TensorScatter: sameShape,
  OneHot: oneHotShape,
  // NonZero: one column a non-zero element, how many is data.
  NonZero: (inputs) => [{ dtype: 'int64', dims: [inputs[0]?.dims?.length ?? null, null] }],
  TopK: topKShape,
  Unique: (inputs, ctx) => [{ dtype: inputs[0]?.dtype, dims: ctx.attrs.has('axis') ? undefined : [null] }, { dtype: 'int64', dims: [null] }, { dtype: 'int64', dims: [null] }, { dtype: 'int64', dims: [null] }],
};

export const gatherKernels: KernelDef[] = withShapes([
  { op: 'Gather', run: (inputs, ctx) => [gather(inputs, ctx)] },
  { op: 'GatherElements', run: (inputs, ctx) => [gatherElements(inputs, ctx)] },
  { op: 'GatherND', run: (inputs, ctx) => [gatherND(inputs, ctx)] },
  { op: 'Scatter', run: (inputs, ctx) => [scatterElements(inputs, ctx, 'Scatter')] },
  { op: 'ScatterElements', run: (inputs, ctx) => [scatterElements(inputs, ctx, 'ScatterElements')] },
  { op: 'ScatterND', run: (inputs, ctx) => [scatterND(inputs, ctx)] },
  { op: 'TensorScatter', run: (inputs, ctx) => [tensorScatter(inputs, ctx)] },
  { op: 'OneHot', run: (inputs, ctx) => [oneHot(inputs, ctx)] },
  { op: 'NonZero', run: (inputs) => [nonZero(inputs)] },
  { op: 'TopK', run: topK },
  uniqueKernel,
], GATHER_SHAPES);
