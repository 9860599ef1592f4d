import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, rounded, runKernel } from './kernel-harness.js';
import { detectionKernels } from './detection.js';

// Expected values are worked by hand from the ONNX operator definitions.
const run = (op: string, inputs: (Tensor | undefined)[], attrs = {}, opset = 20) => runKernel(detectionKernels, op, inputs, attrs, opset)[0]!;
const i64 = (shape: number[], v: number[]) => new Tensor('int64', shape, BigInt64Array.from(v, BigInt));
const image = f32([1, 1, 2, 2], [1, 2, 3, 4]);

describe('NonMaxSuppression', () => {
  // Box 1 overlaps box 0 with IoU 0.9 / 1.1 = 0.82; box 2 is apart.
  const boxes = f32([1, 3, 4], [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, 2, 1, 3]);
  const scores = f32([1, 1, 3], [0.9, 0.8, 0.7]);

  it('drops boxes overlapping a better one beyond iou_threshold', () => {
    expect(numbers(run('NonMaxSuppression', [boxes, scores, i64([1], [3]), f32([1], [0.5])]))).toEqual([0, 0, 0, 0, 0, 2]);
  });

  it('drops boxes at or below score_threshold and stops at max_output_boxes_per_class', () => {
    expect(numbers(run('NonMaxSuppression', [boxes, scores, i64([1], [3]), f32([1], [0.5]), f32([1], [0.75])]))).toEqual([0, 0, 0]);
    expect(numbers(run('NonMaxSuppression', [boxes, scores, i64([1], [1]), f32([1], [1])]))).toEqual([0, 0, 0]);
  });

  it('reads [x_center, y_center, width, height] boxes with center_point_box 1', () => {
    const centered = f32([1, 3, 4], [0.5, 0.5, 1, 1, 0.6, 0.5, 1, 1, 2.5, 0.5, 1, 1]);
    expect(numbers(run('NonMaxSuppression', [centered, scores, i64([1], [3]), f32([1], [0.5])], { center_point_box: 1 }))).toEqual([0, 0, 0, 0, 0, 2]);
  });
});

describe('RoiAlign', () => {
  const roi = f32([1, 4], [0, 0, 1, 1]), batch = i64([1], [0]);

  it('samples at the -0.5-shifted bin centre for half_pixel', () => {
    expect(numbers(run('RoiAlign', [image, roi, batch], { sampling_ratio: 1 }, 16))).toEqual([1]);
  });

  it('samples unshifted for output_half_pixel: the centre of 4 pixels', () => {
    expect(numbers(run('RoiAlign', [image, roi, batch], { sampling_ratio: 1, coordinate_transformation_mode: 'output_half_pixel' }, 16))).toEqual([2.5]);
  });
});

describe('MaxRoiPool', () => {
  it('takes the max of the pixels in each bin', () => {
    const rois = f32([1, 5], [0, 0, 0, 1, 1]);
    expect(numbers(run('MaxRoiPool', [image, rois], { pooled_shape: [1, 1] }))).toEqual([4]);
    expect(numbers(run('MaxRoiPool', [image, rois], { pooled_shape: [2, 2] }))).toEqual([1, 2, 3, 4]);
  });
});

describe('GridSample', () => {
  const at = (x: number, y: number) => f32([1, 1, 1, 2], [x, y]);

  it('interpolates bilinearly between pixel centres (0, 0 is the image centre)', () => {
    expect(numbers(run('GridSample', [image, at(0, 0)]))).toEqual([2.5]);
  });

  it('maps -1 to the corner pixel centre with align_corners, to its outer edge without', () => {
    expect(numbers(run('GridSample', [image, at(-1, -1)], { align_corners: 1 }))).toEqual([1]);
    expect(numbers(run('GridSample', [image, at(-1, -1)]))).toEqual([0.25]);
    expect(numbers(run('GridSample', [image, at(-1, -1)], { padding_mode: 'border' }))).toEqual([1]);
  });

  it('rounds half to even in nearest mode (x = 0.5 reads column 0)', () => {
    expect(numbers(run('GridSample', [image, at(0, -0.5)], { mode: 'nearest' }))).toEqual([1]);
  });

  it('reflects coordinates beyond the border with reflection padding', () => {
    // align_corners: x = 1.5 → 1.25 px, reflected into [0, 1] is 0.75: 0.25·1 + 0.75·2 on row 0.
    expect(numbers(run('GridSample', [image, at(1.5, -1)], { align_corners: 1, padding_mode: 'reflection' }))).toEqual([1.75]);
  });

  it('accepts the opset-16 mode names', () => {
    expect(numbers(run('GridSample', [image, at(0, 0)], { mode: 'bilinear' }, 16))).toEqual([2.5]);
  });
});

describe('AffineGrid', () => {
  it('maps the identity to pixel-centre coordinates, ±1 at the corners with align_corners', () => {
    const theta = f32([1, 2, 3], [1, 0, 0, 0, 1, 0]), size = i64([4], [1, 1, 2, 2]);
    expect(rounded(run('AffineGrid', [theta, size]))).toEqual([-0.5, -0.5, 0.5, -0.5, -0.5, 0.5, 0.5, 0.5]);
    expect(rounded(run('AffineGrid', [theta, size], { align_corners: 1 }))).toEqual([-1, -1, 1, -1, -1, 1, 1, 1]);
  });
});

describe('Col2Im', () => {
  it('adds overlapping block columns back into the image', () => {
    // image 1×3, block 1×2: two block positions; tap 0 holds [1, 2], tap 1 holds [10, 20].
    const y = run('Col2Im', [f32([1, 2, 2], [1, 2, 10, 20]), i64([2], [1, 3]), i64([2], [1, 2])], {}, 18);
    expect(y.shape).toEqual([1, 1, 1, 3]);
    expect(numbers(y)).toEqual([1, 12, 20]);
  });
});
