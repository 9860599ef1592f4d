import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../testing/random-op-cases.js';
import * as parallel from './parallel.js';
import { ThreadPool } from './thread-pool.js';
import { chooseThreads, resetThreadsWarning, THREADS_WARNING } from './threads.js';
import { GEMM_START, wasmKernelModules, type WasmKernelModules } from './wasm-modules-instance.js';
import { packedASize, packedBSize, type WasmKernelRuntime } from './wasm-runtime.js';

let modules: WasmKernelModules;
let pool: ThreadPool;

beforeAll(async () => {
  modules = await wasmKernelModules(true);
  pool = await ThreadPool.start(modules, 2);
}, 60_000);
afterAll(() => pool?.dispose());

/** The part of a runtime parallel.ts reads: the modules, a pool or none, every call split (no size floor). */
function runtime(threadPool: ThreadPool | undefined): WasmKernelRuntime {
  return { gemm: modules.gemm, conv: modules.conv, tile: modules.tile, threadPool, minParallelMacs: 0 } as unknown as WasmKernelRuntime;
}

function randomBlock(rng: Rng, floats: number): number {
  const at = modules.heap.alloc(floats * 4), view = modules.heap.f32();
  for (let i = 0; i < floats; i++) view[(at >> 2) + i] = rng.next() * 2 - 1;
  return at;
}

