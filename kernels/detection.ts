import { NeuropodError } from '../src/api/errors.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { optionalTensor, tensorInput, toIndices, toNumbers } from './elements.js';
import { floatBuffer, floatTensor, floatView, type FloatArray } from './float-data.js';
import { stridesOf } from './indexing.js';
import type { ShapeFn, KernelContext, KernelDef } from './registry.js';
import { intsOperand, knownInts, withShapes } from './shape-rules.js';
import { col2im, readWindowAttrs, slideWindow, window3 } from './window.js';

type Inputs = Parameters<KernelDef['run']>[0];

/** Corners (y1, x1, y2, x2) of box i; center_point_box 1 stores (x_center, y_center, width, height). */
function corners(b: Float64Array, i: number, centered: boolean): [number, number, number, number] {
  const [p, q, r, s] = [b[4 * i]!, b[4 * i + 1]!, b[4 * i + 2]!, b[4 * i + 3]!];
  if (centered) return [q - s / 2, p - r / 2, q + s / 2, p + r / 2];
  return [Math.min(p, r), Math.min(q, s), Math.max(p, r), Math.max(q, s)];
}

function iou(a: [number, number, number, number], b: [number, number, number, number]): number {
  const h = Math.min(a[2], b[2]) - Math.max(a[0], b[0]), w = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (h <= 0 || w <= 0) return 0;
  const inter = h * w, union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * NonMaxSuppression: per batch and class, boxes scoring above score_threshold are taken greedily by score
 * (ties by index) unless their IoU with an already kept box exceeds iou_threshold, up to
 * max_output_boxes_per_class (0 or absent keeps none). Output rows are [batch, class, box].
 */
function nonMaxSuppression(inputs: Inputs, ctx: KernelContext): Tensor {
  const B = tensorInput(inputs, 0, 'NonMaxSuppression'), S = tensorInput(inputs, 1, 'NonMaxSuppression');
  const [maxOut, iouMax, scoreMin] = [2, 3, 4].map((i) => optionalTensor(inputs, i)).map((t) => (t && t.size ? toNumbers(t)[0]! : undefined));
  const centered = ctx.attrs.int('center_point_box', 0) === 1;
  const [batches, classes, count] = S.shape as [number, number, number];
  const boxes = toNumbers(B), scores = toNumbers(S), limit = maxOut ?? 0, selected: number[] = [];
  for (let b = 0; b < batches; b++) {
    const boxAt = (i: number) => corners(boxes, b * count + i, centered);
    for (let c = 0; c < classes; c++) {
      const base = (b * classes + c) * count;
      const order = Array.from({ length: count }, (_, i) => i).filter((i) => scoreMin === undefined || scores[base + i]! > scoreMin);
      order.sort((i, j) => scores[base + j]! - scores[base + i]! || i - j);
      const kept: number[] = [];
      for (const i of order) {
        if (kept.length >= limit) break;
        if (kept.every((k) => iou(boxAt(i), boxAt(k)) <= (iouMax ?? 0))) kept.push(i);
      }
      for (const i of kept) selected.push(b, c, i);
    }
  }
  return new Tensor('int64', [selected.length / 3, 3], BigInt64Array.from(selected, BigInt));
}

/**
 * One bilinear RoiAlign sample as onnxruntime takes it: outside [-1, size] it is 0, below 0 it clamps to 0, at
 * the last row/column it clamps there. Returns the four weighted corners (avg sums them, max takes the largest).
 */
function roiSample(x: FloatArray, plane: number, H: number, W: number, y: number, xx: number, out: Float64Array): boolean {
  if (y < -1 || y > H || xx < -1 || xx > W) return false;
  y = Math.max(y, 0);
  xx = Math.max(xx, 0);
  let y0 = Math.floor(y), x0 = Math.floor(xx), y1 = y0 + 1, x1 = x0 + 1;
  if (y0 >= H - 1) y = y0 = y1 = H - 1;
  if (x0 >= W - 1) xx = x0 = x1 = W - 1;
  const ly = y - y0, lx = xx - x0, hy = 1 - ly, hx = 1 - lx;
  out[0] = hy * hx * x[plane + y0 * W + x0]!;
  out[1] = hy * lx * x[plane + y0 * W + x1]!;
  out[2] = ly * hx * x[plane + y1 * W + x0]!;
  out[3] = ly * lx * x[plane + y1 * W + x1]!;
  return true;
}

/**
 * RoiAlign: each roi (x1, y1, x2, y2)·spatial_scale is split into output_height × output_width bins, each bin
 * averaged (or maxed) over sampling_ratio² bilinear samples (ceil(roi / bins) when 0). half_pixel (the opset-16
 * default) shifts coordinates by -0.5; output_half_pixel (opset 10) instead forces rois to at least 1 pixel.
 */
function roiAlign(inputs: Inputs, ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'RoiAlign'), rois = toNumbers(tensorInput(inputs, 1, 'RoiAlign')), batchOf = toIndices(tensorInput(inputs, 2, 'RoiAlign'));
  const [, C, H, W] = X.shape as [number, number, number, number];
  const oh = ctx.attrs.int('output_height', 1), ow = ctx.attrs.int('output_width', 1), ratio = ctx.attrs.int('sampling_ratio', 0);
  const scale = ctx.attrs.float('spatial_scale', 1), max = ctx.attrs.string('mode', 'avg') === 'max';
  const halfPixel = ctx.attrs.string('coordinate_transformation_mode', ctx.opset >= 16 ? 'half_pixel' : 'output_half_pixel') === 'half_pixel';
  const x = floatView(X), y = floatBuffer(X.dtype, batchOf.length * C * oh * ow), s = new Float64Array(4);
  let out = 0;
  for (let r = 0; r < batchOf.length; r++) {
    const shift = halfPixel ? 0.5 : 0;
    const [x1, y1, x2, y2] = [0, 1, 2, 3].map((k) => rois[4 * r + k]! * scale - shift) as [number, number, number, number];
    const rw = halfPixel ? x2 - x1 : Math.max(x2 - x1, 1), rh = halfPixel ? y2 - y1 : Math.max(y2 - y1, 1);
    const bh = rh / oh, bw = rw / ow, gh = ratio > 0 ? ratio : Math.ceil(rh / oh), gw = ratio > 0 ? ratio : Math.ceil(rw / ow);
    const n = Math.max(gh * gw, 1);
    for (let c = 0; c < C; c++) {
      const plane = (batchOf[r]! * C + c) * H * W;
      for (let ph = 0; ph < oh; ph++) {
        for (let pw = 0; pw < ow; pw++, out++) {
          let acc = max ? -Infinity : 0, any = false;
          for (let iy = 0; iy < gh; iy++) {
            const sy = y1 + ph * bh + ((iy + 0.5) * bh) / gh;
            for (let ix = 0; ix < gw; ix++) {
              const sx = x1 + pw * bw + ((ix + 0.5) * bw) / gw;
              const inside = roiSample(x, plane, H, W, sy, sx, s);
              if (max) acc = Math.max(acc, inside ? Math.max(s[0]!, s[1]!, s[2]!, s[3]!) : 0);
              else if (inside) acc += s[0]! + s[1]! + s[2]! + s[3]!;
              any = true;
            }
          }
          y[out] = max ? (any ? acc : 0) : acc / n;
        }
      }
    }
  }
  return floatTensor(X.dtype, [batchOf.length, C, oh, ow], y);
}

