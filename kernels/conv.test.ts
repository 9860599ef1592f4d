import { describe, expect, it } from 'vitest';
import { f32, numbers, runKernel } from './kernel-harness.js';
import { convKernels } from './conv.js';

// Expected values are worked by hand from the ONNX Conv/ConvTranspose/DeformConv definitions.
const run = (op: string, inputs: Parameters<typeof runKernel>[2], attrs = {}) => runKernel(convKernels, op, inputs, attrs)[0]!;

describe('Conv', () => {
  it('sums each 2×2 window of a 3×3 image (im2col + GEMM)', () => {
    const y = run('Conv', [f32([1, 1, 3, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8]), f32([1, 1, 2, 2], [1, 1, 1, 1])]);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(numbers(y)).toEqual([8, 12, 20, 24]);
  });

  it('puts the odd SAME pad at the end for SAME_UPPER and at the start for SAME_LOWER', () => {
    const x = f32([1, 1, 3], [1, 2, 3]), w = f32([1, 1, 2], [1, 1]);
    expect(numbers(run('Conv', [x, w], { auto_pad: 'SAME_UPPER' }))).toEqual([3, 5, 3]);
    expect(numbers(run('Conv', [x, w], { auto_pad: 'SAME_LOWER' }))).toEqual([1, 3, 5]);
  });

  it('spreads taps by the dilation', () => {
    expect(numbers(run('Conv', [f32([1, 1, 5], [1, 2, 3, 4, 5]), f32([1, 1, 2], [1, 1])], { dilations: [2] }))).toEqual([4, 6, 8]);
  });

  it('runs a depthwise conv with bias (one input channel a group)', () => {
    const y = run('Conv', [f32([1, 2, 1, 2], [1, 2, 3, 4]), f32([2, 1, 1, 1], [10, 100]), f32([2], [1, 2])], { group: 2 });
    expect(numbers(y)).toEqual([11, 21, 302, 402]);
  });

  it('keeps groups apart when each group has several channels', () => {
    const y = run('Conv', [f32([1, 4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), f32([2, 2, 1], [1, 1, 1, -1])], { group: 2 });
    expect(numbers(y)).toEqual([4, 6, -2, -2]);
  });

  it('uses a 1×1 stride-1 conv input as the GEMM operand directly', () => {
    const y = run('Conv', [f32([1, 2, 1, 2], [1, 2, 3, 4]), f32([1, 2, 1, 1], [1, 10])]);
    expect(numbers(y)).toEqual([31, 42]);
  });
});

describe('ConvTranspose', () => {
  const x = f32([1, 1, 2], [1, 2]), w = f32([1, 1, 3], [1, 1, 1]);

  it('scatters each input through the kernel and sums overlaps', () => {
    expect(numbers(run('ConvTranspose', [x, w]))).toEqual([1, 3, 3, 2]);
    expect(numbers(run('ConvTranspose', [x, w], { strides: [2] }))).toEqual([1, 1, 3, 2, 2]);
  });

  it('crops pads and grows by output_padding', () => {
    expect(numbers(run('ConvTranspose', [x, w], { strides: [2], pads: [1, 1] }))).toEqual([1, 3, 2]);
    expect(numbers(run('ConvTranspose', [x, w], { strides: [2], output_padding: [1] }))).toEqual([1, 1, 3, 2, 2, 0]);
  });

  it('derives pads from output_shape, the odd one at the start unless SAME_UPPER', () => {
    expect(numbers(run('ConvTranspose', [x, w], { strides: [2], output_shape: [4] }))).toEqual([1, 3, 2, 2]);
    expect(numbers(run('ConvTranspose', [x, w], { strides: [2], output_shape: [4], auto_pad: 'SAME_UPPER' }))).toEqual([1, 1, 3, 2]);
  });
});

describe('DeformConv', () => {
  it('samples bilinearly at the offset position, zero beyond the image', () => {
    // Every tap shifted half a pixel right: row [1, 2] reads 1.5 and (2 + 0)/2 = 1.
    const offsets = f32([1, 2, 2, 2], [0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]);
    const y = run('DeformConv', [f32([1, 1, 2, 2], [1, 2, 3, 4]), f32([1, 1, 1, 1], [2]), offsets], {});
    expect(numbers(y)).toEqual([3, 2, 7, 4]);
  });
});
