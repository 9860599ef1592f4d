import { tensor } from '../../tensor/tensor.js';
import { floatAttr, Sym } from './graph-builder.js';
import type { OperatorContext, OperatorRow } from './operators.js';
import { asSym, cast, constFloat, constInt, itemsOf } from './tensor-values.js';
import { tuple, Unavailable, type PyValue } from './values.js';

/**
 * torchvision's detection ops (torchvision/csrc/ops/cpu/*_kernel.cpp) and the image-model aten ops around them:
 * interpolation, pixel shuffle, adaptive pooling to any size, group and instance norm.
 */

type Py = PyValue;
const row = (params: string, lower: OperatorRow['lower']): OperatorRow => ({ params: params.split(' '), lower });
const INT64_MAX = 9223372036854775807n;

/**
 * torchvision::nms(boxes [N, 4] as (x1, y1, x2, y2), scores [N], iou_threshold): ONNX NonMaxSuppression on one
 * batch and one class with no score threshold and no output limit; both take boxes greedily by descending score
 * and drop a box whose IoU with a kept one is above the threshold. The kept [batch, class, box] rows' box column
 * is the result, in descending score order as torchvision returns it. (IoU is symmetric in x and y, so the
 * (x1, y1, x2, y2) order needs no swap; ONNX normalizes flipped corners where torchvision takes them as given.)
 */
function nms(c: OperatorContext, boxes: Py, scores: Py, iou: Py): Sym {
  const b = c.builder;
  const bx = cast(c, asSym(c, boxes), 'float32');
  const sc = cast(c, asSym(c, scores), 'float32');
  const batched = b.op('Unsqueeze', [bx, b.int64s([0])], 'float32', 3);
  const classed = b.op('Reshape', [sc, b.int64s([1, 1, -1])], 'float32', 3);
  const selected = b.op('NonMaxSuppression', [batched, classed, b.int64s([INT64_MAX]), b.constant(tensor(new Float32Array([constFloat(c, iou, 'nms iou_threshold')]), [1]), 'iou_threshold')], 'int64', 2);
  return b.op('Gather', [selected, b.scalar(2n, 'int64')], 'int64', 1, { axis: 1 });
}

/** rois [K, 5] as (batch index, x1, y1, x2, y2): the boxes and the int64 batch indices ONNX takes apart. */
function splitRois(c: OperatorContext, rois: Py, dtype: Sym['dtype']): [Sym, Sym] {
  const b = c.builder;
  const r = asSym(c, rois, dtype);
  const boxes = b.op('Slice', [r, b.int64s([1]), b.int64s([5]), b.int64s([1])], dtype, 2);
  const batch = cast(c, b.op('Gather', [r, b.scalar(0n, 'int64')], dtype, 1, { axis: 1 }), 'int64');
  return [boxes, batch];
}

/**
 * torchvision::roi_align(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned): ONNX
 * RoiAlign (avg). aligned=True shifts coordinates by half a pixel (half_pixel); aligned=False keeps them and
 * makes each roi at least 1×1 (output_half_pixel), as roi_align_kernel.cpp does. sampling_ratio <= 0 is adaptive
 * (ceil(roi size / bins)), ONNX's 0.
 */
function roiAlign(c: OperatorContext, [x, rois, scale, ph, pw, ratio, aligned]: Py[]): Sym {
  const input = asSym(c, x);
  const [boxes, batch] = splitRois(c, rois, input.dtype);
  const samples = constInt(c, ratio ?? -1n, 'roi_align sampling_ratio');
  return c.builder.op('RoiAlign', [input, boxes, batch], input.dtype, 4, {
    output_height: constInt(c, ph, 'roi_align pooled_height'),
    output_width: constInt(c, pw, 'roi_align pooled_width'),
    sampling_ratio: Math.max(samples, 0),
    spatial_scale: floatAttr(constFloat(c, scale, 'roi_align spatial_scale')),
    mode: 'avg',
    coordinate_transformation_mode: aligned === true ? 'half_pixel' : 'output_half_pixel',
  });
}

/**
 * torchvision::roi_pool(input, rois, spatial_scale, pooled_height, pooled_width) -> (output, argmax): ONNX
 * MaxRoiPool, the same Caffe rounding (roi corners rounded half away from zero, bins floor/ceil, empty bins 0).
 * The argmax (for the backward pass) is not lowered.
 */
