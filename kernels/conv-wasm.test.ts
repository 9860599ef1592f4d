import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { convKernels } from './conv.js';
import { convWasmKernels } from './conv-wasm.js';
import { microsoftKernels } from './microsoft.js';
import { f32, numbers, relativeError, runKernel, type LooseAttribute } from './kernel-harness.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

function runWasm(op: string, inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute>, constants: Tensor[] = []): Tensor {
  const rt = new WasmKernelRuntime(modules, new Set(constants));
  try {
    return runKernel(convWasmKernels(rt), op, inputs, attrs)[0]!;
  } finally {
    rt.dispose();
  }
}


interface ConvCase {
  x: number[];
  w: number[];
  bias: boolean;
  attrs: Record<string, LooseAttribute>;
}

/** A random 1-D or 2-D conv: plain, grouped or depthwise (with a channel multiplier), any strides, pads, dilations. */
function randomConv(rng: Rng): ConvCase {
  const spatial = rng.int(1, 2), kind = rng.pick(['plain', 'grouped', 'depthwise', 'pointwise']);
  const group = kind === 'grouped' ? rng.int(2, 3) : kind === 'depthwise' ? rng.int(1, 5) : 1;
  const cg = kind === 'depthwise' ? 1 : rng.int(1, 6), c = cg * group, mg = kind === 'depthwise' ? rng.int(1, 2) : rng.int(1, 9);
  const kernel = Array.from({ length: spatial }, () => (kind === 'pointwise' ? 1 : rng.pick([1, 2, 3, 5])));
  const strides = Array.from({ length: spatial }, () => (kind === 'pointwise' ? 1 : rng.pick([1, 1, 2, 3])));
  const dilations = Array.from({ length: spatial }, () => (kind === 'pointwise' ? 1 : rng.pick([1, 1, 2])));
  const pads = Array.from({ length: 2 * spatial }, () => (kind === 'pointwise' ? 0 : rng.int(0, 2)));
  const image = kernel.map((k, i) => (k - 1) * dilations[i]! + 1 + rng.int(0, 21));
  return {
    x: [rng.int(1, 2), c, ...image], w: [mg * group, cg, ...kernel], bias: rng.bool(),
    attrs: { group, kernel_shape: kernel, strides, dilations, pads },
  };
}