/** Rounds half away from zero (C's round, which Caffe's RoIPool uses). */
const roundHalfAway = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

/** MaxRoiPool (Caffe RoIPool): rois [batch, x1, y1, x2, y2] rounded to pixels, each bin the max of its pixels. */
function maxRoiPool(inputs: Inputs, ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'MaxRoiPool'), rois = toNumbers(tensorInput(inputs, 1, 'MaxRoiPool'));
  const [ph, pw] = ctx.attrs.require('pooled_shape', 'ints') as [number, number], scale = ctx.attrs.float('spatial_scale', 1);
  const [, C, H, W] = X.shape as [number, number, number, number], count = rois.length / 5;
  const x = floatView(X), y = floatBuffer(X.dtype, count * C * ph * pw);
  let out = 0;
  for (let r = 0; r < count; r++) {
    const [b, x1, y1, x2, y2] = [0, 1, 2, 3, 4].map((k) => (k === 0 ? rois[5 * r]! : roundHalfAway(rois[5 * r + k]! * scale))) as [number, number, number, number, number];
    const bh = Math.max(y2 - y1 + 1, 1) / ph, bw = Math.max(x2 - x1 + 1, 1) / pw;
    for (let c = 0; c < C; c++) {
      const plane = (b * C + c) * H * W;
      for (let i = 0; i < ph; i++) {
        const h0 = Math.min(Math.max(Math.floor(i * bh) + y1, 0), H), h1 = Math.min(Math.max(Math.ceil((i + 1) * bh) + y1, 0), H);
        for (let j = 0; j < pw; j++, out++) {
          const w0 = Math.min(Math.max(Math.floor(j * bw) + x1, 0), W), w1 = Math.min(Math.max(Math.ceil((j + 1) * bw) + x1, 0), W);
          let m = h1 <= h0 || w1 <= w0 ? 0 : -Infinity;
          for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) m = Math.max(m, x[plane + h * W + w]!);
          y[out] = m;
        }
      }
    }
  }
  return floatTensor(X.dtype, [count, C, ph, pw], y);
}

