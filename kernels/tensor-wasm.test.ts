import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, runKernel } from './kernel-harness.js';
import { gatherKernels } from './gather.js';
import { tensorKernels } from './tensor.js';
import { tensorWasmKernels } from './tensor-wasm.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

function runWasm(inputs: Tensor[], axis: number): { y: Tensor; delegated: boolean } {
  const rt = new WasmKernelRuntime(modules, new Set());
  try {
    const y = runKernel(tensorWasmKernels(rt), 'Concat', inputs, { axis })[0]!;
    numbers(y);
    return { y, delegated: rt.delegatedLast };
  } finally {
    rt.dispose();
  }
}

describe('wasm Concat', () => {
  it('joins [[1,2],[3,4]] and [[5],[6]] along axis -1 into [[1,2,5],[3,4,6]] (by hand)', () => {
    const { y } = runWasm([f32([2, 2], [1, 2, 3, 4]), f32([2, 1], [5, 6])], -1);
    expect(y.shape).toEqual([2, 3]);
    expect(numbers(y)).toEqual([1, 2, 5, 3, 4, 6]);
  });

  it('matches the reference on seeded shapes and axes, zero-sized parts included', () => {
    const rng = new Rng(51);
    for (let trial = 0; trial < 80; trial++) {
      const shape = rng.shape(1, 4, 4), axis = rng.int(0, shape.length - 1);
      const parts = Array.from({ length: rng.int(1, 4) }, () => rng.floats(shape.map((d, i) => (i === axis ? rng.int(0, 3) : d))));
      const want = runKernel(tensorKernels, 'Concat', parts, { axis })[0]!, got = runWasm(parts, axis - (rng.bool() ? shape.length : 0));
      expect(got.delegated).toBe(false);
      expect(got.y.shape, `trial ${trial}`).toEqual(want.shape);
      expect(numbers(got.y), `trial ${trial}`).toEqual(numbers(want));
    }
  });

  it('hands int64 parts to the reference', () => {
    const a = new Tensor('int64', [1], BigInt64Array.of(7n)), got = runWasm([a, a], 0);
    expect([got.delegated, [...got.y.numeric]]).toEqual([true, [7n, 7n]]);
  });
});

