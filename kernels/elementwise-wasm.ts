/**
 * Add, Sub, Mul and Div on float32 in wasm (wasm/elementwise.wat) for the broadcasts a row walk covers: equal
 * shapes, a scalar, a trailing vector ([..., n] with [n]), a leading one ([m, 1] with [m, n]) and an outer
 * product ([..., m, 1] with [n]), either side;
 * Erf on float32 (wasm/exp.wat: a Taylor series near 0, Abramowitz & Stegun 7.1.26 beyond, within 3.5e-7), and
 * Gelu's erf form on it (com.microsoft Gelu, ONNX Gelu-20 with approximate 'none').
 * Other broadcasts, other dtypes and the opset-1/6 `broadcast`/`axis` forms go to the reference (kernels/elementwise.ts).
 */
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import type { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import type { Shape, Tensor } from '../src/tensor/tensor.js';
import { broadcastShapes } from './indexing.js';
import type { KernelContext, KernelDef } from './registry.js';

const OPS = { Add: 0, Sub: 1, Mul: 2, Div: 3 } as const;

/** How one operand is walked: (o, i) at o·so + i·si. */
interface Walk {
  so: number;
  si: number;
}

/**
 * outer × inner and each operand's walk for output `out`, or undefined when no split of the output's dims into
 * leading (outer) and trailing (inner) ones lets both operands be walked: each operand, right-aligned, must on
 * either side of the split have the output's dims or only ones. The first split that works has the longest rows.
 * That covers equal shapes, scalars, trailing and leading vectors and an outer product ([m, 1] with [n]).
 */
function rowWalk(a: Shape, b: Shape, out: Shape): { outer: number; inner: number; a: Walk; b: Walk } | undefined {
  const rank = out.length, size = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);
  const aligned = (s: Shape) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const ones = (s: readonly number[]) => s.every((d) => d === 1);
  const same = (s: readonly number[], o: readonly number[]) => s.every((d, i) => d === o[i]);
  const walk = (s: number[], k: number): Walk | undefined => {
    const lead = s.slice(0, k), trail = s.slice(k), outLead = out.slice(0, k), outTrail = out.slice(k);
    const si = same(trail, outTrail) ? 1 : ones(trail) ? 0 : -1;
    if (si < 0) return undefined;
    if (same(lead, outLead)) return { so: size(trail), si };
    return ones(lead) ? { so: 0, si } : undefined;
  };
  const sa = aligned(a), sb = aligned(b);
  for (let k = 0; k <= rank; k++) {
    const wa = walk(sa, k), wb = walk(sb, k);
    if (wa && wb) return { outer: size(out.slice(0, k)), inner: size(out.slice(k)), a: wa, b: wb };
  }
  return undefined;
}

function wasmBinary(rt: WasmKernelRuntime, op: keyof typeof OPS, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const [A, B] = inputs;
  if (!isTensor(A) || !isTensor(B) || A.dtype !== 'float32' || B.dtype !== 'float32' || ctx.opset < 7) return undefined;
  let out: number[];
  try {
    out = broadcastShapes(A.shape, B.shape);
  } catch {
    return undefined;
  }
  const walk = rowWalk(A.shape, B.shape, out);
  if (!walk) return undefined;
  return rt.call(() => {
    const a = rt.values(A), b = rt.values(B), y = rt.temp(walk.outer * walk.inner);
    rt.elementwise.binary(OPS[op], a, walk.a.so, walk.a.si, b, walk.b.so, walk.b.si, y, walk.outer, walk.inner);
    return rt.output(y, out);
  });
}

function wasmErf(rt: WasmKernelRuntime, inputs: (Value | undefined)[]): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || X.dtype !== 'float32') return undefined;
  return rt.call(() => {
    const x = rt.values(X), y = rt.temp(X.size);
    rt.exp.erf(x, y, X.size);
    return rt.output(y, X.shape);
  });
}

/** Gelu, erf form: com.microsoft Gelu (what fuse-gelu.ts emits) and ONNX Gelu-20 with approximate 'none'. */
function wasmGelu(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext, standard: boolean): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || X.dtype !== 'float32' || inputs[1] !== undefined) return undefined;
  if (standard && ctx.attrs.string('approximate', 'none') !== 'none') return undefined;
  return rt.call(() => {
    const x = rt.values(X), y = rt.temp(X.size);
    rt.exp.gelu(x, y, X.size);
    return rt.output(y, X.shape);
  });
}

export function elementwiseWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  const one = (t: Tensor | undefined) => (t ? [t] : undefined);
  return [
    ...(Object.keys(OPS) as (keyof typeof OPS)[]).map((op) => wasmKernel(rt, op, (inputs, ctx) => one(wasmBinary(rt, op, inputs, ctx)))),
    wasmKernel(rt, 'Erf', (inputs) => one(wasmErf(rt, inputs))),
    wasmKernel(rt, 'Gelu', (inputs, ctx) => one(wasmGelu(rt, inputs, ctx, false)), 'com.microsoft'),
    { ...wasmKernel(rt, 'Gelu', (inputs, ctx) => one(wasmGelu(rt, inputs, ctx, true))), since: 20 },
  ];
}
