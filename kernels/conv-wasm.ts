/**
 * Conv and FusedConv (Relu/Clip epilogue, Z residual) on wasm/conv.wat and wasm/gemm.wat, NCHW float32 with 1 or 2 spatial
 * dims: one input channel per group runs the direct depthwise kernel; every other group is one packed GEMM of its
 * weights (packed once) against im2col panels written straight from the image (the input itself for a 1×1,
 * stride-1, unpadded conv). 3-D convs, other dtypes and bad shapes go to the reference (kernels/conv.ts).
 */
import { fusedClamp, NO_CLAMP, wasmKernel, type Clamp } from '../src/backends/wasm/wasm-kernel.js';
import { GEMM_START } from '../src/backends/wasm/wasm-modules-instance.js';
import * as parallel from '../src/backends/wasm/parallel.js';
import { packedASize, packedBSize, type WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { KernelContext, KernelDef } from './registry.js';
import { readWindowAttrs, slideWindow } from './window.js';

/** A conv over one image plane as 2-D (a 1-D conv is H = 1). */
interface ConvGeometry {
  n: number; c: number; m: number; group: number; cg: number; mg: number;
  H: number; W: number; kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
  OH: number; OW: number; grid: number[];
}

function geometry(X: Tensor, Wt: Tensor, ctx: KernelContext): ConvGeometry | undefined {
  if ((X.rank !== 3 && X.rank !== 4) || Wt.rank !== X.rank) return undefined;
  const [n, c] = X.shape as [number, number], [m, cg] = Wt.shape as [number, number];
  const group = ctx.attrs.int('group', 1), mg = m / group;
  if (cg * group !== c || !Number.isInteger(mg)) return undefined;
  const spatial = X.rank - 2, w = readWindowAttrs(ctx.attrs, spatial, Wt.shape.slice(2));
  if (w.kernel.length !== spatial || w.kernel.some((k, i) => k !== Wt.shape[2 + i])) return undefined;
  const image = X.shape.slice(2), { grid, padsBegin } = slideWindow(image, w);
  const two = (v: readonly number[], fill: number): [number, number] => (spatial === 1 ? [fill, v[0]!] : [v[0]!, v[1]!]);
  const [H, W] = two(image, 1), [kh, kw] = two(w.kernel, 1), [sh, sw] = two(w.strides, 1), [dh, dw] = two(w.dilations, 1);
  const [pt, pl] = two(padsBegin, 0), [OH, OW] = two(grid, 1);
  if (OH <= 0 || OW <= 0) return undefined;
  return { n, c, m, group, cg, mg, H, W, kh, kw, sh, sw, dh, dw, pt, pl, OH, OW, grid };
}

/**
 * Outputs [vlo, vhi) of a row whose every tap, and a stride-2 vector's extra lane, is inside the input row
 * (the depthwise and pool kernels' vector range).
 */
export function vectorColumns(g: Pick<ConvGeometry, 'W' | 'kw' | 'dw' | 'sw' | 'pl' | 'OW'>): [number, number] {
  const extra = g.sw === 2 ? 1 : 0;
  const lo = Math.ceil(g.pl / g.sw);
  const hi = Math.floor((g.W - 1 - (g.kw - 1) * g.dw - extra + g.pl) / g.sw) + 1;
  return [Math.min(lo, g.OW), Math.min(g.OW, Math.max(lo, hi))];
}

function depthwise(rt: WasmKernelRuntime, g: ConvGeometry, X: Tensor, Wt: Tensor, B: Tensor | undefined, y: number, clamp: Clamp): void {
  const x = rt.values(X), w = rt.values(Wt);
  const b = B ? rt.values(B) : rt.temp(g.m);
  if (!B) rt.f32().fill(0, b >> 2, (b >> 2) + g.m);
  const [vlo, vhi] = vectorColumns(g), plane = g.H * g.W, P = g.OH * g.OW;
  for (let i = 0; i < g.n; i++) {
    parallel.depthwise(rt, x + i * g.c * plane * 4, w, b, y + i * g.m * P * 4, g.c, g.mg, g.H, g.W, g.kh, g.kw, g.sh, g.sw,
      g.pt, g.pl, g.dh, g.dw, g.OH, g.OW, vlo, vhi, clamp.lo, clamp.hi);
  }
}

function isPointwise(g: ConvGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.OH === g.H && g.OW === g.W;
}

/** FusedConv's Z: y starts as Z + bias (one row walk per image), and the GEMM adds the product to it. */
function startFromResidual(rt: WasmKernelRuntime, g: ConvGeometry, Z: Tensor, bias: number, y: number): void {
  const z = rt.values(Z), image = g.m * g.OH * g.OW;
  if (!bias) {
    const view = rt.f32();
    view.copyWithin(y >> 2, z >> 2, (z >> 2) + g.n * image);
    return;
  }
  for (let i = 0; i < g.n; i++) rt.elementwise.binary(0, z + i * image * 4, g.OH * g.OW, 1, bias, 1, 0, y + i * image * 4, g.m, g.OH * g.OW);
}

function grouped(rt: WasmKernelRuntime, g: ConvGeometry, X: Tensor, Wt: Tensor, B: Tensor | undefined, y: number, clamp: Clamp, Z?: Tensor): void {
  const K = g.cg * g.kh * g.kw, P = g.OH * g.OW, plane = g.H * g.W, groupA = packedASize(g.mg, K);
  const pa = rt.derived(Wt, 'convA', groupA * g.group, (at) => {
    const raw = rt.tempValues(Wt);
    for (let gi = 0; gi < g.group; gi++) rt.gemm.pack_a(raw + gi * g.mg * K * 4, K, 1, g.mg, K, at + gi * groupA * 4, 1);
  });
  const x = rt.values(X), pb = rt.temp(packedBSize(K, P));
  // The last group's 4-row tiles may read up to 3 biases past its end.
  const bias = B ? rt.paddedVector(B, g.m, g.m + 4) : 0;
  let mode: number = B ? GEMM_START.rowBias : GEMM_START.zero;
  if (Z) {
    startFromResidual(rt, g, Z, bias, y);
    mode = GEMM_START.c;
  }
  const pointwise = isPointwise(g);
  for (let i = 0; i < g.n; i++) {
    for (let gi = 0; gi < g.group; gi++) {
      const image = { ...g, x: x + (i * g.c + gi * g.cg) * plane * 4, C: g.cg, pointwise };
      parallel.convGemm(rt, image, g.mg, pa + gi * groupA * 4, pb, y + (i * g.m + gi * g.mg) * P * 4, clamp.lo, clamp.hi,
        bias && bias + gi * g.mg * 4, mode);
    }
  }
}

function wasmConv(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext, clamp: Clamp, Z?: Tensor): Tensor | undefined {
  const [X, Wt, B] = inputs;
  if (!isTensor(X) || !isTensor(Wt) || X.dtype !== 'float32' || Wt.dtype !== 'float32') return undefined;
  if (B !== undefined && (!isTensor(B) || B.dtype !== 'float32' || B.size !== Wt.shape[0])) return undefined;
  const g = geometry(X, Wt, ctx);
  if (!g) return undefined;
  const outShape = [g.n, g.m, ...g.grid];
  if (Z && (g.cg === 1 || Z.dtype !== 'float32' || Z.rank !== outShape.length || Z.shape.some((d, i) => d !== outShape[i]))) return undefined;
  return rt.call(() => {
    const size = g.n * g.m * g.OH * g.OW, y = rt.temp(size);
    if (g.cg === 1) depthwise(rt, g, X, Wt, B, y, clamp);
    else grouped(rt, g, X, Wt, B, y, clamp, Z);
    return rt.output(y, outShape);
  });
}

/**
 * FusedConv (com.microsoft) with a Relu/Clip (or no) activation; a Z input shaped like the output on the GEMM
 * path (more than one input channel per group). The rest is the reference's.
 */
function wasmFusedConv(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const Z = inputs[3];
  if (Z !== undefined && !isTensor(Z)) return undefined;
  const clamp = fusedClamp(ctx.attrs.string('activation', ''), ctx.attrs.floats('activation_params', []));
  return clamp && wasmConv(rt, inputs, ctx, clamp, Z);
}

export function convWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  const one = (t: Tensor | undefined) => (t ? [t] : undefined);
  return [
    wasmKernel(rt, 'Conv', (inputs, ctx) => one(wasmConv(rt, inputs, ctx, NO_CLAMP))),
    wasmKernel(rt, 'FusedConv', (inputs, ctx) => one(wasmFusedConv(rt, inputs, ctx)), 'com.microsoft'),
  ];
}