describe('wasm Conv', () => {
  it('sums a 2×2 window of a 3×3 image (weights of ones: 1+2+4+5 = 12 ...; by hand)', () => {
    const x = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]), w = f32([1, 1, 2, 2], [1, 1, 1, 1]);
    expect(numbers(runWasm('Conv', [x, w], {}))).toEqual([12, 16, 24, 28]);
  });

  it('pads a depthwise 3×3 with zeros and adds the bias (corner of ones = 4 + 10)', () => {
    const x = f32([1, 1, 2, 2], [1, 1, 1, 1]), w = f32([1, 1, 3, 3], new Array(9).fill(1)), b = f32([1], [10]);
    expect(numbers(runWasm('Conv', [x, w, b], { pads: [1, 1, 1, 1] }))).toEqual([14, 14, 14, 14]);
  });

  it('matches the reference Conv on seeded geometries (groups, depthwise, strides, pads, dilations, 1-D and 2-D)', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 120; trial++) {
      const c = randomConv(rng);
      const X = rng.floats(c.x), W = rng.floats(c.w), B = c.bias ? rng.floats([c.w[0]!]) : undefined;
      const want = runKernel(convKernels, 'Conv', [X, W, B], c.attrs)[0]!;
      const got = runWasm('Conv', [X, W, B], c.attrs, rng.bool() ? [W] : []);
      const what = `trial ${trial}: x [${c.x}] w [${c.w}] ${JSON.stringify(c.attrs)}`;
      expect(got.shape, what).toEqual(want.shape);
      expect(relativeError(got, want), what).toBeLessThan(1e-5);
    }
  });

  it('matches the reference on wide rows at strides 1 to 4 (vector and gathered im2col rows, depthwise vectors)', () => {
    const rng = new Rng(12);
    for (const stride of [1, 2, 3, 4]) {
      for (const [c, group, pad] of [[3, 1, 0], [3, 1, 2], [4, 4, 1], [4, 4, 0]] as const) {
        const attrs = { group, strides: [stride, stride], pads: [pad, 1, pad, 0], dilations: [1, stride === 3 ? 2 : 1] };
        const X = rng.floats([1, c, 9, 61]), W = rng.floats([4, c / group, 3, 3]), B = rng.floats([4]);
        const want = runKernel(convKernels, 'Conv', [X, W, B], attrs)[0]!;
        const got = runWasm('Conv', [X, W, B], attrs, [W]);
        expect(got.shape).toEqual(want.shape);
        expect(relativeError(got, want), `stride ${stride} group ${group} pad ${pad}`).toBeLessThan(1e-5);
      }
    }
  });

  it('FusedConv clamps in the epilogue as Relu and Clip (1-D [1,2,0] with weights [1,-1] is [-1,2]: by hand)', () => {
    const x = f32([1, 1, 3], [1, 2, 0]), w = f32([1, 1, 2], [1, -1]);
    // x0 - x1 = -1, x1 - x2 = 2.
    expect(numbers(runWasm('FusedConv', [x, w], { activation: 'Relu' }))).toEqual([0, 2]);
    expect(numbers(runWasm('FusedConv', [x, w], { activation: 'Clip', activation_params: [-0.5, 1.5] }))).toEqual([-0.5, 1.5]);
  });

  it('FusedConv adds a Z residual before the activation: [-1, 2] + [3, -5] is [2, -3]; with bias 0.5 and Relu [2.5, 0] (by hand)', () => {
    const x = f32([1, 2, 3], [1, 2, 0, 0, 1, 1]), w = f32([1, 2, 2], [1, -1, 0, 0]), z = f32([1, 1, 2], [3, -5]), b = f32([1], [0.5]);
    expect(numbers(runWasm('FusedConv', [x, w, undefined, z], {}))).toEqual([2, -3]);
    expect(numbers(runWasm('FusedConv', [x, w, b, z], { activation: 'Relu' }))).toEqual([2.5, 0]);
  });

  it('matches the reference FusedConv with Z on seeded GEMM-path convs (batches, groups, bias or not, Relu/Clip/none)', () => {
    const rng = new Rng(14);
    for (let trial = 0; trial < 60; trial++) {
      let c = randomConv(rng);
      while (c.w[1] === 1) c = randomConv(rng);
      const X = rng.floats(c.x), W = rng.floats(c.w), B = c.bias ? rng.floats([c.w[0]!]) : undefined;
      const activation = rng.pick(['', 'Relu', 'Clip']);
      const attrs = { ...c.attrs, activation, ...(activation === 'Clip' ? { activation_params: [-0.5, 0.75] } : {}) };
      const shape = runKernel(convKernels, 'Conv', [X, W, B], c.attrs)[0]!.shape, Z = rng.floats(shape);
      const want = runKernel(microsoftKernels, 'FusedConv', [X, W, B, Z], attrs)[0]!;
      const got = runWasm('FusedConv', [X, W, B, Z], attrs, [W]);
      const what = `trial ${trial}: x [${c.x}] w [${c.w}] ${JSON.stringify(attrs)}`;
      expect(got.shape, what).toEqual(want.shape);
      expect(relativeError(got, want), what).toBeLessThan(1e-5);
    }
  });

  it('hands a depthwise FusedConv with Z to the reference, which gives the same values', () => {
    const rng = new Rng(15), X = rng.floats([1, 3, 5, 5]), W = rng.floats([3, 1, 3, 3]), Z = rng.floats([1, 3, 5, 5]);
    const attrs = { group: 3, pads: [1, 1, 1, 1], activation: 'Relu' };
    expect(numbers(runWasm('FusedConv', [X, W, undefined, Z], attrs))).toEqual(numbers(runKernel(microsoftKernels, 'FusedConv', [X, W, undefined, Z], attrs)[0]!));
  });

  it('hands a 3-D conv to the reference (ones over a 2×2×2 cube sum to 8)', () => {
    const x = f32([1, 1, 2, 2, 2], new Array(8).fill(1)), w = f32([1, 1, 2, 2, 2], new Array(8).fill(1));
    expect(numbers(runWasm('Conv', [x, w], {}))).toEqual([8]);
  });
});
