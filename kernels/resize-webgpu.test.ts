/**
 * WebGPU Resize against the reference kernel (resize.ts) on seeded inputs, in Node through the `webgpu`
 * package; each case also checks the node ran on WebGPU.
 */
import { describe, expect, it } from 'vitest';
import { randomTensor as r, runBoth, webgpuMissing, worstRelative, type OneNode } from '../src/backends/webgpu/webgpu-harness.js';
import { Tensor } from '../src/tensor/tensor.js';

const missing = await webgpuMissing();
const f32 = (v: number[]) => new Tensor('float32', [v.length], Float32Array.from(v));
const i64 = (v: number[]) => new Tensor('int64', [v.length], BigInt64Array.from(v, BigInt));
const scales = (x: Tensor, s: number[], attrs: OneNode['attrs'] = {}, opset = 13): OneNode => ({ op: 'Resize', inputs: [x, undefined, f32(s)], attrs, opset, constants: [2] });
const sizes = (x: Tensor, s: number[], attrs: OneNode['attrs'] = {}, opset = 13): OneNode => ({ op: 'Resize', inputs: [x, undefined, undefined, i64(s)], attrs, opset, constants: [3] });

const CASES: [string, OneNode][] = [
  ['nearest 2x, asymmetric, floor', scales(r([1, 2, 3, 4], 1), [1, 1, 2, 2], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' })],
  ['nearest to sizes, half_pixel, round_prefer_ceil', sizes(r([1, 3, 5, 4], 2), [1, 3, 7, 9], { mode: 'nearest', nearest_mode: 'round_prefer_ceil' })],
  ['nearest downscale, align_corners, ceil', scales(r([2, 2, 8, 6], 3), [1, 1, 0.5, 0.6], { mode: 'nearest', coordinate_transformation_mode: 'align_corners', nearest_mode: 'ceil' })],
  ['linear 2x, half_pixel', scales(r([1, 3, 4, 5], 4), [1, 1, 2, 2], { mode: 'linear' })],
  ['linear to sizes, align_corners', sizes(r([1, 2, 4, 4], 5), [1, 2, 7, 3], { mode: 'linear', coordinate_transformation_mode: 'align_corners' })],
  ['linear, pytorch_half_pixel, an axis to 1', sizes(r([1, 1, 6, 5], 6), [1, 1, 1, 8], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' })],
  ['linear downscale, asymmetric', scales(r([1, 2, 9, 7], 7), [1, 1, 0.5, 0.75], { mode: 'linear', coordinate_transformation_mode: 'asymmetric' })],
  ['cubic, exclude_outside, cubic_coeff_a -0.5', scales(r([1, 1, 5, 6], 8), [1, 1, 1.5, 2], { mode: 'cubic', exclude_outside: 1, cubic_coeff_a: -0.5 })],
  ['linear antialias downscale (opset 18)', scales(r([1, 1, 12, 10], 9), [1, 1, 0.4, 0.5], { mode: 'linear', antialias: 1 }, 18)],
  ['tf_crop_and_resize with a roi and an extrapolation value', { op: 'Resize', inputs: [r([1, 1, 5, 5], 10), f32([0, 0, -0.2, 0.3, 1, 1, 0.9, 1.3]), f32([1, 1, 1.6, 1.2])], attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 3.5 }, constants: [1, 2] }],
  ['sizes on chosen axes, keep_aspect_ratio_policy not_larger (opset 18)', sizes(r([1, 2, 6, 8], 11), [9, 10], { mode: 'linear', axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }, 18)],
  ['Resize-10 (scales input, nearest, asymmetric floor)', { op: 'Resize', inputs: [r([1, 1, 3, 3], 12), f32([1, 1, 2, 3])], opset: 10, constants: [1] }],
];

describe.skipIf(missing !== undefined)('WebGPU Resize matches the reference kernel', () => {
  it.each(CASES)('%s', async (_, c) => {
    const { gpu, cpu, ranOn } = await runBoth(c);
    expect(ranOn).toEqual(['webgpu']);
    expect(gpu.shape).toEqual(cpu.shape);
    expect(worstRelative(gpu, cpu)).toBeLessThanOrEqual(1e-5);
  });
});
