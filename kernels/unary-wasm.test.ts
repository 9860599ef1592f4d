import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import { Tensor } from '../src/tensor/tensor.js';
import { referenceKernels } from './index.js';
import { f32, numbers, runKernel, type LooseAttribute } from './kernel-harness.js';
import { unaryWasmKernels } from './unary-wasm.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

function runWasm(op: string, inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute> = {}, opset = 21): { y: Tensor; delegated: boolean } {
  const rt = new WasmKernelRuntime(modules, new Set());
  try {
    const y = runKernel(unaryWasmKernels(rt), op, inputs, attrs, opset)[0]!;
    numbers(y);
    return { y, delegated: rt.delegatedLast };
  } finally {
    rt.dispose();
  }
}

const reference = (op: string, inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute> = {}, opset = 21) =>
  runKernel([referenceKernels.find('', op, opset)!], op, inputs, attrs, opset)[0]!;

/** Odd lengths (a tail of 1 to 3 floats), signed zeros, NaN and infinities among seeded values. */
function values(rng: Rng, n: number, scale = 4): Tensor {
  const v = Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
  v.splice(0, 0, 0, -0, NaN, Infinity, -Infinity, 1, -1);
  return f32([v.length], v);
}

describe('wasm activations', () => {
  it('Relu keeps NaN and -0 as the reference does, Clip [0, 6] and LeakyRelu 0.5 by hand', () => {
    expect(numbers(runWasm('Relu', [f32([5], [-2, -0, 3, NaN, 0.5])]).y)).toEqual([0, -0, 3, NaN, 0.5]);
    const six = f32([], [6]), zero = f32([], [0]);
    expect(numbers(runWasm('Clip', [f32([4], [-1, 2, 7, NaN]), zero, six]).y)).toEqual([0, 2, 6, NaN]);
    expect(numbers(runWasm('LeakyRelu', [f32([3], [-2, 0, 4])], { alpha: 0.5 }).y)).toEqual([-1, 0, 4]);
  });

  it('Relu, Clip (inputs, one bound, min above max, opset 6 attributes), LeakyRelu, HardSigmoid, Sqrt and Abs give the reference\'s floats', () => {
    const rng = new Rng(71);
    for (let trial = 0; trial < 30; trial++) {
      const X = values(rng, rng.int(0, 40)), lo = f32([], [rng.next() * 2 - 1.5]), hi = f32([], [rng.next() * 2 - 0.5]);
      const cases: [string, (Tensor | undefined)[], Record<string, LooseAttribute>, number][] = [
        ['Relu', [X], {}, 14],
        ['Clip', [X, lo, hi], {}, 13],
        ['Clip', [X, undefined, hi], {}, 13],
        ['Clip', [X, hi, lo], {}, 13],
        ['Clip', [X], { min: -0.25, max: 0.5 }, 6],
        ['LeakyRelu', [X], { alpha: 0.125 }, 16],
        ['HardSigmoid', [X], { alpha: 0.25, beta: 0.5 }, 6],
        ['Sqrt', [X], {}, 13],
        ['Abs', [X], {}, 13],
      ];
      for (const [op, inputs, attrs, opset] of cases) {
        const got = runWasm(op, inputs, attrs, opset), what = `trial ${trial}: ${op} ${JSON.stringify(attrs)}`;
        expect(got.delegated, what).toBe(false);
        expect(numbers(got.y), what).toEqual(numbers(reference(op, inputs, attrs, opset)));
      }
    }
  });

  it('Sigmoid and Tanh are within 3e-7 of the reference over [-20, 20] (1e-7 relative near 0), with its limits and NaN', () => {
    const xs = Array.from({ length: 4001 }, (_, i) => -20 + i * 0.01);
    xs.push(1e-6, -1e-6, 0.2499, 0.25, 0.2501, 50, -50, NaN);
    const X = f32([xs.length], xs);
    for (const op of ['Sigmoid', 'Tanh']) {
      const got = numbers(runWasm(op, [X]).y), want = numbers(reference(op, [X]));
      const worst = Math.max(...want.slice(0, -1).map((v, i) => Math.abs(got[i]! - v) / Math.max(1, Math.abs(v))));
      expect(worst, op).toBeLessThan(3e-7);
      expect(Math.abs(got[4001]! - want[4001]!), op).toBeLessThan(1e-7 * Math.abs(want[4001]!));
      expect(got.slice(-3), op).toEqual(op === 'Tanh' ? [1, -1, NaN] : [1, want.at(-2), NaN]);
    }
  });

  it('casts int32, uint8, float64 and float32 to float32 as the reference does, and hands casts to other dtypes on', () => {
    const ints = [0, 1, -7, 16777217, -2147483648, 2147483647];
    const inputs = [
      new Tensor('int32', [6], Int32Array.from(ints)), new Tensor('uint8', [3], Uint8Array.of(0, 128, 255)),
      new Tensor('float64', [4], Float64Array.of(0.1, 1e300, -0, NaN)), f32([2], [1.5, -2]),
    ];
    for (const x of inputs) {
      const got = runWasm('Cast', [x], { to: 1 });
      expect(got.delegated, x.dtype).toBe(false);
      expect(numbers(got.y), x.dtype).toEqual(numbers(reference('Cast', [x], { to: 1 })));
    }
    const toInt = runWasm('Cast', [f32([2], [1.5, -2.5])], { to: 6 });
    expect([toInt.delegated, toInt.y.dtype, Array.from(toInt.y.numeric as Int32Array)]).toEqual([true, 'int32', [1, -2]]);
  });

  it('hands float64 inputs and a Clip bound of another dtype to the reference', () => {
    const d = new Tensor('float64', [2], Float64Array.of(-1, 2));
    expect(runWasm('Relu', [d])).toMatchObject({ delegated: true });
    const got = runWasm('Clip', [f32([2], [-1, 2]), new Tensor('float64', [], Float64Array.of(0))]);
    expect([got.delegated, numbers(got.y)]).toEqual([true, [0, 2]]);
  });
});
