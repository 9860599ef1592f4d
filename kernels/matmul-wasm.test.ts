import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, relativeError, runKernel, type LooseAttribute } from './kernel-harness.js';
import { matmulKernels } from './matmul.js';
import { matmulWasmKernels } from './matmul-wasm.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

/** The wasm kernel `op` with `constants` as the model's initializers. */
function runWasm(op: string, inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute> = {}, constants: Tensor[] = []): Tensor {
  const rt = new WasmKernelRuntime(modules, new Set(constants));
  try {
    return runKernel(matmulWasmKernels(rt), op, inputs, attrs)[0]!;
  } finally {
    rt.dispose();
  }
}


/** Sizes around the 4×8 register tile and the 64-row / 256-deep blocks. */
const EDGES = [1, 3, 4, 5, 7, 8, 9, 17, 63, 65, 257];

describe('wasm Gemm', () => {
  it('multiplies [[1,2],[3,4]]·[[5,6],[7,8]] to [[19,22],[43,50]] (by hand)', () => {
    const y = runWasm('Gemm', [f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [5, 6, 7, 8])]);
    expect(y.shape).toEqual([2, 2]);
    expect(numbers(y)).toEqual([19, 22, 43, 50]);
  });

  it('applies transA, transB, alpha and a row bias with beta (2·Aᵀ·Bᵀ + 0.5·[10,20]: by hand)', () => {
    const A = f32([2, 1], [1, 2]), B = f32([2, 2], [3, 4, 5, 6]), C = f32([2], [10, 20]);
    const y = runWasm('Gemm', [A, B, C], { transA: 1, transB: 1, alpha: 2.0000001, beta: 0.5 });
    // Aᵀ = [[1,2]], Bᵀ = [[3,5],[4,6]]: Aᵀ·Bᵀ = [11, 17]; 2·that + [5, 10] = [27, 44] (alpha off 2 by 1e-7).
    expect(numbers(y).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([27, 44]);
  });

  it('matches the reference Gemm on seeded shapes at the edges of the blocking', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 60; trial++) {
      const m = rng.pick(EDGES), n = rng.pick(EDGES), k = rng.pick(EDGES);
      const transA = rng.int(0, 1), transB = rng.int(0, 1);
      const A = rng.floats(transA ? [k, m] : [m, k]), B = rng.floats(transB ? [n, k] : [k, n]);
      const C = rng.pick([undefined, rng.floats([n]), rng.floats([m, 1]), rng.floats([m, n]), rng.floats([1])]);
      const attrs = { transA, transB, alpha: rng.pick([1, 0.5]), beta: rng.pick([1, 0.25, 0]) };
      const constants = rng.pick([[], [B], [A, B]]);
      const want = runKernel(matmulKernels, 'Gemm', [A, B, C], attrs)[0]!;
      const got = runWasm('Gemm', [A, B, C], attrs, constants);
      expect(got.shape, `trial ${trial}`).toEqual(want.shape);
      expect(relativeError(got, want), `trial ${trial}: m=${m} n=${n} k=${k} ${JSON.stringify(attrs)}`).toBeLessThan(1e-5);
    }
  });

  it('packs a constant B once: later runs keep nothing past their end, dispose frees the panels', () => {
    const rng = new Rng(9), B = rng.floats([33, 20]), rt = new WasmKernelRuntime(modules, new Set([B]));
    const gemm = matmulWasmKernels(rt).filter((k) => k.op === 'Gemm');
    const before = modules.heap.liveBytes;
    runKernel(gemm, 'Gemm', [rng.floats([6, 33]), B]);
    // The output stays resident until the run ends (the backend ends one per inference).
    expect(modules.heap.liveBytes - before).toBe(24 * 33 * 4 + 6 * 20 * 4);
    rt.endRun();
    const live = modules.heap.liveBytes;
    // B's 8-column panels: ceil(20 / 8)·8 columns × 33 rows of float32.
    expect(live - before).toBe(24 * 33 * 4);
    for (let i = 0; i < 5; i++) {
      const A = rng.floats([6, 33]);
      expect(relativeError(runKernel(gemm, 'Gemm', [A, B])[0]!, runKernel(matmulKernels, 'Gemm', [A, B])[0]!)).toBeLessThan(1e-6);
      rt.endRun();
      expect(modules.heap.liveBytes).toBe(live);
    }
    rt.dispose();
    expect(modules.heap.liveBytes).toBe(before);
  });

  it('FusedGemm with Relu clamps at 0 in the epilogue ([1,-2]·I = [1, 0])', () => {
    const y = runWasm('FusedGemm', [f32([1, 2], [1, -2]), f32([2, 2], [1, 0, 0, 1])], { activation: 'Relu' });
    expect(numbers(y)).toEqual([1, 0]);
  });
});

describe('wasm MatMul', () => {
  it('drops the unit dims of 1-D operands ([1,2,3]·[4,5,6] = 32)', () => {
    const y = runWasm('MatMul', [f32([3], [1, 2, 3]), f32([3], [4, 5, 6])]);
    expect(y.shape).toEqual([]);
    expect(numbers(y)).toEqual([32]);
  });

  it('hands int32 products to the reference (65536·65536 wraps to 0)', () => {
    const y = runWasm('MatMul', [new Tensor('int32', [1, 1], Int32Array.of(65536)), new Tensor('int32', [1, 1], Int32Array.of(65536))]);
    expect(y.dtype).toBe('int32');
    expect(numbers(y)).toEqual([0]);
  });

  it('matches the reference on seeded batched, broadcasting shapes', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 40; trial++) {
      const m = rng.pick(EDGES.slice(0, 8)), n = rng.pick(EDGES.slice(0, 9)), k = rng.pick(EDGES.slice(0, 9));
      const batch = rng.shape(0, 3, 3), bBatch = rng.bool() ? [] : rng.broadcastOf(batch);
      const aShape = rng.next() < 0.15 ? [k] : [...batch, m, k], bShape = rng.next() < 0.15 ? [k] : [...bBatch, k, n];
      const A = rng.floats(aShape), B = rng.floats(bShape);
      const want = runKernel(matmulKernels, 'MatMul', [A, B])[0]!;
      const got = runWasm('MatMul', [A, B], {}, rng.bool() ? [B] : []);
      expect(got.shape, `trial ${trial}: [${aShape}]·[${bShape}]`).toEqual(want.shape);
      expect(relativeError(got, want), `trial ${trial}: [${aShape}]·[${bShape}]`).toBeLessThan(1e-5);
    }
  });
});