describe('wasm Transpose', () => {
  function transposeWasm(X: Tensor, perm: number[]): { y: Tensor; delegated: boolean } {
    const rt = new WasmKernelRuntime(modules, new Set());
    try {
      const y = runKernel(tensorWasmKernels(rt), 'Transpose', [X], { perm })[0]!;
      numbers(y);
      return { y, delegated: rt.delegatedLast };
    } finally {
      rt.dispose();
    }
  }

  it('swaps the two leading axes of [2, 2, 2] keeping rows whole ([[1,2],[3,4]],[[5,6],[7,8]] -> rows 1,2 5,6 3,4 7,8)', () => {
    const { y, delegated } = transposeWasm(f32([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), [1, 0, 2]);
    expect([delegated, y.shape, numbers(y)]).toEqual([false, [2, 2, 2], [1, 2, 5, 6, 3, 4, 7, 8]]);
  });

  it('transposes a [2, 3] through the tile path ([[1,2,3],[4,5,6]] -> [[1,4],[2,5],[3,6]])', () => {
    const { y, delegated } = transposeWasm(f32([2, 3], [1, 2, 3, 4, 5, 6]), [1, 0]);
    expect([delegated, y.shape, numbers(y)]).toEqual([false, [3, 2], [1, 4, 2, 5, 3, 6]]);
  });

  it('matches the reference exactly on seeded permutations, those that move the last axis included', () => {
    const rng = new Rng(52);
    let moved = 0;
    for (let trial = 0; trial < 120; trial++) {
      // Dims up to 11 so both the 4×4 tiles and their row and column edges run.
      const X = rng.floats(rng.shape(2, 5, trial % 2 ? 4 : 11)), perm = rng.permutation(X.rank);
      const want = runKernel(tensorKernels, 'Transpose', [X], { perm })[0]!, got = transposeWasm(X, perm);
      expect(got.delegated).toBe(false);
      if (perm[X.rank - 1] !== X.rank - 1) moved++;
      expect(got.y.shape, `trial ${trial}: [${X.shape}] perm ${perm}`).toEqual(want.shape);
      expect(numbers(got.y), `trial ${trial}: [${X.shape}] perm ${perm}`).toEqual(numbers(want));
    }
    expect(moved).toBeGreaterThan(40);
  });

  it("moves attention's K transpose ([heads, seq, dim] -> [heads, dim, seq], 4 × 128 × 64) exactly", () => {
    const X = new Rng(53).floats([4, 128, 64]), perm = [0, 2, 1];
    const got = transposeWasm(X, perm);
    expect(got.delegated).toBe(false);
    expect(numbers(got.y)).toEqual(numbers(runKernel(tensorKernels, 'Transpose', [X], { perm })[0]!));
  });
});

describe('wasm Slice', () => {
  const i64 = (v: number[]) => new Tensor('int64', [v.length], BigInt64Array.from(v.map(BigInt)));

  function sliceWasm(inputs: (Tensor | undefined)[], attrs: Record<string, number[]>, opset: number): { y: Tensor; delegated: boolean } {
    const rt = new WasmKernelRuntime(modules, new Set());
    try {
      const y = runKernel(tensorWasmKernels(rt), 'Slice', inputs, attrs, opset)[0]!;
      numbers(y);
      return { y, delegated: rt.delegatedLast };
    } finally {
      rt.dispose();
    }
  }

  it('takes columns 1..3 of every row of a [2, 4] ([[0,1,2,3],[4,5,6,7]] -> [[1,2],[5,6]])', () => {
    const X = f32([2, 4], [0, 1, 2, 3, 4, 5, 6, 7]);
    const { y, delegated } = sliceWasm([X, i64([1]), i64([3]), i64([1])], {}, 13);
    expect([delegated, y.shape, numbers(y)]).toEqual([false, [2, 2], [1, 2, 5, 6]]);
  });

  it('matches the reference on seeded slices (negative and out-of-range bounds, outer steps, the opset-1 attribute form)', () => {
    const rng = new Rng(53);
    let ran = 0;
    for (let trial = 0; trial < 120; trial++) {
      const X = rng.floats(rng.shape(1, 4, 6)), n = rng.int(1, X.rank);
      const axes = rng.permutation(X.rank).slice(0, n);
      const starts = axes.map(() => rng.int(-8, 8)), ends = axes.map(() => rng.pick([rng.int(-8, 8), 2 ** 40, -(2 ** 40)]));
      const steps = axes.map((a) => (a === X.rank - 1 && rng.next() < 0.7 ? 1 : rng.pick([1, 2, -1, -2])));
      const opset = rng.pick([9, 13]);
      const inputs = opset < 10 ? [X] : [X, i64(starts), i64(ends), i64(axes), i64(steps)];
      const attrs: Record<string, number[]> = opset < 10 ? { starts, ends, axes } : {};
      if (opset < 10) steps.fill(1);
      const want = runKernel(tensorKernels, 'Slice', inputs, attrs, opset)[0]!, got = sliceWasm(inputs, attrs, opset);
      const lastStep = axes.includes(X.rank - 1) ? steps[axes.indexOf(X.rank - 1)] : 1;
      expect(got.delegated, `trial ${trial}`).toBe(lastStep !== 1);
      if (!got.delegated) ran++;
      expect(got.y.shape, `trial ${trial}`).toEqual(want.shape);
      expect(numbers(got.y), `trial ${trial}`).toEqual(numbers(want));
    }
    expect(ran).toBeGreaterThan(50);
  });
});

describe('wasm Gather', () => {
  const ints = (shape: number[], v: number[]) => new Tensor('int64', shape, BigInt64Array.from(v.map(BigInt)));

  function gatherWasm(X: Tensor, I: Tensor, axis: number): { y: Tensor; delegated: boolean } {
    const rt = new WasmKernelRuntime(modules, new Set([X]));
    try {
      const y = runKernel(tensorWasmKernels(rt), 'Gather', [X, I], { axis }, 13)[0]!;
      numbers(y);
      return { y, delegated: rt.delegatedLast };
    } finally {
      rt.dispose();
    }
  }

  it('looks up rows 2, 0, -1 of a [3, 2] table ([[1,2],[3,4],[5,6]] -> [[5,6],[1,2],[5,6]])', () => {
    const { y, delegated } = gatherWasm(f32([3, 2], [1, 2, 3, 4, 5, 6]), ints([3], [2, 0, -1]), 0);
    expect([delegated, y.shape, numbers(y)]).toEqual([false, [3, 2], [5, 6, 1, 2, 5, 6]]);
  });

  it('matches the reference exactly on seeded tables, index shapes and axes', () => {
    const rng = new Rng(54);
    for (let trial = 0; trial < 60; trial++) {
      const X = rng.floats(rng.shape(1, 4, 5)), axis = rng.int(-X.rank, X.rank - 1), n = X.shape[axis < 0 ? axis + X.rank : axis]!;
      const iShape = rng.shape(0, 2, 3), count = iShape.reduce((a, b) => a * b, 1);
      const I = ints(iShape, Array.from({ length: count }, () => rng.int(-n, n - 1)));
      const want = runKernel(gatherKernels, 'Gather', [X, I], { axis }, 13)[0]!, got = gatherWasm(X, I, axis);
      expect(got.delegated).toBe(false);
      expect(got.y.shape, `trial ${trial}`).toEqual(want.shape);
      expect(numbers(got.y), `trial ${trial}`).toEqual(numbers(want));
    }
  });

  it('hands an index out of range to the reference, which names it', () => {
    expect(() => gatherWasm(f32([2, 2], [1, 2, 3, 4]), ints([1], [2]), 0)).toThrow(/Gather/);
  });
});
