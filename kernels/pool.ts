import { NeuropodError } from '../src/api/errors.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { optionalTensor, tensorInput, toIndices } from './elements.js';
import { floatBuffer, floatTensor, floatView, type FloatArray } from './float-data.js';
import type { ShapeFn, KernelContext, KernelDef } from './registry.js';
import { intsOperand, slidingDims, unknownDims, withShapes, type ShapeTable } from './shape-rules.js';
import { stridesOf } from './indexing.js';
import { gridSize, imageSize, readWindowAttrs, slideWindow, window3, type Window3 } from './window.js';

type PoolMode = 'max' | 'avg' | 'lp';

interface PoolOptions {
  mode: PoolMode;
  /** AveragePool: divide by the taps inside the padded image, not only the real ones. */
  countIncludePad: boolean;
  p: number;
  /** MaxPool Indices: column-major flat positions (storage_order 1). */
  columnMajor: boolean;
}

/** Taps k in [0, kernel) with start + k·dilation inside [lo, hi). */
function tapsWithin(start: number, kernel: number, dilation: number, lo: number, hi: number): number {
  let n = 0;
  for (let k = 0; k < kernel; k++) {
    const i = start + k * dilation;
    if (i >= lo && i < hi) n++;
  }
  return n;
}

/**
 * Pools every (n, c) plane over the window walk. Padding never contributes a value; AveragePool divides by the
 * real taps, or with count_include_pad by the taps inside the explicit padding (not the ceil_mode overhang).
 */
function pool(x: FloatArray, planes: number, g: Window3, o: PoolOptions, y: FloatArray, indices?: BigInt64Array): void {
  const [D, H, W] = g.image, [oD, oH, oW] = g.grid, [kD, kH, kW] = g.kernel, [sd, sh, sw] = g.strides, [dd, dh, dw] = g.dilations;
  const [pd, ph, pw] = g.padsBegin, [qd, qh, qw] = g.padsEnd;
  const I = imageSize(g);
  let out = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * I;
    for (let od = 0; od < oD; od++) {
      const d0 = od * sd - pd;
      for (let oh = 0; oh < oH; oh++) {
        const h0 = oh * sh - ph;
        for (let ow = 0; ow < oW; ow++, out++) {
          const w0 = ow * sw - pw;
          let acc = o.mode === 'max' ? -Infinity : 0, arg = -1, count = 0;
          for (let kd = 0; kd < kD; kd++) {
            const id = d0 + kd * dd;
            if (id < 0 || id >= D) continue;
            for (let kh = 0; kh < kH; kh++) {
              const ih = h0 + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < kW; kw++) {
                const iw = w0 + kw * dw;
                if (iw < 0 || iw >= W) continue;
                const at = (id * H + ih) * W + iw, v = x[base + at]!;
                if (o.mode === 'max') {
                  if (v > acc || arg < 0) { acc = v; arg = o.columnMajor ? id + D * (ih + H * iw) : at; }
                } else if (o.mode === 'avg') { acc += v; count++; }
                else acc += Math.abs(v) ** o.p;
              }
            }
          }
          if (o.mode === 'avg') {
            if (o.countIncludePad) count = tapsWithin(d0, kD, dd, -pd, D + qd) * tapsWithin(h0, kH, dh, -ph, H + qh) * tapsWithin(w0, kW, dw, -pw, W + qw);
            y[out] = acc / count;
          } else y[out] = o.mode === 'lp' ? acc ** (1 / o.p) : acc;
          if (indices) indices[out] = BigInt(base + arg);
        }
      }
    }
  }
}

function runPool(X: Tensor, ctx: KernelContext, o: PoolOptions, wantIndices: boolean): Tensor[] {
  const [n, c] = X.shape as [number, number];
  const w = readWindowAttrs(ctx.attrs, X.rank - 2);
  const image = X.shape.slice(2), { grid, padsBegin, padsEnd } = slideWindow(image, w);
  const g = window3(image, grid, w, padsBegin, padsEnd);
  const y = floatBuffer(X.dtype, n * c * gridSize(g)), shape = [n, c, ...grid];
  const indices = wantIndices ? new BigInt64Array(y.length) : undefined;
  pool(floatView(X), n * c, g, o, y, indices);
  const out = [floatTensor(X.dtype, shape, y)];
  if (indices) out.push(new Tensor('int64', shape, indices));
  return out;
}

/** GlobalAveragePool / GlobalMaxPool / GlobalLpPool: one value per (n, c) over all spatial dims. */
function globalPool(X: Tensor, mode: PoolMode, p: number): Tensor {
  const planes = X.shape[0]! * X.shape[1]!, size = sizeOf(X.shape.slice(2));
  const x = floatView(X), y = floatBuffer(X.dtype, planes);
  for (let plane = 0; plane < planes; plane++) {
    let acc = mode === 'max' ? -Infinity : 0;
    for (let i = plane * size; i < (plane + 1) * size; i++) {
      const v = x[i]!;
      if (mode === 'max') acc = v > acc ? v : acc;
      else acc += mode === 'avg' ? v : Math.abs(v) ** p;
    }
    y[plane] = mode === 'avg' ? acc / size : mode === 'lp' ? acc ** (1 / p) : acc;
  }
  return floatTensor(X.dtype, [X.shape[0]!, X.shape[1]!, ...X.shape.slice(2).map(() => 1)], y);
}

