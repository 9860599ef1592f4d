import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { activationKernels } from './activation.js';
import { elementwiseKernels } from './elementwise.js';
import { elementwiseWasmKernels } from './elementwise-wasm.js';
import { f32, numbers, runKernel } from './kernel-harness.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

let delegated = 0;

function runWasm(op: string, inputs: Tensor[]): Tensor {
  const rt = new WasmKernelRuntime(modules, new Set());
  try {
    const y = runKernel(elementwiseWasmKernels(rt), op, inputs)[0]!;
    if (rt.delegatedLast) delegated++;
    return y;
  } finally {
    rt.dispose();
  }
}

describe('wasm Add/Sub/Mul/Div', () => {
  it('adds a trailing row vector to every row ([[1,2],[3,4]] + [10,20] = [[11,22],[13,24]] by hand)', () => {
    expect(numbers(runWasm('Add', [f32([2, 2], [1, 2, 3, 4]), f32([2], [10, 20])]))).toEqual([11, 22, 13, 24]);
  });

  it('divides by a leading column ([m,1]) and a scalar on the left ([[2,4],[6,8]] / [[2],[4]]; 1 - [1,2])', () => {
    expect(numbers(runWasm('Div', [f32([2, 2], [2, 4, 6, 8]), f32([2, 1], [2, 4])]))).toEqual([1, 2, 1.5, 2]);
    expect(numbers(runWasm('Sub', [f32([], [1]), f32([2], [1, 2])]))).toEqual([0, -1]);
  });

  it('matches the reference bit for bit on seeded broadcasts, including ones it hands to the reference', () => {
    const rng = new Rng(31);
    delegated = 0;
    for (let trial = 0; trial < 200; trial++) {
      const op = rng.pick(['Add', 'Sub', 'Mul', 'Div']);
      const out = rng.shape(0, 4, 6), lead = rng.int(0, out.length);
      // Equal, a broadcast suffix (some dims 1: not always a row walk), leading dims then ones, a scalar.
      const small = rng.pick([out, rng.broadcastOf(out), out.map((d, i) => (i < lead ? d : 1)), []]);
      const [a, b] = rng.bool() ? [out, small] : [small, out];
      const A = rng.floats(a, -3, 3), B = rng.floats(b, 0.5, 3);
      const want = runKernel(elementwiseKernels, op, [A, B])[0]!, got = runWasm(op, [A, B]);
      expect(got.shape, `trial ${trial}: ${op} [${a}] [${b}]`).toEqual(want.shape);
      expect(numbers(got), `trial ${trial}: ${op} [${a}] [${b}]`).toEqual(numbers(want));
    }
    // Most of these are row walks; the rest (a suffix with inner unit dims) are the reference's.
    expect(delegated).toBeGreaterThan(0);
    expect(delegated).toBeLessThan(60);
  });

  it('walks an outer product in wasm: [[1],[2]] - [10,20,30] is [[-9,-19,-29],[-8,-18,-28]] (by hand), and seeded ones bit for bit', () => {
    delegated = 0;
    expect(numbers(runWasm('Sub', [f32([2, 1], [1, 2]), f32([3], [10, 20, 30])]))).toEqual([-9, -19, -29, -8, -18, -28]);
    const rng = new Rng(32);
    for (let trial = 0; trial < 60; trial++) {
      const op = rng.pick(['Add', 'Sub', 'Mul', 'Div']);
      const out = rng.shape(2, 4, 6), k = rng.int(1, out.length - 1);
      // movenet's [1, 48, 48, 1] - [1, 1, 1, 17]: leading dims against ones, ones against trailing dims.
      const column = out.map((d, i) => (i < k ? d : 1)), row = out.map((d, i) => (i < k ? 1 : d)).slice(rng.int(0, k));
      const [a, b] = rng.bool() ? [column, row] : [row, column];
      const A = rng.floats(a, -3, 3), B = rng.floats(b, 0.5, 3);
      const want = runKernel(elementwiseKernels, op, [A, B])[0]!, got = runWasm(op, [A, B]);
      expect(got.shape, `trial ${trial}: ${op} [${a}] [${b}]`).toEqual(want.shape);
      expect(numbers(got), `trial ${trial}: ${op} [${a}] [${b}]`).toEqual(numbers(want));
    }
    expect(delegated).toBe(0);
  });
});

describe('wasm Erf', () => {
  it('is within 3.5e-7 (A&S 7.1.26 gives 1.5e-7, float32 rounding the rest) of the reference erf over [-7, 7] (both sides of 0.5, the tails, exact 0)', () => {
    const xs = Array.from({ length: 2801 }, (_, i) => -7 + i * 0.005);
    xs.push(0, 1e-6, -1e-6, 0.4999, 0.5, 0.5001, 30, -30, Infinity, -Infinity);
    const X = f32([xs.length], xs), got = numbers(runWasm('Erf', [X])), want = numbers(runKernel(elementwiseKernels, 'Erf', [X])[0]!);
    const worst = Math.max(...want.map((v, i) => Math.abs(got[i]! - v)));
    expect(worst).toBeLessThan(3.5e-7);
    // Near 0 the error is relative: erf(1e-6) = 1.1283792e-6.
    expect(Math.abs(got[xs.length - 9]! - 1.1283792e-6)).toBeLessThan(1e-12);
    expect(got.slice(-4)).toEqual([1, -1, 1, -1]);
    expect(numbers(runWasm('Erf', [f32([1], [NaN])]))).toEqual([NaN]);
  });
});

describe('wasm Gelu', () => {
  function gelu(domain: string, X: Tensor, attrs: Record<string, string> = {}): { y: Tensor; delegated: boolean } {
    const rt = new WasmKernelRuntime(modules, new Set());
    try {
      const y = runKernel(elementwiseWasmKernels(rt).filter((k) => k.domain === domain), 'Gelu', [X], attrs, 20)[0]!;
      numbers(y);
      return { y, delegated: rt.delegatedLast };
    } finally {
      rt.dispose();
    }
  }

  it('is within 2e-7·max(1, |x|) of the reference (float64 erf) over [-8, 8], both the com.microsoft and the ONNX-20 op', () => {
    const xs = Array.from({ length: 3203 }, (_, i) => -8 + i * 0.005);
    const X = f32([xs.length], xs), want = numbers(runKernel(activationKernels, 'Gelu', [X], {}, 20)[0]!);
    for (const domain of ['com.microsoft', '']) {
      const got = gelu(domain, X);
      expect(got.delegated).toBe(false);
      const y = numbers(got.y);
      expect(Math.max(...want.map((v, i) => Math.abs(y[i]! - v) / Math.max(1, Math.abs(xs[i]!))))).toBeLessThan(2e-7);
    }
    expect(numbers(gelu('', f32([3], [0, 1, -1])).y).map((v) => Number(v.toFixed(6)))).toEqual([0, 0.841345, -0.158655]);
  });

  it('hands the tanh form to the reference', () => {
    const X = f32([2], [0.5, -1]), got = gelu('', X, { approximate: 'tanh' });
    expect(got.delegated).toBe(true);
    expect(numbers(got.y)).toEqual(numbers(runKernel(activationKernels, 'Gelu', [X], { approximate: 'tanh' }, 20)[0]!));
  });
});
