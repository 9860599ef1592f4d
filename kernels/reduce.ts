import { NeuropodError } from '../src/api/errors.js';
import { DTYPES, type DType } from '../src/tensor/dtype.js';
import { sizeOf, Tensor, type Shape } from '../src/tensor/tensor.js';
import { ElementSink, isBig, readBigInts, readElements, readNumbers, type Scalar } from './element-loops.js';
import { optionalTensor, tensorInput, toIndices } from './elements.js';
import { broadcastIndexMap, normalizeAxis } from './indexing.js';
import type { ShapeFn, KernelContext, KernelDef } from './registry.js';
import { axisOf, intsOperand, knownInts, sameShape, unknownDims, withShapes, type ShapeTable } from './shape-rules.js';

type Inputs = Parameters<KernelDef['run']>[0];

/** The smallest and largest value of an integer dtype (bool as 0/1): identities of Max and Min over nothing. */
export function integerRange(dtype: DType): [bigint, bigint] {
  if (dtype === 'bool') return [0n, 1n];
  const bits = BigInt(Math.max(1, DTYPES[dtype].rawBytes * 8));
  const signed = dtype.startsWith('int');
  return signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

/**
 * One reduction: `num` accumulates in float64 (floats, and integer reductions that are not exact sums/products);
 * `big` accumulates integers exactly. `init` is the identity, so an empty reduction gives it (ONNX Reduce-18:
 * 0 for sums, 1 for products, -inf/+inf or the dtype's extremes for max/min, -inf for log-sums).
 */
interface Reduction {
  op: string;
  /** Opset from which `axes` is an input rather than an attribute. */
  axesInput: number;
  num: { init: number; step: (acc: number, v: number) => number; finish?: (acc: number, n: number) => number };
  big?: { init: (dtype: DType) => bigint; step: (acc: bigint, v: bigint) => bigint; finish?: (acc: bigint, n: number) => bigint };
  /** Subtract the group's max before stepping and add it back after (LogSumExp, for range). */
  shift?: boolean;
}

const sum = (a: number, v: number): number => a + v;
const bigSum = (a: bigint, v: bigint): bigint => a + v;
const bigAbs = (v: bigint): bigint => (v < 0n ? -v : v);

const REDUCTIONS: Reduction[] = [
  { op: 'ReduceSum', axesInput: 13, num: { init: 0, step: sum }, big: { init: () => 0n, step: bigSum } },
  {
    op: 'ReduceMean',
    axesInput: 18,
    num: { init: 0, step: sum, finish: (a, n) => a / n },
    big: { init: () => 0n, step: bigSum, finish: (a, n) => (n === 0 ? 0n : a / BigInt(n)) },
  },
  {
    op: 'ReduceMax',
    axesInput: 18,
    num: { init: -Infinity, step: (a, v) => (v > a || v !== v ? v : a) },
    big: { init: (d) => integerRange(d)[0], step: (a, v) => (v > a ? v : a) },
  },
  {
    op: 'ReduceMin',
    axesInput: 18,
    num: { init: Infinity, step: (a, v) => (v < a || v !== v ? v : a) },
    big: { init: (d) => integerRange(d)[1], step: (a, v) => (v < a ? v : a) },
  },
  { op: 'ReduceProd', axesInput: 18, num: { init: 1, step: (a, v) => a * v }, big: { init: () => 1n, step: (a, v) => a * v } },
  { op: 'ReduceL1', axesInput: 18, num: { init: 0, step: (a, v) => a + Math.abs(v) }, big: { init: () => 0n, step: (a, v) => a + bigAbs(v) } },
  { op: 'ReduceL2', axesInput: 18, num: { init: 0, step: (a, v) => a + v * v, finish: Math.sqrt } },
  { op: 'ReduceSumSquare', axesInput: 18, num: { init: 0, step: (a, v) => a + v * v }, big: { init: () => 0n, step: (a, v) => a + v * v } },
  { op: 'ReduceLogSum', axesInput: 18, num: { init: 0, step: sum, finish: Math.log } },
  { op: 'ReduceLogSumExp', axesInput: 18, num: { init: 0, step: (a, v) => a + Math.exp(v), finish: Math.log }, shift: true },
];

/** Axes to reduce: an attribute before `axesInput`, an optional input from it; none means all unless noop_with_empty_axes. */
function reductionAxes(x: Tensor, inputs: Inputs, ctx: KernelContext, axesInput: number): number[] | undefined {
  const given = ctx.opset >= axesInput ? optionalTensor(inputs, 1) : undefined;
  const axes = ctx.opset >= axesInput ? (given ? toIndices(given) : []) : ctx.attrs.ints('axes', []);
  if (axes.length > 0) return axes.map((a) => normalizeAxis(a, x.rank, 'reduction axis'));
  if (ctx.attrs.int('noop_with_empty_axes', 0) === 1) return undefined;
  return x.shape.map((_, i) => i);
}

/** A computed value in `dtype`'s storage form. */
function stored(dtype: DType, v: number | bigint): Scalar {
  if (isBig(dtype)) return typeof v === 'bigint' ? v : BigInt(Number.isFinite(v) ? Math.trunc(v) : 0);
  return typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : v;
}

export function reduce(x: Tensor, axes: readonly number[], keepdims: boolean, r: Reduction): Tensor {
  const reduced = new Set(axes);
  const kept = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outShape = keepdims ? kept : x.shape.filter((_, i) => !reduced.has(i));
  const outSize = sizeOf(kept);
  const count = sizeOf(x.shape.filter((_, i) => reduced.has(i)));
  const where = broadcastIndexMap(kept, x.shape);
  const sink = new ElementSink(x.dtype, outSize);
  if (r.big && !DTYPES[x.dtype].float) {
    const { init, step, finish } = r.big;
    const v = readBigInts(x);
    const acc = new Array<bigint>(outSize).fill(init(x.dtype));
    for (let i = 0; i < v.length; i++) acc[where[i]!] = step(acc[where[i]!]!, v[i]!);
    for (let o = 0; o < outSize; o++) sink.values[o] = stored(x.dtype, finish ? finish(acc[o]!, count) : acc[o]!);
    return sink.finish(outShape);
  }
  const { init, step, finish } = r.num;
  const v = readNumbers(x);
  const shift = new Float64Array(outSize);
  if (r.shift) {
    shift.fill(-Infinity);
    for (let i = 0; i < v.length; i++) if (v[i]! > shift[where[i]!]!) shift[where[i]!] = v[i]!;
    for (let o = 0; o < outSize; o++) if (!Number.isFinite(shift[o]!)) shift[o] = 0;
  }
  const acc = new Float64Array(outSize).fill(init);
  for (let i = 0; i < v.length; i++) acc[where[i]!] = step(acc[where[i]!]!, v[i]! - shift[where[i]!]!);
  for (let o = 0; o < outSize; o++) sink.values[o] = stored(x.dtype, (finish ? finish(acc[o]!, count) : acc[o]!) + shift[o]!);
  return sink.finish(outShape);
}

function reductionKernel(r: Reduction): KernelDef {
  return {
    op: r.op,
    run(inputs, ctx) {
      const x = tensorInput(inputs, 0, r.op);
      const axes = reductionAxes(x, inputs, ctx, r.axesInput);
      if (!axes) return [x];
      return [reduce(x, axes, ctx.attrs.int('keepdims', 1) === 1, r)];
    },
  };
}

/** A tensor seen as [outer, len, inner] around `axis` (or around all dims from `axis`, with `flatten`). */
function around(shape: Shape, axis: number, flatten = false): { outer: number; len: number; inner: number } {
  const outer = sizeOf(shape.slice(0, axis));
  if (flatten) return { outer, len: sizeOf(shape.slice(axis)), inner: 1 };
  return { outer, len: shape[axis] ?? 1, inner: sizeOf(shape.slice(axis + 1)) };
}

/** ArgMax/ArgMin (opset 12 select_last_index picks the last of equal extremes). Output int64. */
function argReduce(op: string, better: (v: Scalar, best: Scalar) => boolean): KernelDef {
  return {
    op,
    run(inputs, ctx) {
      const x = tensorInput(inputs, 0, op);
      const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank);
      const last = ctx.attrs.int('select_last_index', 0) === 1;
      const { outer, len, inner } = around(x.shape, axis);
      const v = readElements(x);
      const out = new BigInt64Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * len * inner + i;
          let best = 0;
          for (let k = 1; k < len; k++) {
            const cand = v[base + k * inner]!;
            const cur = v[base + best * inner]!;
            if (better(cand, cur) || (last && cand === cur)) best = k;
          }
          out[o * inner + i] = BigInt(best);
        }
      }
      const keep = ctx.attrs.int('keepdims', 1) === 1;
      const shape = keep ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
      return [new Tensor('int64', shape, out)];
    },
  };
}

