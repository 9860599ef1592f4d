import { describe, expect, it } from 'vitest';
import type { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, rounded, runKernel } from './kernel-harness.js';
import { normalizationKernels } from './normalization.js';

// Expected values are worked by hand from the ONNX operator definitions (ε = 0 keeps them exact).
const run = (op: string, inputs: (Tensor | undefined)[], attrs = {}, opset = 21, outputs = 1) => runKernel(normalizationKernels, op, inputs, attrs, opset, outputs);

describe('BatchNormalization', () => {
  it('normalizes each channel with its running statistics', () => {
    const [y] = run('BatchNormalization', [f32([1, 2, 1, 1], [1, 2]), f32([2], [2, 1]), f32([2], [0, 1]), f32([2], [0, 1]), f32([2], [1, 4])], { epsilon: 0 });
    expect(numbers(y!)).toEqual([2, 1.5]);
  });

  it('uses batch statistics in training_mode and blends them into the running ones by momentum', () => {
    const [y, mean, variance] = run('BatchNormalization', [f32([2, 1], [1, 3]), f32([1], [1]), f32([1], [0]), f32([1], [0]), f32([1], [1])], { epsilon: 0, training_mode: 1 }, 15, 3);
    expect(numbers(y!)).toEqual([-1, 1]);
    expect(rounded(mean!)).toEqual([0.2]);
    expect(rounded(variance!)).toEqual([1]);
  });
});

describe('LayerNormalization', () => {
  it('normalizes rows and returns Mean and InvStdDev with the normalized dims kept as 1', () => {
    const [y, mean, inv] = run('LayerNormalization', [f32([2, 2], [1, 3, 0, 4]), f32([2], [1, 1])], { epsilon: 0 }, 17, 3);
    expect(numbers(y!)).toEqual([-1, 1, -1, 1]);
    expect(mean!.shape).toEqual([2, 1]);
    expect(numbers(mean!)).toEqual([2, 2]);
    expect(numbers(inv!)).toEqual([1, 0.5]);
  });
});

describe('GroupNormalization', () => {
  const x = f32([1, 4, 1, 1], [1, 3, 5, 9]);

  it('takes one scale per channel at opset 21', () => {
    const [y] = run('GroupNormalization', [x, f32([4], [1, 2, 3, 4]), f32([4], [0, 0, 0, 0])], { epsilon: 0, num_groups: 2 }, 21);
    expect(numbers(y!)).toEqual([-1, 2, -3, 4]);
  });

  it('takes one scale per group at opset 18', () => {
    const [y] = run('GroupNormalization', [x, f32([2], [1, 10]), f32([2], [0, 0])], { epsilon: 0, num_groups: 2 }, 18);
    expect(numbers(y!)).toEqual([-1, 1, -10, 10]);
  });
});

describe('other normalizations', () => {
  it('InstanceNormalization normalizes each (n, c) plane', () => {
    expect(numbers(run('InstanceNormalization', [f32([1, 1, 2], [1, 3]), f32([1], [2]), f32([1], [1])], { epsilon: 0 })[0]!)).toEqual([-1, 3]);
  });

  it('RMSNormalization divides by the root mean square (√12.5 for [3, 4])', () => {
    expect(rounded(run('RMSNormalization', [f32([1, 2], [3, 4]), f32([2], [1, 2])], { epsilon: 0 }, 23)[0]!)).toEqual([0.84853, 2.26274]);
  });

  it('LRN sums squares over the channel window c .. c + ⌈(size-1)/2⌉', () => {
    // size 2, alpha 2 (alpha/size = 1), beta 1, bias 1: 1/(1 + 1 + 4) and 2/(1 + 4).
    expect(rounded(run('LRN', [f32([1, 2, 1, 1], [1, 2])], { size: 2, alpha: 2, beta: 1, bias: 1 })[0]!, 4)).toEqual([0.1667, 0.4]);
  });

  it('MeanVarianceNormalization centers and scales over the default axes [0, 2, 3]', () => {
    expect(rounded(run('MeanVarianceNormalization', [f32([2, 1, 1, 1], [1, 3])])[0]!)).toEqual([-1, 1]);
  });

  it('LpNormalization divides by the L1 or L2 norm', () => {
    expect(rounded(run('LpNormalization', [f32([2], [3, 4])], { p: 2 })[0]!)).toEqual([0.6, 0.8]);
    expect(rounded(run('LpNormalization', [f32([2], [3, 4])], { p: 1 })[0]!)).toEqual([0.42857, 0.57143]);
  });
});
