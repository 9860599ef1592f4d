import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { referenceKernels } from './index.js';
import { f32, numbers, runKernel, type LooseAttribute } from './kernel-harness.js';
import { normWasmKernels } from './norm-wasm.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

type Inputs = (Tensor | undefined)[];

function runWasm(inputs: Inputs, attrs: Record<string, LooseAttribute>, opset: number, outputs: number): { out: Tensor[]; delegated: boolean } {
  const rt = new WasmKernelRuntime(modules, new Set());
  try {
    const out = runKernel(normWasmKernels(rt), 'LayerNormalization', inputs, attrs, opset, outputs);
    out.forEach(numbers);
    return { out, delegated: rt.delegatedLast };
  } finally {
    rt.dispose();
  }
}

function runReference(inputs: Inputs, attrs: Record<string, LooseAttribute>, opset: number, outputs: number): Tensor[] {
  const kernel = referenceKernels.find('', 'LayerNormalization', opset)!;
  return runKernel([kernel], 'LayerNormalization', inputs, attrs, opset, outputs);
}

/** Largest |a - b| / max(1, |b|): InvStdDev of a constant row is 1/sqrt(ε), where float32 keeps 7 digits. */
const maxDiff = (a: Tensor, b: Tensor) => {
  const x = numbers(a), y = numbers(b);
  return Math.max(...y.map((v, i) => Math.abs(x[i]! - v) / Math.max(1, Math.abs(v))));
};

describe('wasm LayerNormalization', () => {
  it('normalizes [1, 2, 3, 4] to (x - 2.5) / sqrt(1.25 + 1e-5), scaled and shifted', () => {
    const { out } = runWasm([f32([1, 4], [1, 2, 3, 4]), f32([4], [1, 2, 1, 1]), f32([4], [0, 0, 0, 10])], {}, 17, 3);
    const inv = 1 / Math.sqrt(1.25 + 1e-5);
    const want = [-1.5 * inv, -0.5 * inv * 2, 0.5 * inv, 1.5 * inv + 10];
    numbers(out[0]!).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    expect(numbers(out[1]!)).toEqual([2.5]);
    expect(numbers(out[2]!)[0]).toBeCloseTo(inv, 6);
    expect(out[1]!.shape).toEqual([1, 1]);
  });

  it('is within 2e-6 (relative above 1) of the reference (float64 moments) on seeded shapes, axes, odd row lengths, both opset forms', () => {
    const rng = new Rng(501);
    for (let trial = 0; trial < 60; trial++) {
      const shape = rng.shape(1, 4, 9), opset = trial % 2 ? 17 : 13, axis = rng.int(-shape.length, shape.length - 1);
      const a = axis < 0 ? axis + shape.length : axis, norm = shape.slice(a);
      const X = rng.floats(shape, -3, 5), S = rng.floats(norm, 0.5, 2), B = trial % 3 ? rng.floats(norm, -1, 1) : undefined;
      const attrs = { axis, epsilon: trial % 4 ? 1e-5 : 1e-3 }, outputs = trial % 5 ? 1 : 3;
      const want = runReference([X, S, B], attrs, opset, outputs), got = runWasm([X, S, B], attrs, opset, outputs);
      expect(got.delegated, `trial ${trial}`).toBe(false);
      for (let o = 0; o < outputs; o++) {
        expect(got.out[o]!.shape).toEqual(want[o]!.shape);
        expect(maxDiff(got.out[o]!, want[o]!), `trial ${trial}: [${shape}] axis ${axis} output ${o}`).toBeLessThan(2e-6);
      }
    }
  });

  it('hands a broadcast scale and a double-precision stash to the reference, with its answer', () => {
    const X = new Rng(502).floats([2, 5]);
    const scalar = runWasm([X, f32([1], [2])], {}, 17, 1);
    expect(scalar.delegated).toBe(true);
    expect(numbers(scalar.out[0]!)).toEqual(numbers(runReference([X, f32([1], [2])], {}, 17, 1)[0]!));
    expect(runWasm([X, f32([5], [1, 1, 1, 1, 1])], { stash_type: 11 }, 17, 1).delegated).toBe(true);
  });
});
