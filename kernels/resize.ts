/**
 * Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9). Each resized axis maps output coordinates to input
 * ones (coordinate_transformation_mode) and weighs the nearest input elements (mode); axes are processed one at a
 * time, last first, which gives the ONNX reference's N-D result since every mode is separable. Semantics follow
 * the ONNX reference implementation (onnx/reference/ops/op_resize.py), which generated the node tests.
 */
import { NeuropodError } from '../src/api/errors.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { fromNumbers, optionalTensor, tensorInput, toNumbers } from './elements.js';
import { rawOf } from './element-values.js';
import { normalizeAxis, stridesOf } from './indexing.js';
import { FILL, indexMap, takeByMap } from './layout.js';
import { axisWeights, type AxisPlan, type ResizeOptions } from './resize-weights.js';
import type { ShapeFn, KernelContext, KernelDef } from './registry.js';
import { axisOf, withShapes, type ShapeTable } from './shape-rules.js';

type Inputs = Parameters<KernelDef['run']>[0];

export interface Request {
  scales?: number[];
  sizes?: number[];
  roi?: number[];
  axes: number[];
}

/** Output sizes and per-axis scales (op_resize.py `_interpolate_nd`): sizes give scale = out/in, scales give out = floor(in·scale). */
export function planAxes(x: { rank: number; shape: readonly number[] }, req: Request, policy: string): AxisPlan[] {
  const r = x.rank;
  const scale = new Array<number>(r).fill(1);
  const out = [...x.shape];
  const roi = [...new Array<number>(r).fill(0), ...new Array<number>(r).fill(1)];
  const n = req.axes.length;
  req.axes.forEach((a, i) => {
    if (req.roi && req.roi.length === 2 * n) {
      roi[a] = req.roi[i]!;
      roi[r + a] = req.roi[n + i]!;
    }
  });
  if (req.sizes) {
    req.axes.forEach((a, i) => (scale[a] = req.sizes![i]! / x.shape[a]!));
    req.axes.forEach((a, i) => (out[a] = req.sizes![i]!));
    if (policy !== 'stretch') {
      const chosen = req.axes.map((a) => scale[a]!);
      const common = policy === 'not_larger' ? Math.min(...chosen) : policy === 'not_smaller' ? Math.max(...chosen) : NaN;
      if (Number.isNaN(common)) throw new NeuropodError('INFERENCE_FAILED', `Resize: unknown keep_aspect_ratio_policy '${policy}'`);
      for (const a of req.axes) {
        scale[a] = common;
        out[a] = Math.floor(common * x.shape[a]! + 0.5);
      }
    }
  } else if (req.scales) {
    req.axes.forEach((a, i) => (scale[a] = req.scales![i]!));
    for (const a of req.axes) out[a] = Math.floor(scale[a]! * x.shape[a]!);
  } else {
    throw new NeuropodError('INFERENCE_FAILED', `Resize: neither scales nor sizes were given`);
  }
  return x.shape.map((d, a) => ({ inSize: d, outSize: out[a]!, scale: scale[a]!, roiStart: roi[a]!, roiEnd: roi[r + a]! }));
}

/** Nearest: each output element copies one input element (any dtype); tf_crop_and_resize's outside gets the fill. */
function resizeNearest(x: Tensor, plans: AxisPlan[], opts: ResizeOptions): Tensor {
  const picks = plans.map((p) => axisWeights(p, opts));
  const strides = stridesOf(x.shape);
  const outShape = plans.map((p) => p.outSize);
  const map = indexMap(outShape, (idx) => {
    let s = 0;
    for (let d = 0; d < idx.length; d++) {
      const w = picks[d]!;
      const o = idx[d]!;
      if (w.outside[o]) return FILL;
      const base = o * w.taps;
      let j = 0;
      while (j < w.taps - 1 && w.weight[base + j] === 0) j++;
      s += w.index[base + j]! * strides[d]!;
    }
    return s;
  });
  return takeByMap(x, map, outShape, rawOf(x.dtype, opts.extrapolationValue));
}