function roiPool(c: OperatorContext, [x, rois, scale, ph, pw]: Py[]): Py {
  const input = asSym(c, x);
  const r = asSym(c, rois, input.dtype);
  const out = c.builder.op('MaxRoiPool', [input, r], input.dtype, 4, {
    pooled_shape: [constInt(c, ph, 'roi_pool pooled_height'), constInt(c, pw, 'roi_pool pooled_width')],
    spatial_scale: floatAttr(constFloat(c, scale, 'roi_pool spatial_scale')),
  });
  return tuple([out, new Unavailable('the argmax of torchvision::roi_pool')]);
}

type Mode = 'nearest' | 'nearest-exact' | 'linear' | 'cubic';

/**
 * upsample_{nearest,linear,bilinear,trilinear,bicubic}{1,2,3}d as Resize. Both overloads: `.vec(input,
 * output_size?, [align_corners,] scale_factors?)` and the one with output_size and per-axis scales. With scales
 * given, torch maps output to input coordinates by 1 / scale, as Resize does with its scales input; with sizes
 * only, by in / out. Nearest is floor(dst * in / out) (asymmetric, floor); linear and cubic without
 * align_corners are half_pixel (torch clamps a negative source index to 0 for linear, as Resize's edge does).
 */
function upsample(mode: Mode, spatial: number, hasAlign: boolean): OperatorRow['lower'] {
  return (c, args) => {
    const b = c.builder;
    const input = asSym(c, args[0]);
    const size = args[1];
    const align = hasAlign ? args[2] === true : false;
    const rest = args.slice(hasAlign ? 3 : 2);
    let scales: number[] | undefined;
    if (rest.length === 1 && (itemsOf(rest[0]) || rest[0] === null || rest[0] === undefined)) {
      if (rest[0] !== null && rest[0] !== undefined) scales = itemsOf(rest[0])!.map((s) => constFloat(c, s, 'upsample scale'));
    } else if (rest.length > 0 && rest.every((s) => s !== null && s !== undefined)) scales = rest.map((s) => constFloat(c, s, 'upsample scale'));
    if (scales && scales.length === 1 && spatial > 1) scales = new Array(spatial).fill(scales[0]);
    const attrs: Record<string, string | number> = { mode: mode === 'nearest-exact' ? 'nearest' : mode };
    if (mode === 'nearest') Object.assign(attrs, { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
    // nearest-exact: floor((dst + 0.5) · in / out), which is half_pixel's (dst + 0.5) / scale - 0.5 rounded half up.
    else if (mode === 'nearest-exact') Object.assign(attrs, { coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_ceil' });
    else attrs.coordinate_transformation_mode = align ? 'align_corners' : 'half_pixel';
    if (mode === 'cubic') attrs.cubic_coeff_a = floatAttr(-0.75) as never;
    const rank = 2 + spatial;
    if (scales) {
      const s = b.constant(tensor(new Float32Array([1, 1, ...scales]), [rank]), 'scales');
      return b.op('Resize', [input, undefined, s], input.dtype, rank, attrs);
    }
    if (size === null || size === undefined) throw c.fail('MODEL_INVALID', 'upsample with neither output_size nor scale factors');
    const outSize = itemsOf(size) ?? [];
    const head = b.op('Shape', [input], 'int64', 1, { start: 0, end: 2 });
    const sizes = b.op('Concat', [head, listSymOf(c, outSize)], 'int64', 1, { axis: 0 });
    return b.op('Resize', [input, undefined, undefined, sizes], input.dtype, rank, attrs);
  };
}

function listSymOf(c: OperatorContext, items: Py[]): Sym {
  return asSym(c, items, 'int64');
}

/** pixel_shuffle: DepthToSpace in CRD order (channel c·r² + i·r + j goes to row i, column j of its block). */
function pixelShuffle(c: OperatorContext, x: Py, factor: Py): Sym {
  const input = asSym(c, x);
  if (input.rank !== undefined && input.rank !== 4) throw c.fail('OP_UNSUPPORTED', `pixel_shuffle of a rank-${input.rank} tensor (only [N, C, H, W])`);
  return c.builder.op('DepthToSpace', [input], input.dtype, 4, { blocksize: constInt(c, factor, 'upscale_factor'), mode: 'CRD' });
}

/** pixel_unshuffle: [N, C, H/r, r, W/r, r] -> [N, C, r, r, H/r, W/r] -> [N, C·r², H/r, W/r]. */
function pixelUnshuffle(c: OperatorContext, x: Py, factor: Py): Sym {
  const b = c.builder;
  const input = asSym(c, x);
  const r = constInt(c, factor, 'downscale_factor');
  const shape = b.op('Shape', [input], 'int64', 1);
  const dim = (i: number) => b.op('Gather', [shape, b.int64s([i])], 'int64', 1, { axis: 0 });
  const div = (s: Sym) => b.op('Div', [s, b.int64s([r])], 'int64', 1);
  const [n, ch, h, w] = [0, 1, 2, 3].map(dim) as [Sym, Sym, Sym, Sym];
  const six = b.op('Concat', [n, ch, div(h), b.int64s([r]), div(w), b.int64s([r])], 'int64', 1, { axis: 0 });
  const moved = b.op('Transpose', [b.op('Reshape', [input, six], input.dtype, 6)], input.dtype, 6, { perm: [0, 1, 3, 5, 2, 4] });
  const four = b.op('Concat', [n, b.op('Mul', [ch, b.int64s([r * r])], 'int64', 1), div(h), div(w)], 'int64', 1, { axis: 0 });
  return b.op('Reshape', [moved, four], input.dtype, 4);
}

/**
 * adaptive_{avg,max}_pool{1,2,3}d to any output size: bin i of a dim of size n spans [floor(i·n/o), ceil((i+1)·n/o)),
 * sizes read at run time. Bins are products of per-dim ranges, so the pool runs one dim at a time (a mean of
 * row means over a rectangle is its mean; a max of maxes its max): per bin a Slice + Reduce, concatenated. A size
 * of 1 everywhere is GlobalAveragePool / GlobalMaxPool; None keeps that dim.
 */
function adaptivePool(kind: 'avg' | 'max', spatial: number): OperatorRow['lower'] {
  return (c, [x, size]) => {
    const b = c.builder;
    const input = asSym(c, x);
    const raw = typeof size === 'bigint' ? new Array(spatial).fill(size) : itemsOf(size) ?? [];
    if (raw.length !== spatial) throw c.fail('OP_UNSUPPORTED', `adaptive pooling output size ${String(raw)}`);
    const sizes = raw.map((s) => (s === null ? null : constInt(c, s, 'adaptive pool output size')));
    let out: Sym;
    if (sizes.every((s) => s === 1)) out = b.op(kind === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool', [input], input.dtype, input.rank);
    else {
      const rank = input.rank;
      if (rank === undefined) throw c.fail('OP_UNSUPPORTED', 'adaptive pooling of a tensor of unknown rank');
      out = input;
      const reduce = kind === 'avg' ? 'ReduceMean' : 'ReduceMax';
      sizes.forEach((o, k) => {
        if (o === null) return;
        const axis = rank - spatial + k;
        const n = b.op('Shape', [input], 'int64', 1, { start: axis, end: axis + 1 });
        const pieces: Sym[] = [];
        for (let i = 0; i < o; i++) {
          const start = b.op('Div', [b.op('Mul', [n, b.int64s([i])], 'int64', 1), b.int64s([o])], 'int64', 1);
          const end = b.op('Div', [b.op('Add', [b.op('Mul', [n, b.int64s([i + 1])], 'int64', 1), b.int64s([o - 1])], 'int64', 1), b.int64s([o])], 'int64', 1);
          const bin = b.op('Slice', [out, start, end, b.int64s([axis])], input.dtype, rank);
          pieces.push(b.op(reduce, [bin, b.int64s([axis])], input.dtype, rank, { keepdims: 1 }));
        }
        out = pieces.length === 1 ? pieces[0]! : b.op('Concat', pieces, input.dtype, rank, { axis });
      });
    }
    return kind === 'avg' ? out : tuple([out, new Unavailable('the indices of adaptive_max_pool')]);
  };
}

/** group_norm: statistics per (sample, group) over [N, G, -1], then the per-channel weight and bias. */
function groupNorm(c: OperatorContext, [x, groups, weight, bias, eps]: Py[]): Sym {
  const b = c.builder;
  const input = asSym(c, x);
  if (input.rank === undefined) throw c.fail('OP_UNSUPPORTED', 'group_norm of a tensor of unknown rank');
  const t = input.dtype;
  const g = constInt(c, groups, 'num_groups');
  const grouped = b.op('Reshape', [input, b.int64s([0, g, -1])], t, 3);
  const mean = b.op('ReduceMean', [grouped, b.int64s([2])], t, 3, { keepdims: 1 });
  const centered = b.op('Sub', [grouped, mean], t, 3);
  const variance = b.op('ReduceMean', [b.op('Mul', [centered, centered], t, 3), b.int64s([2])], t, 3, { keepdims: 1 });
  const std = b.op('Sqrt', [b.op('Add', [variance, b.scalar(constFloat(c, eps ?? 1e-5, 'eps'), t)], t, 3)], t, 3);
  let y = b.op('Reshape', [b.op('Div', [centered, std], t, 3), b.op('Shape', [input], 'int64', 1)], t, input.rank);
  const perChannel = (v: Sym) => b.op('Reshape', [v, b.int64s([-1, ...new Array(input.rank! - 2).fill(1)])], t, input.rank! - 1);
  if (weight !== null && weight !== undefined) y = b.op('Mul', [y, perChannel(asSym(c, weight, t))], t, input.rank);
  if (bias !== null && bias !== undefined) y = b.op('Add', [y, perChannel(asSym(c, bias, t))], t, input.rank);
  return y;
}

/**
 * instance_norm: with use_input_stats, InstanceNormalization (a missing weight is ones, bias zeros, one per
 * channel); without (track_running_stats in eval), the running statistics as BatchNormalization.
 */
function instanceNorm(c: OperatorContext, [x, weight, bias, mean, variance, useInputStats, , eps]: Py[]): Sym {
  const b = c.builder;
  const input = asSym(c, x);
  const t = input.dtype;
  const channels = b.op('Shape', [input], 'int64', 1, { start: 1, end: 2 });
  const filled = (v: Py, fill: number) => (v === null || v === undefined
    ? b.op('Expand', [b.constant(tensor(new Float32Array([fill]), [1]), 'fill'), channels], 'float32', 1)
    : asSym(c, v, t));
  const epsilon = floatAttr(constFloat(c, eps ?? 1e-5, 'eps'));
  if (useInputStats === false) {
    return b.op('BatchNormalization', [input, cast(c, filled(weight, 1), t), cast(c, filled(bias, 0), t), asSym(c, mean, t), asSym(c, variance, t)], t, input.rank, { epsilon });
  }
  return b.op('InstanceNormalization', [input, cast(c, filled(weight, 1), t), cast(c, filled(bias, 0), t)], t, input.rank, { epsilon });
}

export const VISION_OPS: Record<string, OperatorRow> = {
  'torchvision::nms': row('dets scores iou_threshold', (c, [boxes, scores, iou]) => nms(c, boxes, scores, iou)),
  'torchvision::roi_align': row('input rois spatial_scale pooled_height pooled_width sampling_ratio aligned', (c, args) => roiAlign(c, args)),
  'torchvision::roi_pool': row('input rois spatial_scale pooled_height pooled_width', (c, args) => roiPool(c, args)),
  'aten::upsample_nearest1d': row('input output_size scales', upsample('nearest', 1, false)),
  'aten::upsample_nearest2d': row('input output_size scales_h scales_w', upsample('nearest', 2, false)),
  'aten::upsample_nearest3d': row('input output_size scales_d scales_h scales_w', upsample('nearest', 3, false)),
  'aten::_upsample_nearest_exact1d': row('input output_size scales', upsample('nearest-exact', 1, false)),
  'aten::_upsample_nearest_exact2d': row('input output_size scales_h scales_w', upsample('nearest-exact', 2, false)),
  'aten::_upsample_nearest_exact3d': row('input output_size scales_d scales_h scales_w', upsample('nearest-exact', 3, false)),
  'aten::upsample_linear1d': row('input output_size align_corners scales', upsample('linear', 1, true)),
  'aten::upsample_bilinear2d': row('input output_size align_corners scales_h scales_w', upsample('linear', 2, true)),
  'aten::upsample_trilinear3d': row('input output_size align_corners scales_d scales_h scales_w', upsample('linear', 3, true)),
  'aten::upsample_bicubic2d': row('input output_size align_corners scales_h scales_w', upsample('cubic', 2, true)),
  'aten::pixel_shuffle': row('self upscale_factor', (c, [x, r]) => pixelShuffle(c, x, r)),
  'aten::pixel_unshuffle': row('self downscale_factor', (c, [x, r]) => pixelUnshuffle(c, x, r)),
  'aten::adaptive_avg_pool1d': row('self output_size', adaptivePool('avg', 1)),
  'aten::adaptive_avg_pool2d': row('self output_size', adaptivePool('avg', 2)),
  'aten::adaptive_avg_pool3d': row('self output_size', adaptivePool('avg', 3)),
  'aten::adaptive_max_pool1d': row('self output_size', adaptivePool('max', 1)),
  'aten::adaptive_max_pool2d': row('self output_size', adaptivePool('max', 2)),
  'aten::adaptive_max_pool3d': row('self output_size', adaptivePool('max', 3)),
  'aten::group_norm': row('input num_groups weight bias eps cudnn_enabled', (c, args) => groupNorm(c, args)),
  'aten::instance_norm': row('input weight bias running_mean running_var use_input_stats momentum eps cudnn_enabled', (c, args) => instanceNorm(c, args)),
};