/** Which softmax: each fills one group `out[0..len)` from its values `v`. */
type GroupFn = (v: Float64Array, out: Float64Array) => void;

const softmaxGroup = (log: boolean): GroupFn => (v, out) => {
  let max = -Infinity;
  for (const x of v) if (x > max) max = x;
  if (max === -Infinity) max = 0;
  let s = 0;
  for (let k = 0; k < v.length; k++) s += Math.exp(v[k]! - max);
  for (let k = 0; k < v.length; k++) out[k] = log ? v[k]! - max - Math.log(s) : Math.exp(v[k]! - max) / s;
};

const hardmaxGroup: GroupFn = (v, out) => {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (v[k]! > v[best]!) best = k;
  out.fill(0);
  if (v.length) out[best] = 1;
};

/**
 * Softmax, LogSoftmax, Hardmax: before opset 13 the input is coerced to 2-D at `axis` (default 1) and each row
 * is one group; from 13 the groups run along `axis` (default -1).
 */
function groupKernel(op: string, group: GroupFn): KernelDef {
  return {
    op,
    run(inputs, ctx) {
      const x = tensorInput(inputs, 0, op);
      const legacy = ctx.opset < 13;
      const axis = normalizeAxis(ctx.attrs.int('axis', legacy ? 1 : -1), x.rank);
      const { outer, len, inner } = around(x.shape, axis, legacy);
      const v = readNumbers(x);
      const sink = new ElementSink(x.dtype, x.size);
      const src = new Float64Array(len);
      const dst = new Float64Array(len);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * len * inner + i;
          for (let k = 0; k < len; k++) src[k] = v[base + k * inner]!;
          group(src, dst);
          for (let k = 0; k < len; k++) sink.values[base + k * inner] = stored(x.dtype, dst[k]!);
        }
      }
      return [sink.finish(x.shape)];
    },
  };
}

