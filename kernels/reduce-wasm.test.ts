import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, runKernel, type LooseAttribute } from './kernel-harness.js';
import { reduceKernels } from './reduce.js';
import { reduceWasmKernels } from './reduce-wasm.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

function runWasm(X: Tensor, attrs: Record<string, LooseAttribute>, opset: number): { y: Tensor; delegated: boolean } {
  const rt = new WasmKernelRuntime(modules, new Set());
  try {
    const y = runKernel(reduceWasmKernels(rt), 'Softmax', [X], attrs, opset)[0]!;
    numbers(y);
    return { y, delegated: rt.delegatedLast };
  } finally {
    rt.dispose();
  }
}

describe('wasm Softmax', () => {
  it('gives [e^0, e^1, e^2] / their sum for [0, 1, 2] (0.0900306, 0.2447285, 0.6652410: numpy)', () => {
    const { y } = runWasm(f32([3], [0, 1, 2]), {}, 13);
    expect(numbers(y).map((v) => Number(v.toFixed(6)))).toEqual([0.090031, 0.244728, 0.665241]);
  });

  it('is within 2e-7 of the reference on seeded rows (wide ranges, odd lengths, both opset rules)', () => {
    const rng = new Rng(71);
    for (let trial = 0; trial < 60; trial++) {
      const shape = rng.shape(1, 4, 9), opset = rng.pick([11, 13]);
      const axis = opset < 13 ? rng.int(-shape.length, shape.length - 1) : rng.pick([-1, shape.length - 1]);
      const X = rng.floats(shape, -40, 40);
      const want = runKernel(reduceKernels, 'Softmax', [X], { axis }, opset)[0]!, got = runWasm(X, { axis }, opset);
      expect(got.delegated).toBe(false);
      const a = numbers(got.y), e = numbers(want);
      expect(Math.max(...e.map((v, i) => Math.abs(a[i]! - v))), `trial ${trial}: [${shape}] axis ${axis} opset ${opset}`).toBeLessThan(2e-7);
    }
  });

  it('hands a middle axis at opset 13 to the reference', () => {
    const X = new Rng(72).floats([2, 3, 4]), got = runWasm(X, { axis: 1 }, 13);
    expect(got.delegated).toBe(true);
    expect(numbers(got.y)).toEqual(numbers(runKernel(reduceKernels, 'Softmax', [X], { axis: 1 }, 13)[0]!));
  });
});

describe('wasm ReduceSum, ReduceMean, ReduceMax', () => {
  const i64 = (v: number[]) => new Tensor('int64', [v.length], BigInt64Array.from(v.map(BigInt)));

  function reduceWasm(op: string, inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute>, opset: number): { y: Tensor; delegated: boolean } {
    const rt = new WasmKernelRuntime(modules, new Set());
    try {
      const y = runKernel(reduceWasmKernels(rt), op, inputs, attrs, opset)[0]!;
      numbers(y);
      return { y, delegated: rt.delegatedLast };
    } finally {
      rt.dispose();
    }
  }

  it('reduces [[1, 2, 3], [4, 5, 9]] over the last axis: sums 6, 18, means 2, 6, maxima 3, 9 (by hand)', () => {
    const X = f32([2, 3], [1, 2, 3, 4, 5, 9]);
    const got = ['ReduceSum', 'ReduceMean', 'ReduceMax'].map((op) => reduceWasm(op, [X, i64([-1])], {}, 18));
    expect(got.map((g) => [g.delegated, g.y.shape, numbers(g.y)])).toEqual([
      [false, [2, 1], [6, 18]], [false, [2, 1], [2, 6]], [false, [2, 1], [3, 9]],
    ]);
  });

  it('matches the reference (float64 sums) within float32 summation error, maxima exactly, on seeded shapes and axis runs, both axes forms', () => {
    const rng = new Rng(73);
    let mid = 0;
    for (let trial = 0; trial < 150; trial++) {
      const op = rng.pick(['ReduceSum', 'ReduceMean', 'ReduceMax']), shape = rng.shape(1, 4, 9);
      const opset = rng.pick([13, 18]), keepdims = rng.int(0, 1);
      // One run of axes (a unit dim between counts as part of it), sometimes given negative, sometimes none (all).
      const from = rng.int(0, shape.length - 1), to = rng.int(from, shape.length - 1);
      const axes = trial % 7 === 0 ? [] : Array.from({ length: to - from + 1 }, (_, i) => from + i - (rng.bool() ? shape.length : 0));
      if (to < shape.length - 1 && shape.slice(to + 1).some((d) => d > 1)) mid++;
      const X = rng.floats(shape, -5, 5);
      const fromInput = opset >= (op === 'ReduceSum' ? 13 : 18);
      const inputs = fromInput ? [X, axes.length ? i64(axes) : undefined] : [X];
      const attrs: Record<string, LooseAttribute> = fromInput ? { keepdims } : { keepdims, ...(axes.length ? { axes } : {}) };
      const want = runKernel(reduceKernels, op, inputs, attrs, opset)[0]!, got = reduceWasm(op, inputs, attrs, opset);
      const label = `trial ${trial}: ${op} [${shape}] axes ${axes} keepdims ${keepdims} opset ${opset}`;
      expect(got.delegated, label).toBe(false);
      expect(got.y.shape, label).toEqual(want.shape);
      const a = numbers(got.y), e = numbers(want);
      if (op === 'ReduceMax') expect(a, label).toEqual(e);
      else {
        // A float32 sum of n terms of |x| ≤ 5 is off by at most n·5·ε(1.2e-7) (the reference sums in float64); a mean by 5·ε.
        const n = X.size / want.size, bound = 5 * 1.2e-7 * (op === 'ReduceMean' ? 1 : n);
        expect(Math.max(0, ...e.map((v, i) => Math.abs(a[i]! - v))), label).toBeLessThanOrEqual(bound);
      }
    }
    expect(mid).toBeGreaterThan(20);
  });

  it('propagates NaN through ReduceMax as the reference does', () => {
    const X = f32([2, 5], [1, NaN, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(numbers(reduceWasm('ReduceMax', [X, i64([1])], {}, 18).y)).toEqual([NaN, 10]);
  });

  it('hands axes apart, an empty reduction and noop_with_empty_axes to the reference, with its answer', () => {
    const X = new Rng(74).floats([2, 3, 4]);
    const apart = reduceWasm('ReduceSum', [X, i64([0, 2])], {}, 18);
    expect(apart.delegated).toBe(true);
    expect(numbers(apart.y)).toEqual(numbers(runKernel(reduceKernels, 'ReduceSum', [X, i64([0, 2])], {}, 18)[0]!));
    expect(reduceWasm('ReduceMean', [new Tensor('float32', [2, 0], new Float32Array(0)), i64([1])], {}, 18).delegated).toBe(true);
    expect(reduceWasm('ReduceSum', [X], { noop_with_empty_axes: 1 }, 18).delegated).toBe(true);
  });
});
