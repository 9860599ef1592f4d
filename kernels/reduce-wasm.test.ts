import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import type { Tensor } from '../src/tensor/tensor.js';
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
