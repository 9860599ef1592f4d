import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, runKernel, type LooseAttribute } from './kernel-harness.js';
import { padKernel } from './pad.js';
import { padWasmKernels } from './pad-wasm.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

const i64 = (...v: number[]) => new Tensor('int64', [v.length], BigInt64Array.from(v, BigInt));

function runWasm(inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute> = {}, opset = 21): { y: Tensor; delegated: boolean } {
  const rt = new WasmKernelRuntime(modules, new Set());
  try {
    const y = runKernel(padWasmKernels(rt), 'Pad', inputs, attrs, opset)[0]!;
    numbers(y);
    return { y, delegated: rt.delegatedLast };
  } finally {
    rt.dispose();
  }
}

describe('wasm Pad', () => {
  it('pads [[1,2],[3,4]] by one column of 9 on the left and crops its last row (by hand)', () => {
    const { y, delegated } = runWasm([f32([2, 2], [1, 2, 3, 4]), i64(0, 1, -1, 0), f32([], [9])]);
    expect([delegated, y.shape, numbers(y)]).toEqual([false, [1, 3], [9, 1, 2]]);
  });

  it('matches the reference on seeded shapes and pads (crops, opset 2 attributes, opset 18 axes)', () => {
    const rng = new Rng(61);
    for (let trial = 0; trial < 120; trial++) {
      const shape = rng.shape(1, 4, 5), rank = shape.length, x = rng.floats(shape);
      const pads = Array.from({ length: 2 * rank }, () => rng.int(-2, 3));
      // A crop takes at most the whole axis.
      for (let d = 0; d < rank; d++) while (pads[d]! + pads[rank + d]! < -shape[d]!) pads[pads[d]! < 0 ? d : rank + d]!++;
      if (rng.bool()) pads.fill(0, rng.int(1, rank), rank).fill(0, rank + rng.int(1, rank));
      const value = rng.pick([0, 1.5, -3]), form = rng.pick(['input', 'attribute', 'axes']);
      let inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute> = {}, opset = 21;
      if (form === 'attribute') {
        inputs = [x];
        attrs = { pads, value };
        opset = 2;
      } else if (form === 'axes') {
        const axis = rng.int(0, rank - 1);
        inputs = [x, i64(pads[axis]!, pads[rank + axis]!), f32([], [value]), i64(axis - rank)];
      } else inputs = [x, i64(...pads), f32([], [value])];
      const what = `trial ${trial}: [${shape}] pads [${pads}] ${form}`;
      const want = runKernel([padKernel], 'Pad', inputs, attrs, opset)[0]!, got = runWasm(inputs, attrs, opset);
      expect(got.delegated, what).toBe(false);
      expect(got.y.shape, what).toEqual(want.shape);
      expect(numbers(got.y), what).toEqual(numbers(want));
    }
  });

  it('hands reflect padding and integer tensors to the reference', () => {
    expect(runWasm([f32([3], [1, 2, 3]), i64(2, 0)], { mode: 'reflect' })).toMatchObject({ delegated: true });
    const ints = runWasm([new Tensor('int32', [2], Int32Array.of(5, 6)), i64(1, 1)]);
    expect([ints.delegated, Array.from(ints.y.numeric as Int32Array)]).toEqual([true, [0, 5, 6, 0]]);
  });
});
