import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { activationKernels } from './activation.js';
import { f32, numbers, rounded, runKernel } from './kernel-harness.js';

const run = (op: string, inputs: Tensor[], attrs = {}, opset = 21) => runKernel(activationKernels, op, inputs, attrs, opset)[0]!;
const x3 = f32([3], [-1, 0, 1]);

describe('activations', () => {
  it('LeakyRelu scales negatives by alpha (LeakyRelu doc example, alpha 0.1)', () => {
    expect(rounded(run('LeakyRelu', [x3], { alpha: 0.1 }), 6)).toEqual([-0.1, 0, 1]);
  });

  it('Selu with alpha 2, gamma 3 (Selu doc example: [-3.79272318, 0, 3])', () => {
    expect(rounded(run('Selu', [x3], { alpha: 2.0, gamma: 3.0 }), 6)).toEqual([-3.792723, 0, 3]);
  });

  it('Elu uses alpha (e^-1 - 1) for negatives (Elu doc example, alpha 2: [-1.2642411, 0, 1])', () => {
    expect(rounded(run('Elu', [x3], { alpha: 2.0 }), 6)).toEqual([-1.264241, 0, 1]);
  });

  it('HardSwish is x * clamp(x/6 + 1/2, 0, 1) (by hand: [-4,-1,0,1,4] -> [0,-1/3,0,2/3,4])', () => {
    expect(rounded(run('HardSwish', [f32([5], [-4, -1, 0, 1, 4])]), 5)).toEqual([0, -0.33333, 0, 0.66667, 4]);
  });

  it('Gelu exact and tanh-approximate at x = 1 (Phi(1) = 0.8413447; tanh form 0.8411920)', () => {
    expect(rounded(run('Gelu', [f32([1], [1])]), 6)).toEqual([0.841345]);
    expect(rounded(run('Gelu', [f32([1], [1])], { approximate: 'tanh' }), 6)).toEqual([0.841192]);
  });

  it('Softplus does not overflow for large inputs (softplus(1000) = 1000)', () => {
    expect(numbers(run('Softplus', [f32([2], [1000, -1000])]))).toEqual([1000, 0]);
  });

  it('Shrink zeroes [-lambd, lambd] and shifts the rest by bias (Shrink doc: lambd 1.5, bias 1.5)', () => {
    expect(numbers(run('Shrink', [f32([5], [-2, -1, 0, 1, 2])], { lambd: 1.5, bias: 1.5 }))).toEqual([-0.5, 0, 0, 0, 0.5]);
  });

  it('Relu on int64 stays exact', () => {
    const y = run('Relu', [new Tensor('int64', [2], BigInt64Array.of(-(2n ** 62n), 2n ** 62n + 1n))]);
    expect([...(y.numeric as BigInt64Array)]).toEqual([0n, 2n ** 62n + 1n]);
  });

  it('PRelu broadcasts the slope along the last axis (by hand: [[-2,3],[-4,5]] with [0.5,0.25])', () => {
    expect(numbers(run('PRelu', [f32([2, 2], [-2, 3, -4, 5]), f32([2], [0.5, 0.25])]))).toEqual([-1, 3, -2, 5]);
  });

  it('PRelu before opset 7 applies a 1-D slope per channel, along axis 1 (PRelu-6)', () => {
    const x = f32([1, 2, 2], [-2, -2, -2, -2]);
    expect(numbers(run('PRelu', [x, f32([2], [0.5, 0.25])], {}, 6))).toEqual([-1, -1, -0.5, -0.5]);
  });

  it('Celu with alpha 2 at -2 is 2(e^-1 - 1) = -1.2642411 (Celu-12 formula)', () => {
    expect(rounded(run('Celu', [f32([2], [-2, 3])], { alpha: 2.0 }), 6)).toEqual([-1.264241, 3]);
  });
});
