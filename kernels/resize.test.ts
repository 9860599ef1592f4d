import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, rounded, runKernel, type LooseAttribute } from './kernel-harness.js';
import { resizeKernels } from './resize.js';

const run = (inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute> = {}, opset = 19) => runKernel(resizeKernels, 'Resize', inputs, attrs, opset)[0]!;
const scales = (...v: number[]) => f32([v.length], v);
const sizes = (...v: number[]) => new Tensor('int64', [v.length], BigInt64Array.from(v, BigInt));
const iota = (shape: number[]) => f32(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1));

describe('Resize', () => {
  it('upsamples linearly with half_pixel (Resize doc, resize_upsample_scales_linear)', () => {
    const y = run([iota([1, 1, 2, 2]), undefined, scales(1, 1, 2, 2)], { mode: 'linear' });
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(rounded(y, 4)).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
  });
  it('repeats elements in nearest mode (Resize doc, resize_upsample_scales_nearest: scales [1,1,2,3])', () => {
    const y = run([iota([1, 1, 2, 2]), undefined, scales(1, 1, 2, 3)]);
    expect(rounded(y).slice(0, 6)).toEqual([1, 1, 1, 2, 2, 2]);
  });
  it('maps corners to corners with align_corners (Resize doc, resize_downsample_scales_linear_align_corners)', () => {
    const y = run([iota([1, 1, 2, 4]), undefined, scales(1, 1, 0.6, 0.6)], { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
    expect(rounded(y, 4)).toEqual([1, 3.1429]);
  });
  it('widens the filter when downscaling with antialias (Resize-18 doc, resize_downsample_scales_linear_antialias)', () => {
    const y = run([iota([1, 1, 4, 4]), undefined, scales(1, 1, 0.6, 0.6)], { mode: 'linear', antialias: 1 });
    expect(rounded(y, 4)).toEqual([2.875, 4.5, 9.375, 11]);
  });
  it('keeps the aspect ratio with not_larger (Resize-18 doc: 2x2 to sizes [7,8] gives 7x7)', () => {
    const y = run([iota([1, 1, 2, 2]), undefined, undefined, sizes(7, 8)], { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' });
    expect(y.shape).toEqual([1, 1, 7, 7]);
  });
  it('writes extrapolation_value where tf_crop_and_resize leaves the input (roi [0,1.5] on one axis, by hand)', () => {
    const y = run([f32([1, 3], [1, 2, 3]), f32([2], [0, 1.5]), undefined, sizes(5)], { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize', extrapolation_value: 9, axes: [1] });
    expect(rounded(y, 4)).toEqual([1, 1.75, 2.5, 9, 9]);
  });
  it('reads [X, scales] at opset 10 with asymmetric coordinates (floor for nearest)', () => {
    const y = run([iota([1, 3]), scales(1, 2)], {}, 10);
    expect(rounded(y)).toEqual([1, 1, 2, 2, 3, 3]);
  });
  it('weighs four taps in cubic mode (Keys kernel with A=-0.75; resize_upsample_scales_cubic first value 0.47265625)', () => {
    const y = run([iota([1, 1, 4, 4]), undefined, scales(1, 1, 2, 2)], { mode: 'cubic' });
    expect(rounded(y, 6)[0]).toBe(0.472656);
  });
});

describe('Upsample', () => {
  it('takes scales as an attribute at opset 7 (Upsample doc: nearest [1,1,2,3])', () => {
    const y = runKernel(resizeKernels, 'Upsample', [iota([1, 1, 2, 2])], { scales: { type: 'floats', value: [1, 1, 2, 3] } }, 7)[0]!;
    expect(y.shape).toEqual([1, 1, 4, 6]);
    expect(rounded(y).slice(6, 12)).toEqual([1, 1, 1, 2, 2, 2]);
  });
});