/** Keys A of the cubic convolution kernel GridSample uses (as Resize's cubic with A = -0.75). */
function cubicWeights(t: number, w: Float64Array, at: number): void {
  const A = -0.75, f = (d: number) => (d <= 1 ? ((A + 2) * d - (A + 3)) * d * d + 1 : ((A * d - 5 * A) * d + 8 * A) * d - 4 * A);
  w[at] = f(t + 1);
  w[at + 1] = f(t);
  w[at + 2] = f(1 - t);
  w[at + 3] = f(2 - t);
}

/** Reflects x into [lo, hi] as often as needed (the ONNX reference's _gs_reflect). */
function reflect(x: number, lo: number, hi: number): number {
  const range = hi - lo;
  if (x >= lo && x <= hi) return x;
  if (range <= 0) return lo;
  const d = x < lo ? lo - x : x - hi, n = Math.floor(d / range), r = d - n * range;
  return x < lo ? (n % 2 === 0 ? lo + r : hi - r) : n % 2 === 0 ? hi - r : lo + r;
}

/** Half-to-even rounding (numpy.rint), which GridSample's nearest mode follows. */
function rint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

interface GridSampleOptions {
  mode: 'linear' | 'nearest' | 'cubic';
  padding: 'zeros' | 'border' | 'reflection';
  alignCorners: boolean;
}

/** A pixel index under the padding mode; -1 reads as zero. */
function padIndex(i: number, size: number, o: GridSampleOptions): number {
  if (o.padding === 'zeros') return i >= 0 && i < size ? i : -1;
  if (o.padding === 'border') return Math.min(Math.max(i, 0), size - 1);
  const [lo, hi] = o.alignCorners ? [0, size - 1] : [-0.5, size - 0.5];
  return Math.min(Math.max(Math.trunc(reflect(i, lo, hi)), 0), size - 1);
}

/**
 * Per spatial dim of one grid point: the pixel indices (after padding) and weights it reads. Coordinates are
 * denormalized from [-1, 1]; outside the border, border padding clamps and reflection reflects them first.
 */
function gridTaps(v: number, size: number, o: GridSampleOptions, idx: Int32Array, wts: Float64Array, at: number): number {
  let x = o.alignCorners ? ((v + 1) / 2) * (size - 1) : ((v + 1) * size - 1) / 2;
  if (o.mode === 'nearest') x = rint(x);
  const [lo, hi] = o.alignCorners ? [0, size - 1] : [-0.5, size - 0.5];
  if (x < lo || x > hi) x = o.padding === 'border' ? Math.min(Math.max(x, 0), size - 1) : o.padding === 'reflection' ? reflect(x, lo, hi) : x;
  if (o.mode === 'nearest') {
    idx[at] = padIndex(Math.trunc(x), size, o);
    wts[at] = 1;
    return 1;
  }
  const x0 = Math.floor(x), t = x - x0;
  if (o.mode === 'linear') {
    idx[at] = padIndex(x0, size, o);
    idx[at + 1] = padIndex(x0 + 1, size, o);
    wts[at] = 1 - t;
    wts[at + 1] = t;
    return 2;
  }
  for (let k = 0; k < 4; k++) idx[at + k] = padIndex(x0 - 1 + k, size, o);
  cubicWeights(t, wts, at);
  return 4;
}