/** Linear and cubic: weighted sums along one axis at a time, in float64, stored in the input dtype at the end. */
function resizeWeighted(x: Tensor, plans: AxisPlan[], opts: ResizeOptions): Tensor {
  let values = toNumbers(x);
  let shape = [...x.shape];
  for (let a = plans.length - 1; a >= 0; a--) {
    const p = plans[a]!;
    // An axis kept at scale 1 is not resampled, even under tf_crop_and_resize with a roi on it: onnxruntime
    // interpolates only the resized (inner) axes, and its outputs are the ones this engine must match.
    if (p.scale === 1 && p.inSize === p.outSize) continue;
    const w = axisWeights(p, opts);
    const outer = sizeOf(shape.slice(0, a));
    const inner = sizeOf(shape.slice(a + 1));
    const next = new Float64Array(outer * p.outSize * inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < p.outSize; k++) {
        const dst = (o * p.outSize + k) * inner;
        if (w.outside[k]) {
          next.fill(opts.extrapolationValue, dst, dst + inner);
          continue;
        }
        for (let t = 0; t < w.taps; t++) {
          const c = w.weight[k * w.taps + t]!;
          if (c === 0) continue;
          const src = (o * p.inSize + w.index[k * w.taps + t]!) * inner;
          for (let r = 0; r < inner; r++) next[dst + r]! += c * values[src + r]!;
        }
      }
    }
    values = next;
    shape[a] = p.outSize;
  }
  return fromNumbers(x.dtype, shape, values);
}

export function resize(x: Tensor, req: Request, opts: ResizeOptions, policy = 'stretch'): Tensor {
  const plans = planAxes(x, req, policy);
  return opts.mode === 'nearest' ? resizeNearest(x, plans, opts) : resizeWeighted(x, plans, opts);
}

/** A non-empty tensor input as numbers (ONNX lets an empty tensor stand for "not given"). */
function given(inputs: Inputs, i: number): number[] | undefined {
  const t = optionalTensor(inputs, i);
  return t && t.size > 0 ? Array.from(toNumbers(t)) : undefined;
}

export function options(ctx: Pick<KernelContext, 'attrs'>, legacy: boolean): ResizeOptions {
  const a = ctx.attrs;
  const mode = a.string('mode', 'nearest');
  return {
    mode: mode === 'bilinear' || mode === 'trilinear' ? 'linear' : (mode as ResizeOptions['mode']),
    transform: legacy ? 'asymmetric' : a.string('coordinate_transformation_mode', 'half_pixel'),
    nearestMode: legacy ? 'legacy' : a.string('nearest_mode', 'round_prefer_floor'),
    cubicA: a.float('cubic_coeff_a', -0.75),
    excludeOutside: a.int('exclude_outside', 0) === 1,
    extrapolationValue: a.float('extrapolation_value', 0),
    antialias: a.int('antialias', 0) === 1,
  };
}

/**
 * What a Resize node asks for, by opset: [X, scales] at 10; [X, roi, scales, sizes] from 11; `axes` attribute
 * from 18. `rank` is X's; `inputs` past X may be host tensors only (the WebGPU kernel passes its host inputs).
 */
export function resizeRequest(inputs: Inputs, rank: number, ctx: Pick<KernelContext, 'attrs' | 'opset'>): { req: Request; opts: ResizeOptions; policy: string } {
  // Resize-10 has two inputs; more can only mean the opset-11 layout (ORT-web's op tests run it at opset 7).
  const legacy = ctx.opset < 11 && inputs.length <= 2;
  const axesAttr = ctx.opset >= 18 ? ctx.attrs.ints('axes') : undefined;
  const axes = axesAttr ? axesAttr.map((a) => normalizeAxis(a, rank)) : Array.from({ length: rank }, (_, i) => i);
  const req: Request = legacy ? { scales: given(inputs, 1), axes } : { roi: given(inputs, 1), scales: given(inputs, 2), sizes: given(inputs, 3), axes };
  return { req, opts: options(ctx, legacy), policy: ctx.attrs.string('keep_aspect_ratio_policy', 'stretch') };
}

