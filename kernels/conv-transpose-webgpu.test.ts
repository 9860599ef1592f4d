/**
 * WebGPU ConvTranspose against the reference kernel (conv.ts, im2col GEMM + col2im) on seeded inputs, in Node
 * through the `webgpu` package; each case also checks the node ran on WebGPU.
 */
import { describe, expect, it } from 'vitest';
import { randomTensor as r, runBoth, webgpuMissing, worstRelative, type OneNode } from '../src/backends/webgpu/webgpu-harness.js';

const missing = await webgpuMissing();

const CASES: [string, OneNode][] = [
  ['2-D stride 2, pads 1, output_padding 1, bias', { op: 'ConvTranspose', inputs: [r([2, 4, 5, 6], 1), r([4, 3, 3, 3], 2), r([3], 3)], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } }],
  ['2-D groups 2, dilations 2, asymmetric pads', { op: 'ConvTranspose', inputs: [r([1, 6, 4, 5], 4), r([6, 2, 3, 2], 5)], attrs: { group: 2, dilations: [2, 2], pads: [1, 0, 2, 1] } }],
  ['2-D depthwise (group = channels), stride 3', { op: 'ConvTranspose', inputs: [r([1, 4, 3, 3], 6), r([4, 1, 2, 2], 7), r([4], 8)], attrs: { group: 4, strides: [3, 3] } }],
  ['1-D stride 2', { op: 'ConvTranspose', inputs: [r([2, 3, 7], 9), r([3, 5, 4], 10)], attrs: { strides: [2] } }],
  ['SAME_UPPER', { op: 'ConvTranspose', inputs: [r([1, 2, 4, 4], 11), r([2, 3, 3, 3], 12)], attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' } }],
  ['output_shape given', { op: 'ConvTranspose', inputs: [r([1, 2, 3, 3], 13), r([2, 2, 3, 3], 14)], attrs: { strides: [3, 2], output_shape: [10, 8] } }],
  ['3-D', { op: 'ConvTranspose', inputs: [r([1, 2, 3, 3, 2], 15), r([2, 2, 2, 2, 2], 16), r([2], 17)], attrs: { strides: [2, 1, 2] } }],
];

describe.skipIf(missing !== undefined)('WebGPU ConvTranspose matches the reference kernel', () => {
  it.each(CASES)('%s', async (_, c) => {
    const { gpu, cpu, ranOn } = await runBoth(c);
    expect(ranOn).toEqual(['webgpu']);
    expect(gpu.shape).toEqual(cpu.shape);
    expect(worstRelative(gpu, cpu)).toBeLessThanOrEqual(1e-5);
  });
});
