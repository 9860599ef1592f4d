import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, rounded, runKernel } from './kernel-harness.js';
import { poolKernels } from './pool.js';

// Expected values are worked by hand from the ONNX pooling operator definitions.
const run = (op: string, inputs: (Tensor | undefined)[], attrs = {}, outputs = 1) =>
  runKernel(poolKernels, op, inputs, attrs).slice(0, outputs);
const grid4 = f32([1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => i));

describe('MaxPool', () => {
  it('returns the maxima and their flat row-major indices', () => {
    const [y, i] = runKernel(poolKernels, 'MaxPool', [grid4], { kernel_shape: [2, 2], strides: [2, 2] }, 21, 2);
    expect(numbers(y!)).toEqual([5, 7, 13, 15]);
    expect(numbers(i!)).toEqual([5, 7, 13, 15]);
  });

  it('gives column-major indices for storage_order 1', () => {
    const [, i] = runKernel(poolKernels, 'MaxPool', [grid4], { kernel_shape: [2, 2], strides: [2, 2], storage_order: 1 }, 21, 2);
    expect(numbers(i!)).toEqual([5, 13, 7, 15]);
  });

  it('pools int8 exactly', () => {
    const [y] = run('MaxPool', [new Tensor('int8', [1, 1, 3], Int8Array.of(-128, 127, -5))], { kernel_shape: [2] });
    expect(y!.dtype).toBe('int8');
    expect(numbers(y!)).toEqual([127, 127]);
  });
});

describe('AveragePool', () => {
  const x = f32([1, 1, 3], [1, 2, 3]);

  it('divides by the real taps, or with count_include_pad by the padded window', () => {
    expect(numbers(run('AveragePool', [x], { kernel_shape: [2], pads: [1, 1] })[0]!)).toEqual([1, 1.5, 2.5, 3]);
    expect(numbers(run('AveragePool', [x], { kernel_shape: [2], pads: [1, 1], count_include_pad: 1 })[0]!)).toEqual([0.5, 1.5, 2.5, 1.5]);
  });

  it('adds a partial last window in ceil_mode', () => {
    const x5 = f32([1, 1, 5], [1, 2, 3, 4, 5]);
    expect(numbers(run('AveragePool', [x5], { kernel_shape: [2], strides: [2] })[0]!)).toEqual([1.5, 3.5]);
    expect(numbers(run('AveragePool', [x5], { kernel_shape: [2], strides: [2], ceil_mode: 1 })[0]!)).toEqual([1.5, 3.5, 5]);
  });

  it('drops a ceil_mode window that would start in the end padding (opset-19 rule)', () => {
    const y = run('AveragePool', [f32([1, 1, 4], [1, 2, 3, 4])], { kernel_shape: [2], strides: [2], pads: [0, 1], ceil_mode: 1 })[0]!;
    expect(numbers(y)).toEqual([1.5, 3.5]);
  });
});

describe('LpPool and global pools', () => {
  it('takes the p-norm of each window (3-4-5)', () => {
    expect(numbers(run('LpPool', [f32([1, 1, 2], [3, 4])], { kernel_shape: [2], p: 2 })[0]!)).toEqual([5]);
  });

  it('reduces every spatial dim to 1', () => {
    const x = f32([1, 2, 2, 1], [1, 2, 3, 5]);
    const avg = run('GlobalAveragePool', [x])[0]!;
    expect(avg.shape).toEqual([1, 2, 1, 1]);
    expect(numbers(avg)).toEqual([1.5, 4]);
    expect(numbers(run('GlobalMaxPool', [x])[0]!)).toEqual([2, 5]);
    expect(rounded(run('GlobalLpPool', [f32([1, 1, 2], [3, 4])])[0]!)).toEqual([5]);
  });
});

describe('MaxUnpool', () => {
  it('scatters values back to their indices in zeros', () => {
    const I = new Tensor('int64', [1, 1, 2, 2], BigInt64Array.of(5n, 7n, 13n, 15n));
    const y = run('MaxUnpool', [f32([1, 1, 2, 2], [5, 6, 7, 8]), I], { kernel_shape: [2, 2], strides: [2, 2] })[0]!;
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(numbers(y)).toEqual([0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8]);
  });
});