function resizeOp(inputs: Inputs, ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'Resize');
  const { req, opts, policy } = resizeRequest(inputs, x.rank, ctx);
  return resize(x, req, opts, policy);
}

/** Upsample: scales as an attribute (opset 7) or input 1 (opset 9), asymmetric coordinates. */
function upsample(inputs: Inputs, ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'Upsample');
  const scales = ctx.opset >= 9 ? given(inputs, 1) : ctx.attrs.floats('scales');
  return resize(x, { scales, axes: x.shape.map((_, i) => i) }, options(ctx, true));
}

/** A non-empty constant input as numbers, for shape rules. */
function givenConstant(ctx: Parameters<ShapeFn>[1], i: number): number[] | undefined {
  const t = ctx.node.inputs[i] ? ctx.constant(i) : undefined;
  return t && t.size > 0 ? Array.from(toNumbers(t)) : undefined;
}

/**
 * Resize / Upsample output dims, as planAxes computes them: sizes as given (stretch) or by the common scale
 * (keep_aspect_ratio_policy), scales as floor(in·scale); a scale of 1 keeps a symbolic dim.
 */
function resizedDims(dims: Parameters<ShapeFn>[0][number] & object, axes: number[], scales: number[] | undefined, sizes: number[] | undefined, policy: string): ReturnType<ShapeFn>[number] {
  const out = [...dims.dims!];
  if (sizes && policy === 'stretch') axes.forEach((a, i) => (out[a] = sizes[i]!));
  else if (sizes) {
    const common = policy === 'not_larger' ? Math.min : Math.max;
    const ins = axes.map((a) => dims.dims![a]!);
    if (!ins.every((d): d is number => typeof d === 'number')) axes.forEach((a) => (out[a] = null));
    else {
      const scale = common(...axes.map((_, i) => sizes[i]! / ins[i]!));
      axes.forEach((a, i) => (out[a] = Math.floor(scale * ins[i]! + 0.5)));
    }
  } else if (scales) axes.forEach((a, i) => (out[a] = scales[i] === 1 ? out[a]! : typeof out[a] === 'number' ? Math.floor(scales[i]! * (out[a] as number)) : null));
  else axes.forEach((a) => (out[a] = null));
  return { dtype: dims.dtype, dims: out };
}

const RESIZE_SHAPES: ShapeTable = {
  Resize: (inputs, ctx) => {
    const x = inputs[0];
    if (!x?.dims) return [{ dtype: x?.dtype }];
    const legacy = ctx.opset < 11 && ctx.node.inputs.length <= 2;
    const axesAttr = ctx.opset >= 18 ? ctx.attrs.ints('axes') : undefined;
    const axes = axesAttr ? axesAttr.map((a) => axisOf(a, x.dims!.length)) : x.dims.map((_, i) => i);
    const scales = givenConstant(ctx, legacy ? 1 : 2), sizes = legacy ? undefined : givenConstant(ctx, 3);
    return [resizedDims(x, axes, scales, sizes, ctx.attrs.string('keep_aspect_ratio_policy', 'stretch'))];
  },
  Upsample: (inputs, ctx) => {
    const x = inputs[0];
    if (!x?.dims) return [{ dtype: x?.dtype }];
    const scales = ctx.opset >= 9 ? givenConstant(ctx, 1) : ctx.attrs.floats('scales');
    return [resizedDims(x, x.dims.map((_, i) => i), scales, undefined, 'stretch')];
  },
};

export const resizeKernels: KernelDef[] = withShapes([
  { op: 'Resize', run: (inputs, ctx) => [resizeOp(inputs, ctx)] },
  { op: 'Upsample', run: (inputs, ctx) => [upsample(inputs, ctx)] },
], RESIZE_SHAPES);