const GRID_MODES: Record<string, GridSampleOptions['mode']> = { bilinear: 'linear', linear: 'linear', nearest: 'nearest', bicubic: 'cubic', cubic: 'cubic' };

/** GridSample (opset 16: 2-D, opset 20: N-D): grid [N, out..., r] holds normalized coordinates, last dim first. */
function gridSample(inputs: Inputs, ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'GridSample'), G = tensorInput(inputs, 1, 'GridSample');
  const mode = GRID_MODES[ctx.attrs.string('mode', ctx.opset >= 20 ? 'linear' : 'bilinear')];
  if (!mode) throw new NeuropodError('INFERENCE_FAILED', `GridSample: unknown mode '${ctx.attrs.string('mode')}'`);
  const o: GridSampleOptions = { mode, padding: ctx.attrs.string('padding_mode', 'zeros') as GridSampleOptions['padding'], alignCorners: ctx.attrs.int('align_corners', 0) === 1 };
  const [n, c] = X.shape as [number, number], dims = X.shape.slice(2), r = dims.length, strides = stridesOf(dims);
  const outDims = G.shape.slice(1, -1), points = sizeOf(outDims), plane = sizeOf(dims);
  const x = floatView(X), g = floatView(G), y = floatBuffer(X.dtype, n * c * points);
  const idx = new Int32Array(4 * r), wts = new Float64Array(4 * r), counts = new Int32Array(r), pos = new Int32Array(r);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < points; p++) {
      for (let d = 0; d < r; d++) counts[d] = gridTaps(g[(b * points + p) * r + (r - 1 - d)]!, dims[d]!, o, idx, wts, 4 * d);
      for (let ch = 0; ch < c; ch++) y[(b * c + ch) * points + p] = gridCombine(x, (b * c + ch) * plane, r, strides, idx, wts, counts, pos);
    }
  }
  return floatTensor(X.dtype, [n, c, ...outDims], y);
}

/** Σ over every tap combination of Π weights × pixel (0 where any index is padding). */
function gridCombine(x: FloatArray, base: number, r: number, strides: number[], idx: Int32Array, wts: Float64Array, counts: Int32Array, pos: Int32Array): number {
  pos.fill(0);
  let acc = 0;
  for (;;) {
    let w = 1, at = base;
    for (let d = 0; d < r && w !== 0; d++) {
      const i = idx[4 * d + pos[d]!]!;
      w = i < 0 ? 0 : w * wts[4 * d + pos[d]!]!;
      at += i * strides[d]!;
    }
    if (w !== 0) acc += w * x[at]!;
    let d = r - 1;
    while (d >= 0 && ++pos[d]! >= counts[d]!) pos[d--] = 0;
    if (d < 0) return acc;
  }
}

/**
 * AffineGrid (opset 20): for size [N, C, (D,) H, W] the normalized base grid (align_corners: -1..1 on pixel
 * centers of the corners, else pixel edges) transformed by theta [N, r, r+1]; output [N, (D,) H, W, r].
 */
function affineGrid(inputs: Inputs, ctx: KernelContext): Tensor {
  const T = tensorInput(inputs, 0, 'AffineGrid'), size = toIndices(tensorInput(inputs, 1, 'AffineGrid'));
  const align = ctx.attrs.int('align_corners', 0) === 1, dims = size.slice(2), r = dims.length, n = size[0]!;
  const base = (i: number, len: number) => (align ? (len > 1 ? -1 + (2 * i) / (len - 1) : -1) : (2 * i + 1) / len - 1);
  const theta = floatView(T), points = sizeOf(dims), y = floatBuffer(T.dtype, n * points * r);
  const coord = new Float64Array(r + 1), pos = new Int32Array(r);
  for (let b = 0; b < n; b++) {
    pos.fill(0);
    for (let p = 0; p < points; p++) {
      for (let d = 0; d < r; d++) coord[d] = base(pos[r - 1 - d]!, dims[r - 1 - d]!);
      coord[r] = 1;
      for (let i = 0; i < r; i++) {
        let acc = 0;
        for (let j = 0; j <= r; j++) acc += theta[(b * r + i) * (r + 1) + j]! * coord[j]!;
        y[(b * points + p) * r + i] = acc;
      }
      for (let d = r - 1; d >= 0 && ++pos[d]! >= dims[d]!; d--) pos[d] = 0;
    }
  }
  return floatTensor(T.dtype, [n, ...dims, r], y);
}