/** Runs `body` into a fresh output block of `floats` twice, on one thread and on the pool; returns both. */
function twice(floats: number, body: (rt: WasmKernelRuntime, y: number) => void): [Float32Array, Float32Array] {
  const out: Float32Array[] = [];
  for (const rt of [runtime(undefined), runtime(pool)]) {
    const y = modules.heap.alloc(floats * 4);
    modules.heap.f32().fill(Number.NaN, y >> 2, (y >> 2) + floats);
    body(rt, y);
    out.push(modules.heap.f32().slice(y >> 2, (y >> 2) + floats));
    modules.heap.release(y);
  }
  return [out[0]!, out[1]!];
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('wasm thread pool: 2 threads give the bits of 1', () => {
  for (const [m, n, k, mode] of [[37, 203, 300, GEMM_START.columnBias], [301, 7, 129, GEMM_START.rowBias], [64, 64, 600, GEMM_START.zero], [9, 45, 17, GEMM_START.c]] as const) {
    it(`GEMM ${m}×${n}×${k}, start mode ${mode}, clamped`, () => {
      const rng = new Rng(m * n + k);
      const pa = modules.heap.alloc(packedASize(m, k) * 4), pb = modules.heap.alloc(packedBSize(k, n) * 4);
      const a = randomBlock(rng, m * k), b = randomBlock(rng, k * n), bias = randomBlock(rng, Math.max(m, n) + 8), c0 = randomBlock(rng, m * n);
      modules.gemm.pack_a(a, k, 1, m, k, pa, 1);
      modules.gemm.pack_b(b, n, 1, k, n, pb);
      const before = pool.stats.chunks;
      const [one, two] = twice(m * n, (rt, y) => {
        modules.heap.f32().copyWithin(y >> 2, c0 >> 2, (c0 >> 2) + m * n);
        parallel.gemm(rt, m, n, k, pa, pb, y, n, -0.5, 3, bias, mode);
      });
      expect(pool.stats.chunks).toBeGreaterThan(before);
      expect(one.some(Number.isNaN)).toBe(false);
      expect(bits(two)).toEqual(bits(one));
      for (const at of [pa, pb, a, b, bias, c0]) modules.heap.release(at);
    });
  }

  for (const g of [
    { C: 5, H: 33, W: 35, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, dh: 1, dw: 1, m: 24 },
    { C: 3, H: 40, W: 29, kh: 5, kw: 3, sh: 2, sw: 2, pt: 2, pl: 0, dh: 1, dw: 2, m: 10 },
    { C: 16, H: 9, W: 13, kh: 1, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0, dh: 1, dw: 1, m: 20 },
  ]) {
    const OH = Math.floor((g.H + 2 * g.pt - g.dh * (g.kh - 1) - 1) / g.sh) + 1, OW = Math.floor((g.W + 2 * g.pl - g.dw * (g.kw - 1) - 1) / g.sw) + 1;
    const pointwise = g.kh === 1 && g.kw === 1 && g.pt === 0 && g.pl === 0;
    it(`Conv ${g.C}→${g.m} ${g.kh}×${g.kw} stride ${g.sh}/${g.sw} on ${g.H}×${g.W}${pointwise ? ' (pointwise)' : ''}: im2col and GEMM by column chunks`, () => {
      const rng = new Rng(g.C * g.H + g.m), K = g.C * g.kh * g.kw, P = OH * OW;
      const x = randomBlock(rng, g.C * g.H * g.W), w = randomBlock(rng, g.m * K), bias = randomBlock(rng, g.m + 4);
      const pa = modules.heap.alloc(packedASize(g.m, K) * 4), pb = modules.heap.alloc(packedBSize(K, P) * 4);
      modules.gemm.pack_a(w, K, 1, g.m, K, pa, 1);
      const before = pool.stats.chunks;
      const [one, two] = twice(g.m * P, (rt, y) => {
        parallel.convGemm(rt, { ...g, x, OH, OW, pointwise }, g.m, pa, pb, y, -Infinity, Infinity, bias, GEMM_START.rowBias);
      });
      expect(pool.stats.chunks).toBeGreaterThan(before);
      expect(one.some(Number.isNaN)).toBe(false);
      expect(bits(two)).toEqual(bits(one));
      for (const at of [x, w, bias, pa, pb]) modules.heap.release(at);
    });
  }

  it('depthwise 3×3 stride 2, channel multiplier 2, by channel chunks', () => {
    const rng = new Rng(7), C = 13, mult = 2, H = 30, W = 27, OH = 15, OW = 14;
    const x = randomBlock(rng, C * H * W), w = randomBlock(rng, C * mult * 9), b = randomBlock(rng, C * mult);
    const [one, two] = twice(C * mult * OH * OW, (rt, y) => {
      parallel.depthwise(rt, x, w, b, y, C, mult, H, W, 3, 3, 2, 2, 1, 1, 1, 1, OH, OW, 1, 13, 0, 6);
    });
    expect(one.some(Number.isNaN)).toBe(false);
    expect(bits(two)).toEqual(bits(one));
    for (const at of [x, w, b]) modules.heap.release(at);
  });

  it('the Workers ran chunks (not only the calling thread)', () => {
    // Big enough that the Worker wakes before the caller has claimed every chunk, whatever the machine's load.
    const m = 256, n = 512, k = 512, rng = new Rng(3);
    const pa = modules.heap.alloc(packedASize(m, k) * 4), pb = modules.heap.alloc(packedBSize(k, n) * 4), y = modules.heap.alloc(m * n * 4);
    const a = randomBlock(rng, m * k), b = randomBlock(rng, k * n);
    modules.gemm.pack_a(a, k, 1, m, k, pa, 1);
    modules.gemm.pack_b(b, n, 1, k, n, pb);
    const before = { ...pool.stats };
    for (let r = 0; r < 10; r++) parallel.gemm(runtime(pool), m, n, k, pa, pb, y, n, -Infinity, Infinity, 0, GEMM_START.zero);
    expect(pool.stats.jobs - before.jobs).toBe(10);
    expect(pool.stats.chunks - before.chunks - (pool.stats.callerChunks - before.callerChunks)).toBeGreaterThan(0);
    for (const at of [pa, pb, y, a, b]) modules.heap.release(at);
  });
});

describe('wasm thread pool lifetime', () => {
  it('a chunk that throws is an INFERENCE_FAILED after every chunk has finished, and the pool runs the next job', () => {
    expect(() => pool.run(99, 8, [], [])).toThrow(expect.objectContaining({ code: 'INFERENCE_FAILED', message: expect.stringMatching(/^wasm thread \d failed in its part of a GEMM: unknown thread job kind 99$/) }));
    const m = 16, n = 64, k = 300, rng = new Rng(11);
    const pa = modules.heap.alloc(packedASize(m, k) * 4), pb = modules.heap.alloc(packedBSize(k, n) * 4);
    const a = randomBlock(rng, m * k), b = randomBlock(rng, k * n);
    modules.gemm.pack_a(a, k, 1, m, k, pa, 1);
    modules.gemm.pack_b(b, n, 1, k, n, pb);
    const [one, two] = twice(m * n, (rt, y) => parallel.gemm(rt, m, n, k, pa, pb, y, n, -Infinity, Infinity, 0, GEMM_START.zero));
    expect(bits(two)).toEqual(bits(one));
    for (const at of [pa, pb, a, b]) modules.heap.release(at);
  });

  it('dispose ends every Worker thread', async () => {
    const own = await ThreadPool.start(modules, 3);
    own.dispose();
    await expect(Promise.race([own.ended().then(() => 'ended'), new Promise((r) => setTimeout(() => r('still running'), 10_000))])).resolves.toBe('ended');
    expect(() => own.run(1, 1, [], [])).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  }, 30_000);

  it('a Worker that dies makes the next job a NeuropodError, not a hang', async () => {
    const own = await ThreadPool.start(modules, 2);
    try {
      own.killForTest(1);
      await own.ended();
      await new Promise((r) => setTimeout(r, 50));
      expect(() => parallel.gemm(runtime(own), 8, 64, 8, 0, 0, 0, 64, 0, 0, 0, GEMM_START.zero))
        .toThrow(expect.objectContaining({ code: 'INFERENCE_FAILED', message: expect.stringMatching(/wasm thread 1 of 2 died \(it exited with code 1\)/) }));
    } finally {
      own.dispose();
    }
  }, 30_000);
});

describe('thread count', () => {
  it('defaults to the cores (at most 4) where threads can run, 1 when asked', async () => {
    expect(await chooseThreads(1)).toBe(1);
    expect(await chooseThreads(3)).toBe(3);
    const d = await chooseThreads(undefined);
    expect(d).toBeGreaterThanOrEqual(1);
    expect(d).toBeLessThanOrEqual(4);
  });

  it('a page that is not cross-origin isolated runs one thread, and says how to get threads once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubGlobal('window', {});
    vi.stubGlobal('crossOriginIsolated', false);
    resetThreadsWarning();
    try {
      expect(await chooseThreads(undefined)).toBe(1);
      expect(await chooseThreads(4)).toBe(1);
      expect(await chooseThreads(1)).toBe(1);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledWith(THREADS_WARNING);
      expect(THREADS_WARNING).toContain('Cross-Origin-Opener-Policy: same-origin');
      expect(THREADS_WARNING).toContain('Cross-Origin-Embedder-Policy: require-corp');
      vi.stubGlobal('crossOriginIsolated', true);
      expect(await chooseThreads(2)).toBe(2);
    } finally {
      vi.unstubAllGlobals();
      warn.mockRestore();
    }
  });
});
