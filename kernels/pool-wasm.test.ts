import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, runKernel, type LooseAttribute } from './kernel-harness.js';
import { poolKernels } from './pool.js';
import { poolWasmKernels } from './pool-wasm.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

function runWasm(X: Tensor, attrs: Record<string, LooseAttribute>, outputs = 1): { y: Tensor[]; delegated: boolean } {
  const rt = new WasmKernelRuntime(modules, new Set());
  try {
    const y = runKernel(poolWasmKernels(rt), 'MaxPool', [X], attrs, 21, outputs);
    numbers(y[0]!);
    return { y, delegated: rt.delegatedLast };
  } finally {
    rt.dispose();
  }
}

describe('wasm MaxPool', () => {
  it('takes the maximum of each 2×2 window of a 4×4 image, stride 2 (by hand)', () => {
    const x = f32([1, 1, 4, 4], [1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 1, 1, 9, 0, 1, 7]);
    expect(numbers(runWasm(x, { kernel_shape: [2, 2], strides: [2, 2] }).y[0]!)).toEqual([5, 8, 9, 7]);
  });

  it('keeps a NaN that starts a window and passes over a later one, as the reference does', () => {
    const x = f32([1, 1, 1, 4], [NaN, 1, 2, NaN]);
    expect(numbers(runWasm(x, { kernel_shape: [1, 2], strides: [1, 2] }).y[0]!)).toEqual([NaN, 2]);
  });

  it('matches the reference exactly on seeded geometries (1-D, 2-D, pads, strides, dilations, ceil_mode)', () => {
    const rng = new Rng(41);
    for (let trial = 0; trial < 120; trial++) {
      const spatial = rng.int(1, 2), kernel = Array.from({ length: spatial }, () => rng.int(1, 4));
      const dilations = kernel.map(() => rng.pick([1, 1, 2])), strides = kernel.map(() => rng.int(1, 3));
      const pads = [...kernel, ...kernel].map((k) => rng.int(0, k - 1));
      const attrs = { kernel_shape: kernel, strides, dilations, pads, ceil_mode: rng.int(0, 1) };
      const X = rng.floats([rng.int(1, 2), rng.int(1, 3), ...kernel.map((k, i) => (k - 1) * dilations[i]! + 1 + rng.int(0, 25))]);
      const want = runKernel(poolKernels, 'MaxPool', [X], attrs)[0]!, got = runWasm(X, attrs);
      expect(got.delegated).toBe(false);
      expect(got.y[0]!.shape, `trial ${trial}`).toEqual(want.shape);
      expect(numbers(got.y[0]!), `trial ${trial}: ${JSON.stringify(attrs)}`).toEqual(numbers(want));
    }
  });

  it('hands a node that wants Indices to the reference (argmax 1 of [1, 5, 2])', () => {
    const got = runWasm(f32([1, 1, 3], [1, 5, 2]), { kernel_shape: [3] }, 2);
    expect(got.delegated).toBe(true);
    expect(got.y.map(numbers)).toEqual([[5], [1]]);
  });
});
