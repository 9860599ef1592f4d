/**
 * One chunk of a parallel job, run alike by the calling thread and by the pool's Workers: the Workers get this
 * function's own source text (thread-pool.ts), so it must stay self-contained (no imports, no names from outside
 * it; numbers instead of constants).
 *
 * `p` / `f`: Int32 and Float32 views of the memory, `at` the index of the job's first parameter. Every chunk
 * makes its outputs with the same wasm calls, in the same order per output element, as the one-thread path
 * (a column or row range of one GEMM, a channel range of one depthwise conv), so threads never change a bit.
 * Kinds (JOB in thread-pool.ts):
 * - 1, GEMM columns: m n k pa pb c ldc lo hi bias mode step; chunk i is columns [i·step, +step) (step % 8 = 0).
 * - 2, GEMM rows: the same parameters; chunk i is rows [i·step, +step) (step % 4 = 0).
 * - 3, Conv columns: m P K pa pb c ldc lo hi bias mode step, then x C H W kh kw sh sw pt pl dh dw OH OW pointwise:
 *   chunk i packs output positions [i·step, +step) of B (im2col, or the input itself for a pointwise conv) into
 *   its own panels and multiplies them.
 * - 4, depthwise: x w b y C mult H W kh kw sh sw pt pl dh dw OH OW vlo vhi lo hi step; chunk i is input
 *   channels [i·step, +step).
 */
export function runChunk(ex: ChunkExports, kind: number, p: Int32Array, f: Float32Array, at: number, i: number, tile: number): void {
  if (kind === 1 || kind === 2 || kind === 3) {
    const m = p[at]!, n = p[at + 1]!, k = p[at + 2]!, pa = p[at + 3]!, pb = p[at + 4]!, c = p[at + 5]!, ldc = p[at + 6]!;
    const lo = f[at + 7]!, hi = f[at + 8]!, bias = p[at + 9]!, mode = p[at + 10]!, step = p[at + 11]!;
    if (kind === 2) {
      const i0 = i * step, rows = Math.min(step, m - i0);
      ex.gemm(rows, n, k, pa + i0 * k * 4, pb, c + i0 * ldc * 4, ldc, lo, hi, tile, mode === 1 ? bias + i0 * 4 : bias, mode);
      return;
    }
    const j0 = i * step, cols = Math.min(step, n - j0), panels = pb + j0 * k * 4;
    if (kind === 3) {
      const x = p[at + 12]!, C = p[at + 13]!;
      if (p[at + 26]! !== 0) ex.pack_b(x + j0 * 4, n, 1, C, cols, panels);
      else {
        ex.im2col_pack_cols(x, C, p[at + 14]!, p[at + 15]!, p[at + 16]!, p[at + 17]!, p[at + 18]!, p[at + 19]!, p[at + 20]!,
          p[at + 21]!, p[at + 22]!, p[at + 23]!, p[at + 24]!, p[at + 25]!, panels, j0, j0 + cols);
      }
    }
    ex.gemm(m, cols, k, pa, panels, c + j0 * 4, ldc, lo, hi, tile, mode === 2 ? bias + j0 * 4 : bias, mode);
    return;
  }
  if (kind === 4) {
    const C = p[at + 4]!, mult = p[at + 5]!, H = p[at + 6]!, W = p[at + 7]!, kh = p[at + 8]!, kw = p[at + 9]!;
    const OH = p[at + 16]!, OW = p[at + 17]!, step = p[at + 22]!;
    const c0 = i * step, count = Math.min(step, C - c0);
    ex.depthwise(p[at]! + c0 * H * W * 4, p[at + 1]! + c0 * mult * kh * kw * 4, p[at + 2]! + c0 * mult * 4,
      p[at + 3]! + c0 * mult * OH * OW * 4, count, mult, H, W, kh, kw, p[at + 10]!, p[at + 11]!, p[at + 12]!, p[at + 13]!,
      p[at + 14]!, p[at + 15]!, OH, OW, p[at + 18]!, p[at + 19]!, f[at + 20]!, f[at + 21]!);
    return;
  }
  throw new Error(`unknown thread job kind ${kind}`);
}

/** The wasm exports a chunk calls (gemm.wat and conv.wat), flat. */
export interface ChunkExports {
  gemm(m: number, n: number, k: number, pa: number, pb: number, c: number, ldc: number, lo: number, hi: number, tmp: number,
    bias: number, mode: number): void;
  pack_b(src: number, rs: number, cs: number, k: number, n: number, dst: number): void;
  im2col_pack_cols(x: number, c: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
    dh: number, dw: number, oh: number, ow: number, dst: number, j0: number, j1: number): void;
  depthwise(x: number, w: number, b: number, y: number, c: number, mult: number, h: number, wd: number, kh: number, kw: number,
    sh: number, sw: number, pt: number, pl: number, dh: number, dw: number, oh: number, ow: number, vlo: number, vhi: number,
    lo: number, hi: number): void;
}
