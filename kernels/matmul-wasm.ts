/**
 * MatMul, Gemm and FusedGemm on the packed SIMD GEMM (wasm/gemm.wat): float32 only; other dtypes, and shapes the
 * reference would reject, go to the reference kernels (kernels/matmul.ts) through `wasmKernel`.
 */
import { fusedClamp, NO_CLAMP, wasmKernel, type Clamp } from '../src/backends/wasm/wasm-kernel.js';
import { GEMM_START } from '../src/backends/wasm/wasm-modules-instance.js';
import * as parallel from '../src/backends/wasm/parallel.js';
import { packedASize, packedBSize, type WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import type { Value } from '../src/graph/value.js';
import { isTensor } from '../src/graph/value.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { broadcastIndexMap, broadcastShapes } from './indexing.js';
import type { KernelContext, KernelDef } from './registry.js';

function f32Tensor(v: Value | undefined): Tensor | undefined {
  return isTensor(v) && v.dtype === 'float32' ? v : undefined;
}

/** How gemm starts C: from a padded bias row or column when C broadcasts as one, else filled here; undefined when C has a rank above 2. */
function gemmStart(rt: WasmKernelRuntime, y: number, m: number, n: number, C: Tensor | undefined, beta: number): { bias: number; mode: number } | undefined {
  if (!C || beta === 0) return { bias: 0, mode: GEMM_START.zero };
  if (C.rank > 2) return undefined;
  const [cr, cc] = C.rank === 2 ? C.shape : C.rank === 1 ? [1, C.shape[0]!] : [1, 1];
  if ((cr !== 1 && cr !== m) || (cc !== 1 && cc !== n)) return undefined;
  if (cr === 1) return { bias: rt.paddedVector(C, n, Math.ceil(n / 8) * 8, beta), mode: GEMM_START.columnBias };
  if (cc === 1) return { bias: rt.paddedVector(C, m, Math.ceil(m / 4) * 4, beta), mode: GEMM_START.rowBias };
  const view = rt.f32(), c = C.data as Float32Array;
  for (let i = 0; i < m * n; i++) view[(y >> 2) + i] = beta * c[i]!;
  return { bias: 0, mode: GEMM_START.c };
}

/**
 * Whether a product of `rows` rows runs as gemv (A read in place, no packing; bit-identical to gemm): 1 to 3 rows,
 * where the thread pool would not split it anyway.
 */
function gemvFits(rt: WasmKernelRuntime, rows: number, n: number, k: number): boolean {
  const pool = rt.threadPool;
  return rows <= 3 && (!pool || pool.threads <= 1 || rows * n * k < rt.minParallelMacs);
}

function wasmGemm(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext, clamp: Clamp): Tensor | undefined {
  const A = f32Tensor(inputs[0]), B = f32Tensor(inputs[1]), C = inputs[2] === undefined ? undefined : f32Tensor(inputs[2]);
  if (!A || !B || (inputs[2] !== undefined && !C) || A.rank !== 2 || B.rank !== 2) return undefined;
  const transA = ctx.attrs.int('transA', 0) !== 0, transB = ctx.attrs.int('transB', 0) !== 0;
  const alpha = ctx.attrs.float('alpha', 1), beta = ctx.attrs.float('beta', 1);
  const [ar, ac] = A.shape as [number, number], [br, bc] = B.shape as [number, number];
  const m = transA ? ac : ar, k = transA ? ar : ac, n = transB ? br : bc;
  if ((transB ? bc : br) !== k) return undefined;
  const gemv = !transA && alpha === 1 && gemvFits(rt, m, n, k);
  return rt.call(() => {
    const pa = gemv ? rt.values(A) : rt.derived(A, `gemmA:${transA}:${alpha}`, packedASize(m, k), (at) => {
      rt.gemm.pack_a(rt.readOnce(A), transA ? 1 : k, transA ? m : 1, m, k, at, alpha);
    });
    const pb = rt.derived(B, `gemmB:${transB}`, packedBSize(k, n), (at) => {
      rt.gemm.pack_b(rt.readOnce(B), transB ? 1 : n, transB ? k : 1, k, n, at);
    });
    const y = rt.temp(m * n), start = gemmStart(rt, y, m, n, C, beta);
    if (!start) return undefined;
    if (gemv) rt.gemv.gemv(m, n, k, pa, k, pb, y, n, clamp.lo, clamp.hi, rt.tile, start.bias, start.mode);
    else parallel.gemm(rt, m, n, k, pa, pb, y, n, clamp.lo, clamp.hi, start.bias, start.mode);
    return rt.output(y, [m, n]);
  });
}

/**
 * numpy.matmul (ONNX MatMul). When B has no batch of its own, A's batch rows are one tall GEMM against B packed
 * once; otherwise each batch pair is packed into one reused scratch block (or B's panels kept, for a constant B).
 */
function wasmMatMul(rt: WasmKernelRuntime, inputs: (Value | undefined)[]): Tensor | undefined {
  const A = f32Tensor(inputs[0]), B = f32Tensor(inputs[1]);
  if (!A || !B || A.rank === 0 || B.rank === 0) return undefined;
  const aShape = A.rank === 1 ? [1, A.shape[0]!] : A.shape, bShape = B.rank === 1 ? [B.shape[0]!, 1] : B.shape;
  const m = aShape[aShape.length - 2]!, k = aShape[aShape.length - 1]!, n = bShape[bShape.length - 1]!;
  if (bShape[bShape.length - 2] !== k) return undefined;
  const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes(aBatch, bBatch);
  } catch {
    return undefined;
  }
  const shape = [...batch, ...(A.rank === 1 ? [] : [m]), ...(B.rank === 1 ? [] : [n])];
  const count = sizeOf(batch);
  return rt.call(() => {
    const y = rt.temp(count * m * n);
    if (sizeOf(bBatch) === 1) {
      const rows = count * m;
      const pb = rt.derived(B, 'matmulB:0', packedBSize(k, n), (at) => rt.gemm.pack_b(rt.readOnce(B), n, 1, k, n, at));
      if (gemvFits(rt, rows, n, k)) rt.gemv.gemv(rows, n, k, rt.values(A), k, pb, y, n, NO_CLAMP.lo, NO_CLAMP.hi, rt.tile, 0, GEMM_START.zero);
      else {
        const pa = rt.derived(A, 'matmulA', packedASize(rows, k), (at) => rt.gemm.pack_a(rt.readOnce(A), k, 1, rows, k, at, 1));
        parallel.gemm(rt, rows, n, k, pa, pb, y, n, NO_CLAMP.lo, NO_CLAMP.hi, 0, GEMM_START.zero);
      }
    } else {
      const aMap = broadcastIndexMap(aBatch, batch), bMap = broadcastIndexMap(bBatch, batch);
      const a = rt.values(A), pa = rt.temp(packedASize(m, k)), scratchB = rt.temp(packedBSize(k, n));
      let b: number | undefined;
      const bSlice = (i: number) => (b ??= rt.isConstant(B) ? rt.tempValues(B) : rt.values(B)) + i * k * n * 4;
      for (let i = 0; i < count; i++) {
        rt.gemm.pack_a(a + aMap[i]! * m * k * 4, k, 1, m, k, pa, 1);
        let pb = scratchB;
        if (rt.isConstant(B)) pb = rt.derived(B, `matmulB:${bMap[i]}`, packedBSize(k, n), (at) => rt.gemm.pack_b(bSlice(bMap[i]!), n, 1, k, n, at));
        else rt.gemm.pack_b(bSlice(bMap[i]!), n, 1, k, n, scratchB);
        parallel.gemm(rt, m, n, k, pa, pb, y + i * m * n * 4, n, NO_CLAMP.lo, NO_CLAMP.hi, 0, GEMM_START.zero);
      }
    }
    return rt.output(y, shape);
  });
}

function wasmFusedGemm(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const clamp = fusedClamp(ctx.attrs.string('activation', ''), [ctx.attrs.float('activation_alpha', -Infinity), ctx.attrs.float('activation_beta', Infinity)]);
  return clamp && wasmGemm(rt, inputs, ctx, clamp);
}

export function matmulWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  const one = (t: Tensor | undefined) => (t ? [t] : undefined);
  return [
    wasmKernel(rt, 'MatMul', (inputs) => one(wasmMatMul(rt, inputs))),
    wasmKernel(rt, 'Gemm', (inputs, ctx) => one(wasmGemm(rt, inputs, ctx, NO_CLAMP))),
    wasmKernel(rt, 'FusedGemm', (inputs, ctx) => one(wasmFusedGemm(rt, inputs, ctx)), 'com.microsoft'),
  ];
}
