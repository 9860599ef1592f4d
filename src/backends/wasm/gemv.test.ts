import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../testing/random-op-cases.js';
import { GEMM_START, wasmKernelModules, type WasmKernelModules } from './wasm-modules-instance.js';
import { packedASize, packedBSize } from './wasm-runtime.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

interface Case {
  m: number;
  n: number;
  k: number;
  mode: number;
  lo: number;
  hi: number;
}

/** C from gemv (A in place) and from gemm (A packed), on the same packed B, start and clamp. */
function both(rng: Rng, { m, n, k, mode, lo, hi }: Case): [Float32Array, Float32Array] {
  const { heap, gemm, gemv, tile } = modules;
  const lda = k + 3, a = rng.floats([m * lda]).data as Float32Array, b = rng.floats([k * n]).data as Float32Array;
  const start = rng.floats([m * n]).data as Float32Array, bias = rng.floats([Math.ceil(Math.max(m, n) / 8) * 8]).data as Float32Array;
  const blocks: number[] = [];
  const block = (floats: number, data?: Float32Array) => {
    const at = heap.alloc(floats * 4 + 16);
    blocks.push(at);
    if (data) heap.f32().set(data, at >> 2);
    return at;
  };
  try {
    const pa = block(packedASize(m, k)), pb = block(packedBSize(k, n)), pbias = block(bias.length, bias);
    const ca = block(m * n, start), cb = block(m * n, start), av = block(a.length, a), bv = block(b.length, b), tmp = block(8);
    gemm.pack_b(bv, n, 1, k, n, pb);
    gemm.pack_a(av, lda, 1, m, k, pa, 1);
    gemm.gemm(m, n, k, pa, pb, ca, n, lo, hi, tile, pbias, mode);
    gemv.gemv(m, n, k, av, lda, pb, cb, n, lo, hi, tmp, pbias, mode);
    const view = heap.f32();
    return [view.slice(ca >> 2, (ca >> 2) + m * n), view.slice(cb >> 2, (cb >> 2) + m * n)];
  } finally {
    blocks.forEach((at) => heap.release(at));
  }
}

describe('wasm gemv', () => {
  it('computes [1, 2]·[[1, 2, 3], [4, 5, 6]] + column bias [10, 20, 30] = [19, 32, 45] (by hand)', () => {
    const { heap, gemm, gemv } = modules;
    const b = heap.alloc(6 * 4), pb = heap.alloc(packedBSize(2, 3) * 4), a = heap.alloc(8), bias = heap.alloc(32), c = heap.alloc(12), tmp = heap.alloc(32);
    const view = heap.f32();
    view.set([1, 2, 3, 4, 5, 6], b >> 2);
    view.set([1, 2], a >> 2);
    view.set([10, 20, 30, 0, 0, 0, 0, 0], bias >> 2);
    gemm.pack_b(b, 3, 1, 2, 3, pb);
    gemv.gemv(1, 3, 2, a, 2, pb, c, 3, -Infinity, Infinity, tmp, bias, GEMM_START.columnBias);
    expect([...heap.f32().subarray(c >> 2, (c >> 2) + 3)]).toEqual([19, 32, 45]);
    [b, pb, a, bias, c, tmp].forEach((at) => heap.release(at));
  });

  it('gives gemm\'s bits for 1 to 3 rows, every start mode, clamps, and widths around its 32- and 8-column steps', () => {
    const rng = new Rng(71);
    for (let trial = 0; trial < 80; trial++) {
      const c: Case = {
        m: rng.int(1, 3), n: rng.pick([1, 5, 8, 9, 31, 32, 33, 40, 64, 70, 512]), k: rng.pick([0, 1, 3, 17, 128, 257, 300]),
        mode: rng.int(0, 3), ...rng.pick([{ lo: -Infinity, hi: Infinity }, { lo: 0, hi: Infinity }, { lo: -0.5, hi: 0.75 }]),
      };
      const [want, got] = both(rng, c);
      expect(got, JSON.stringify(c)).toEqual(want);
    }
  });
});