/**
 * MaxUnpool: scatters X into zeros at the flat positions I names. I counts positions in the default output,
 * (in - 1)·stride + kernel - pads per spatial dim (ONNX MaxUnpool doc); a larger output_shape keeps each value
 * at the same spatial coordinates (the onnx-node test test_maxunpool_export_with_output_shape shows this).
 */
function maxUnpool(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'MaxUnpool'), I = tensorInput(inputs, 1, 'MaxUnpool'), S = optionalTensor(inputs, 2);
  const r = X.rank - 2, w = readWindowAttrs(ctx.attrs, r);
  const planes = X.shape[0]! * X.shape[1]!;
  const dims = X.shape.slice(2).map((d, i) => (d - 1) * w.strides[i]! + w.kernel[i]! - w.pads[i]! - w.pads[i + r]!);
  const outDims = S ? toIndices(S).slice(2) : dims;
  const from = stridesOf(dims), to = stridesOf(outDims), plane = sizeOf(dims), outPlane = sizeOf(outDims);
  const x = floatView(X), idx = toIndices(I), y = floatBuffer(X.dtype, planes * outPlane);
  for (let i = 0; i < x.length; i++) {
    const p = Math.floor(idx[i]! / plane);
    let rem = idx[i]! - p * plane, at = p * outPlane;
    if (p < 0 || p >= planes) throw new NeuropodError('INFERENCE_FAILED', `MaxUnpool: index ${idx[i]} is outside ${planes} planes of ${plane}`);
    for (let d = 0; d < r; d++) {
      const q = Math.floor(rem / from[d]!);
      rem -= q * from[d]!;
      at += q * to[d]!;
    }
    y[at] = x[i]!;
  }
  return floatTensor(X.dtype, [X.shape[0]!, X.shape[1]!, ...outDims], y);
}

const maxOptions: PoolOptions = { mode: 'max', countIncludePad: false, p: 1, columnMajor: false };

/** MaxPool / AveragePool / LpPool: [N, C, out...] by the window rule (ceil_mode, auto_pad); MaxPool's indices are int64 alike. */
export const poolShape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  if (!x?.dims) return [{ dtype: x?.dtype }, { dtype: 'int64' }];
  const dims = [x.dims[0]!, x.dims[1]!, ...slidingDims(x.dims.slice(2), readWindowAttrs(ctx.attrs, x.dims.length - 2))];
  return [{ dtype: x.dtype, dims }, { dtype: 'int64', dims }];
};

const globalPoolShape: ShapeFn = (inputs) => {
  const x = inputs[0];
  return [{ dtype: x?.dtype, dims: x?.dims ? [x.dims[0]!, x.dims[1]!, ...x.dims.slice(2).map(() => 1)] : undefined }];
};

/** MaxUnpool: output_shape when given, else (in - 1)·stride + kernel - pads per spatial dim. */
const maxUnpoolShape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  if (!x?.dims) return [{ dtype: x?.dtype }];
  const given = intsOperand(inputs, ctx, 2, 'output_shape', 1);
  if (given !== undefined) return [{ dtype: x.dtype, dims: given ?? unknownDims(x.dims.length) }];
  const r = x.dims.length - 2, w = readWindowAttrs(ctx.attrs, r);
  const spatial = x.dims.slice(2).map((d, i) => (typeof d === 'number' ? (d - 1) * w.strides[i]! + w.kernel[i]! - w.pads[i]! - w.pads[i + r]! : null));
  return [{ dtype: x.dtype, dims: [x.dims[0]!, x.dims[1]!, ...spatial] }];
};

const POOL_SHAPES: ShapeTable = {
  MaxPool: poolShape, AveragePool: poolShape, LpPool: poolShape,
  GlobalAveragePool: globalPoolShape, GlobalMaxPool: globalPoolShape, GlobalLpPool: globalPoolShape,
  MaxUnpool: maxUnpoolShape,
};

export const poolKernels: KernelDef[] = withShapes([
  {
    op: 'MaxPool',
    run: (inputs, ctx) => runPool(tensorInput(inputs, 0, 'MaxPool'), ctx, { ...maxOptions, columnMajor: ctx.attrs.int('storage_order', 0) === 1 }, ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== ''),
  },
  {
    op: 'AveragePool',
    run: (inputs, ctx) => runPool(tensorInput(inputs, 0, 'AveragePool'), ctx, { ...maxOptions, mode: 'avg', countIncludePad: ctx.attrs.int('count_include_pad', 0) === 1 }, false),
  },
  { op: 'LpPool', run: (inputs, ctx) => runPool(tensorInput(inputs, 0, 'LpPool'), ctx, { ...maxOptions, mode: 'lp', p: ctx.attrs.float('p', 2) }, false) },
  { op: 'GlobalAveragePool', run: (inputs) => [globalPool(tensorInput(inputs, 0, 'GlobalAveragePool'), 'avg', 1)] },
  { op: 'GlobalMaxPool', run: (inputs) => [globalPool(tensorInput(inputs, 0, 'GlobalMaxPool'), 'max', 1)] },
  { op: 'GlobalLpPool', run: (inputs, ctx) => [globalPool(tensorInput(inputs, 0, 'GlobalLpPool'), 'lp', ctx.attrs.float('p', 2))] },
  { op: 'MaxUnpool', since: 9, run: (inputs, ctx) => [maxUnpool(inputs, ctx)] },
], POOL_SHAPES);