/** CumSum-14: running sums along the axis input; `exclusive` leaves out the element itself, `reverse` runs backwards. */
const cumSum: KernelDef = {
  op: 'CumSum',
  run(inputs, ctx) {
    const x = tensorInput(inputs, 0, 'CumSum');
    const axisInput = tensorInput(inputs, 1, 'CumSum');
    if (axisInput.size !== 1) throw new NeuropodError('INFERENCE_FAILED', `CumSum: axis must be a scalar, got ${axisInput.size} values`);
    const axis = normalizeAxis(toIndices(axisInput)[0]!, x.rank);
    const exclusive = ctx.attrs.int('exclusive', 0) === 1;
    const reverse = ctx.attrs.int('reverse', 0) === 1;
    const { outer, len, inner } = around(x.shape, axis);
    const big = isBig(x.dtype);
    const v = big ? readElements(x) : readNumbers(x);
    const sink = new ElementSink(x.dtype, x.size);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc: number | bigint = big ? 0n : 0;
        for (let step = 0; step < len; step++) {
          const k = reverse ? len - 1 - step : step;
          const at = o * len * inner + k * inner + i;
          if (exclusive) sink.values[at] = acc;
          acc = (acc as number) + (v[at] as number);
          if (!exclusive) sink.values[at] = acc;
        }
      }
    }
    return [sink.finish(x.shape)];
  },
};

/** Reductions (ONNX ReduceSum-13 doc): the axes go to 1 (keepdims) or away; no axes is all of them unless noop_with_empty_axes. */
function reductionShape(axesInput: number): ShapeFn {
  return (inputs, ctx) => {
    const x = inputs[0], keep = ctx.attrs.int('keepdims', 1) === 1;
    if (!x?.dims) return [{ dtype: x?.dtype }];
    const given = ctx.opset >= axesInput ? intsOperand(inputs, ctx, 1, 'axes', axesInput) : ctx.attrs.ints('axes');
    if (given === null) return [{ dtype: x.dtype, dims: keep ? unknownDims(x.dims.length) : undefined }];
    const listed = knownInts(given) ?? [];
    if (listed.length === 0 && ctx.attrs.int('noop_with_empty_axes', 0) === 1) return [{ dtype: x.dtype, dims: x.dims }];
    const axes = new Set(listed.length ? listed.map((a) => axisOf(a, x.dims!.length)) : x.dims.map((_, i) => i));
    const dims = keep ? x.dims.map((d, i) => (axes.has(i) ? 1 : d)) : x.dims.filter((_, i) => !axes.has(i));
    return [{ dtype: x.dtype, dims }];
  };
}

/** ArgMax / ArgMin: int64, the axis kept as 1 or dropped. */
const argShape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  if (!x?.dims) return [{ dtype: 'int64' }];
  const axis = axisOf(ctx.attrs.int('axis', 0), x.dims.length), keep = ctx.attrs.int('keepdims', 1) === 1;
  return [{ dtype: 'int64', dims: keep ? x.dims.map((d, i) => (i === axis ? 1 : d)) : x.dims.filter((_, i) => i !== axis) }];
};

const REDUCE_SHAPES: ShapeTable = {
  ...Object.fromEntries(REDUCTIONS.map((r) => [r.op, reductionShape(r.axesInput)])),
  ArgMax: argShape,
  ArgMin: argShape,
  Softmax: sameShape,
  LogSoftmax: sameShape,
  Hardmax: sameShape,
  CumSum: sameShape,
};

export const reduceKernels: KernelDef[] = withShapes([
  ...REDUCTIONS.map(reductionKernel),
  // NaN wins both, as numpy.argmax/argmin (and onnxruntime) pick the first NaN.
  argReduce('ArgMax', (v, best) => v > best || (v !== v && best === best)),
  argReduce('ArgMin', (v, best) => v < best || (v !== v && best === best)),
  groupKernel('Softmax', softmaxGroup(false)),
  groupKernel('LogSoftmax', softmaxGroup(true)),
  groupKernel('Hardmax', hardmaxGroup),
  cumSum,
], REDUCE_SHAPES);
