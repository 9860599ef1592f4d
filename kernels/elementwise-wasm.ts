/**
 * Add, Sub, Mul and Div on float32 in wasm (wasm/elementwise.wat) for the broadcasts a row walk covers: equal
 * shapes, a scalar, a trailing vector ([..., n] with [n]) and a leading one ([m, 1] with [m, n]), either side;
 * Erf on float32 (wasm/exp.wat: a Taylor series near 0, Abramowitz & Stegun 7.1.26 beyond, within 3.5e-7).
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

/** `shape` without leading unit dims. */
function trimmed(shape: Shape): number[] {
  const s = [...shape];
  while (s.length && s[0] === 1) s.shift();
  return s;
}

/** outer × inner and each operand's walk for output `out`, or undefined when the broadcast is not a row walk. */
function rowWalk(a: Shape, b: Shape, out: Shape): { outer: number; inner: number; a: Walk; b: Walk } | undefined {
  const size = (s: Shape) => s.reduce((x, y) => x * y, 1), total = size(out);
  const full = (s: Shape) => size(s) === total, ta = trimmed(a), tb = trimmed(b), to = trimmed(out);
  const same = (x: number[], y: number[]) => x.length === y.length && x.every((d, i) => d === y[i]);
  if (full(a) && full(b)) return { outer: 1, inner: total, a: { so: 0, si: 1 }, b: { so: 0, si: 1 } };
  const pair = (small: number[], swap: boolean) => {
    const n = size(small), big = { so: 0, si: 1 };
    let walk: { outer: number; inner: number; big: Walk; small: Walk } | undefined;
    if (n === 1) walk = { outer: 1, inner: total, big, small: { so: 0, si: 0 } };
    else if (same(small, to.slice(to.length - small.length))) walk = { outer: total / n, inner: n, big: { so: n, si: 1 }, small: { so: 0, si: 1 } };
    else if (small.length === to.length) {
      // Right-aligned with the output from its first dim: its non-unit dims lead, the rest are ones.
      const lead = [...small];
      while (lead.length && lead[lead.length - 1] === 1) lead.pop();
      if (lead.every((d, i) => d === to[i])) walk = { outer: n, inner: total / n, big: { so: total / n, si: 1 }, small: { so: 1, si: 0 } };
    }
    if (!walk) return undefined;
    return { outer: walk.outer, inner: walk.inner, a: swap ? walk.small : walk.big, b: swap ? walk.big : walk.small };
  };
  if (full(a)) return pair(tb, false);
  if (full(b)) return pair(ta, true);
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

export function elementwiseWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  const one = (t: Tensor | undefined) => (t ? [t] : undefined);
  return [
    ...(Object.keys(OPS) as (keyof typeof OPS)[]).map((op) => wasmKernel(rt, op, (inputs, ctx) => one(wasmBinary(rt, op, inputs, ctx)))),
    wasmKernel(rt, 'Erf', (inputs) => one(wasmErf(rt, inputs))),
  ];
}