/** Col2Im (opset 18): [N, C·Π block, L] columns summed back into [N, C, image...] (the adjoint of im2col). */
function col2Im(inputs: Inputs, ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'Col2Im'), image = toIndices(tensorInput(inputs, 1, 'Col2Im')), block = toIndices(tensorInput(inputs, 2, 'Col2Im'));
  const w = readWindowAttrs(ctx.attrs, image.length, block), { grid, padsBegin, padsEnd } = slideWindow(image, w);
  const g = window3(image, grid, w, padsBegin, padsEnd);
  const [n, rows] = X.shape as [number, number], c = rows / sizeOf(block), plane = sizeOf(image);
  if (X.shape[2] !== sizeOf(grid)) throw new NeuropodError('INFERENCE_FAILED', `Col2Im: ${X.shape[2]} columns, but the image and block give ${sizeOf(grid)}`);
  const x = floatView(X), y = floatBuffer(X.dtype, n * c * plane);
  for (let b = 0; b < n; b++) col2im(x, b * rows * sizeOf(grid), c, g, y, b * c * plane);
  return floatTensor(X.dtype, [n, c, ...image], y);
}

/** RoiAlign / MaxRoiPool: [num_rois, C, out_h, out_w] (ONNX RoiAlign doc). */
function roiShape(size: (ctx: Parameters<ShapeFn>[1]) => number[]): ShapeFn {
  return (inputs, ctx) => [{ dtype: inputs[0]?.dtype, dims: [inputs[1]?.dims?.[0] ?? null, inputs[0]?.dims?.[1] ?? null, ...size(ctx)] }];
}

/** Col2Im: [N, C, image...], C = X's second dim over the block's size. */
const col2ImShape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0]?.dims, image = knownInts(intsOperand(inputs, ctx, 1, 'image_shape', 1)), block = knownInts(intsOperand(inputs, ctx, 2, 'block_shape', 1));
  const per = block?.reduce((a, b) => a * b, 1), rows = x?.[1];
  const c = typeof rows === 'number' && per && rows % per === 0 ? rows / per : null;
  return [{ dtype: inputs[0]?.dtype, dims: image ? [x?.[0] ?? null, c, ...image] : undefined }];
};

const DETECTION_SHAPES = {
  Col2Im: col2ImShape,
  // NonMaxSuppression: one [batch, class, box] row a kept box; how many is data.
  NonMaxSuppression: (() => [{ dtype: 'int64', dims: [null, 3] }]) as ShapeFn,
  RoiAlign: roiShape((ctx) => [ctx.attrs.int('output_height', 1), ctx.attrs.int('output_width', 1)]),
  MaxRoiPool: roiShape((ctx) => ctx.attrs.require('pooled_shape', 'ints')),
  // GridSample: [N, C, grid's spatial dims].
  GridSample: ((inputs) => [{ dtype: inputs[0]?.dtype, dims: inputs[0]?.dims && inputs[1]?.dims ? [inputs[0].dims[0]!, inputs[0].dims[1]!, ...inputs[1].dims.slice(1, -1)] : undefined }]) as ShapeFn,
  // AffineGrid: [N, spatial..., r] from the size input.
  AffineGrid: ((inputs, ctx) => {
    const size = intsOperand(inputs, ctx, 1, 'size', 1);
    return [{ dtype: inputs[0]?.dtype, dims: size ? [size[0]!, ...size.slice(2), size.length - 2] : undefined }];
  }) as ShapeFn,
};

export const detectionKernels: KernelDef[] = withShapes([
  { op: 'NonMaxSuppression', since: 10, run: (inputs, ctx) => [nonMaxSuppression(inputs, ctx)] },
  { op: 'RoiAlign', since: 10, run: (inputs, ctx) => [roiAlign(inputs, ctx)] },
  { op: 'MaxRoiPool', run: (inputs, ctx) => [maxRoiPool(inputs, ctx)] },
  { op: 'GridSample', since: 16, run: (inputs, ctx) => [gridSample(inputs, ctx)] },
  { op: 'AffineGrid', since: 20, run: (inputs, ctx) => [affineGrid(inputs, ctx)] },
  { op: 'Col2Im', since: 18, run: (inputs, ctx) => [col2Im(inputs, ctx)] },
], DETECTION_SHAPES);
