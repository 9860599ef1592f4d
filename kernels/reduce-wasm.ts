/**
 * Softmax on float32 rows in wasm (wasm/exp.wat): before opset 13 the rows are the input coerced to 2-D at
 * `axis`; from 13 a row runs along `axis`, which must be the last one here. A middle axis and other dtypes go to
 * the reference (kernels/reduce.ts).
 * ReduceSum, ReduceMean and ReduceMax on float32 (wasm/reduce.wat) over any set of axes that is one run once unit
 * dims are left out (the last axis, a middle run, all of them): the input as [outer, n, inner], reduced along n,
 * vectors along inner (or along n for inner 1). Axes apart (e.g. 0 and 2 of three), an empty reduction and
 * noop_with_empty_axes with no axes go to the reference.
 */
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import type { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import { optionalTensor, toIndices } from './elements.js';
import type { Tensor } from '../src/tensor/tensor.js';
import type { KernelContext, KernelDef } from './registry.js';

function wasmSoftmax(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || X.dtype !== 'float32' || X.rank === 0 || X.size === 0) return undefined;
  const legacy = ctx.opset < 13, given = ctx.attrs.int('axis', legacy ? 1 : -1);
  if (given < -X.rank || given >= X.rank) return undefined;
  const axis = given < 0 ? given + X.rank : given;
  if (!legacy && axis !== X.rank - 1) return undefined;
  const length = X.shape.slice(axis).reduce((a, b) => a * b, 1);
  return rt.call(() => {
    const x = rt.values(X), y = rt.temp(X.size);
    rt.exp.softmax(x, y, X.size / length, length);
    return rt.output(y, X.shape);
  });
}

/** wasm/reduce.wat's op codes, and the opset from which each takes its axes as an input (kernels/reduce.ts). */
const REDUCE_OPS = { ReduceSum: { code: 0, axesInput: 13 }, ReduceMean: { code: 1, axesInput: 18 }, ReduceMax: { code: 2, axesInput: 18 } } as const;

/** X as [outer, n, inner] around the reduced `axes`, or undefined when they are not one run past unit dims. */
function reductionRun(shape: readonly number[], axes: ReadonlySet<number>): { outer: number; n: number; inner: number } | undefined {
  const dims = shape.map((d, i) => ({ d, reduced: axes.has(i) })).filter((x) => x.d !== 1);
  const first = dims.findIndex((x) => x.reduced), last = dims.map((x) => x.reduced).lastIndexOf(true);
  const size = (list: typeof dims) => list.reduce((a, x) => a * x.d, 1);
  if (first < 0) return { outer: size(dims), n: 1, inner: 1 };
  if (!dims.slice(first, last + 1).every((x) => x.reduced)) return undefined;
  return { outer: size(dims.slice(0, first)), n: size(dims.slice(first, last + 1)), inner: size(dims.slice(last + 1)) };
}

function wasmReduce(rt: WasmKernelRuntime, op: keyof typeof REDUCE_OPS, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = inputs[0], { code, axesInput } = REDUCE_OPS[op];
  if (!isTensor(X) || X.dtype !== 'float32' || X.size === 0) return undefined;
  let listed: number[];
  if (ctx.opset >= axesInput) {
    const given = optionalTensor(inputs, 1);
    if (given !== undefined && given.dtype !== 'int64') return undefined;
    listed = given ? toIndices(given) : [];
  } else listed = ctx.attrs.ints('axes') ?? [];
  if (listed.length === 0 && ctx.attrs.int('noop_with_empty_axes', 0) === 1) return undefined;
  if (listed.some((a) => a < -X.rank || a >= X.rank)) return undefined;
  const axes = new Set(listed.length ? listed.map((a) => (a < 0 ? a + X.rank : a)) : X.shape.map((_, i) => i));
  if (axes.size !== (listed.length || X.rank)) return undefined;
  const run = reductionRun(X.shape, axes);
  if (!run) return undefined;
  const keep = ctx.attrs.int('keepdims', 1) === 1;
  const shape = keep ? X.shape.map((d, i) => (axes.has(i) ? 1 : d)) : X.shape.filter((_, i) => !axes.has(i));
  return rt.call(() => {
    const x = rt.values(X), y = rt.temp(run.outer * run.inner);
    if (run.inner === 1) rt.reduce.reduce_rows(code, x, y, run.outer, run.n);
    else rt.reduce.reduce_mid(code, x, y, run.outer, run.n, run.inner);
    return rt.output(y, shape);
  });
}

export function reduceWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  const one = (t: Tensor | undefined) => (t ? [t] : undefined);
  return [
    wasmKernel(rt, 'Softmax', (inputs, ctx) => one(wasmSoftmax(rt, inputs, ctx))),
    ...(Object.keys(REDUCE_OPS) as (keyof typeof REDUCE_OPS)[]).map((op) => wasmKernel(rt, op, (inputs, ctx) => one(wasmReduce(rt, op, inputs, ctx)))),
  ];
}
