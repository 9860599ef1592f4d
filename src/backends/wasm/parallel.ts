/**
 * GEMM and Conv calls split across the model's thread pool (thread-pool.ts) when it has one and the call is big
 * enough to pay for waking it; one thread otherwise. Either way each output element comes from the same wasm
 * calls in the same order, so the result does not depend on the thread count (tests compare bits).
 */
import { JOB, type ThreadPool } from './thread-pool.js';
import type { WasmKernelRuntime } from './wasm-runtime.js';

/** Multiply-adds below which a call runs on the calling thread alone (waking the pool costs tens of µs). */
export const MIN_PARALLEL_MACS = 1 << 20;
/** Chunks per thread: enough that a thread whose core is busy takes fewer of them. */
const CHUNKS_PER_THREAD = 4;

function poolFor(rt: WasmKernelRuntime, macs: number): ThreadPool | undefined {
  const pool = rt.threadPool;
  return pool && pool.threads > 1 && macs >= rt.minParallelMacs ? pool : undefined;
}

/** `units` (panels, rows, channels) cut into chunks of `step` whole units times `unit`. */
function chunking(pool: ThreadPool, units: number, unit: number): { step: number; total: number } {
  const chunks = Math.min(units, pool.threads * CHUNKS_PER_THREAD);
  const per = Math.ceil(units / chunks);
  return { step: per * unit, total: Math.ceil(units / per) };
}

/** gemm.wat's gemm (packed A and B), split by 8-column panels, or by 4-row panels when C is narrow. */
export function gemm(rt: WasmKernelRuntime, m: number, n: number, k: number, pa: number, pb: number, c: number, ldc: number,
  lo: number, hi: number, bias: number, mode: number): void {
  const pool = poolFor(rt, m * n * k);
  const colPanels = Math.ceil(n / 8), rowPanels = Math.ceil(m / 4);
  if (!pool || Math.max(colPanels, rowPanels) < 2) {
    rt.gemm.gemm(m, n, k, pa, pb, c, ldc, lo, hi, rt.tile, bias, mode);
    return;
  }
  const byColumns = colPanels >= 2 * pool.threads || colPanels >= rowPanels;
  const { step, total } = byColumns ? chunking(pool, colPanels, 8) : chunking(pool, rowPanels, 4);
  pool.run(byColumns ? JOB.gemmColumns : JOB.gemmRows, total, [m, n, k, pa, pb, c, ldc, 0, 0, bias, mode, step], [[7, lo], [8, hi]]);
}

/** One image plane of a conv as conv-wasm.ts lays it out (NCHW, 1-D as H = 1). */
export interface ConvPlane {
  x: number; C: number; H: number; W: number; kh: number; kw: number; sh: number; sw: number; pt: number; pl: number;
  dh: number; dw: number; OH: number; OW: number;
  /** 1×1, stride 1, unpadded: B is the input itself, packed. */
  pointwise: boolean;
}

/**
 * B packed from one image group (im2col_pack, or pack_b of the input for a pointwise conv) into `pb`, then
 * C[m × P] (row stride P) = start + packed A · B. Split by output positions: each thread packs the panels of its
 * positions and multiplies them, so no thread waits for another's packing.
 */
export function convGemm(rt: WasmKernelRuntime, s: ConvPlane, m: number, pa: number, pb: number, c: number, lo: number, hi: number,
  bias: number, mode: number): void {
  const P = s.OH * s.OW, K = s.C * s.kh * s.kw, panels = Math.ceil(P / 8);
  const pool = poolFor(rt, m * P * K);
  if (!pool || panels < 2) {
    if (s.pointwise) rt.gemm.pack_b(s.x, P, 1, s.C, P, pb);
    else rt.conv.im2col_pack(s.x, s.C, s.H, s.W, s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.dh, s.dw, s.OH, s.OW, pb);
    rt.gemm.gemm(m, P, K, pa, pb, c, P, lo, hi, rt.tile, bias, mode);
    return;
  }
  const { step, total } = chunking(pool, panels, 8);
  pool.run(JOB.convColumns, total, [m, P, K, pa, pb, c, P, 0, 0, bias, mode, step, s.x, s.C, s.H, s.W, s.kh, s.kw, s.sh, s.sw,
    s.pt, s.pl, s.dh, s.dw, s.OH, s.OW, s.pointwise ? 1 : 0], [[7, lo], [8, hi]]);
}

/** conv.wat's depthwise over one image, split by input channels (each with its `mult` output channels). */
export function depthwise(rt: WasmKernelRuntime, x: number, w: number, b: number, y: number, C: number, mult: number, H: number,
  W: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number, dh: number, dw: number, OH: number, OW: number,
  vlo: number, vhi: number, lo: number, hi: number): void {
  // A depthwise tap costs about four GEMM multiply-adds (one lane of a vector, no register tile to reuse it).
  const pool = poolFor(rt, 4 * C * mult * OH * OW * kh * kw);
  if (!pool || C < 2) {
    rt.conv.depthwise(x, w, b, y, C, mult, H, W, kh, kw, sh, sw, pt, pl, dh, dw, OH, OW, vlo, vhi, lo, hi);
    return;
  }
  const { step, total } = chunking(pool, C, 1);
  pool.run(JOB.depthwise, total, [x, w, b, y, C, mult, H, W, kh, kw, sh, sw, pt, pl, dh, dw, OH, OW, vlo, vhi, 0, 0, step], [[20, lo], [21, hi]]);
}
