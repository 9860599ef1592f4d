import { NeuropodError } from '../src/api/errors.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { optionalTensor, tensorInput } from './elements.js';
import { floatBuffer, floatTensor, floatView, type FloatArray } from './float-data.js';
import { gemm, transpose2d } from './gemm.js';
import type { KernelContext, KernelDef, ShapeFn } from './registry.js';
import { slidingDims, unknownDims, withShapes, type ShapeTable } from './shape-rules.js';
import { col2im, gridSize, im2col, imageSize, readWindowAttrs, slideWindow, tapCount, validRange, window3, type Window3 } from './window.js';

/** Fills each channel plane of `y` ([N, M, P]) with its bias (0 without one). */
function fillBias(y: FloatArray, n: number, m: number, plane: number, bias: Tensor | undefined): void {
  if (!bias) return;
  const b = floatView(bias);
  for (let i = 0; i < n * m; i++) y.fill(b[i % m]!, i * plane, (i + 1) * plane);
}

function isPointwise(g: Window3): boolean {
  return tapCount(g) === 1 && g.strides.every((s) => s === 1) && g.padsBegin.every((p) => p === 0) && g.padsEnd.every((p) => p === 0)
    && g.grid.every((d, i) => d === g.image[i]);
}

/**
 * ONNX Conv. Each group is one GEMM: W_g [M/g, C/g·taps] times the im2col matrix [C/g·taps, out positions]
 * (a 1×1 stride-1 conv uses the input itself as that matrix). One input channel a group (depthwise) runs direct.
 */
function conv(X: Tensor, Wt: Tensor, B: Tensor | undefined, ctx: KernelContext): Tensor {
  const [n, c] = X.shape as [number, number], [m, cg] = Wt.shape as [number, number];
  const group = ctx.attrs.int('group', 1), mg = m / group;
  if (cg * group !== c || !Number.isInteger(mg)) throw new NeuropodError('INFERENCE_FAILED', `Conv: weights [${Wt.shape}] do not fit ${c} input channels in ${group} groups`);
  const w = readWindowAttrs(ctx.attrs, X.rank - 2, Wt.shape.slice(2));
  const image = X.shape.slice(2), { grid, padsBegin, padsEnd } = slideWindow(image, w);
  const g = window3(image, grid, w, padsBegin, padsEnd);
  const x = floatView(X), wv = floatView(Wt), P = gridSize(g), I = imageSize(g), K = cg * tapCount(g);
  const y = floatBuffer(X.dtype, n * m * P);
  fillBias(y, n, m, P, B);
  if (cg === 1) depthwise(x, wv, y, n, c, mg, g);
  else {
    const pointwise = isPointwise(g);
    const col = pointwise ? x : floatBuffer(X.dtype, K * P);
    for (let b = 0; b < n; b++) {
      for (let gi = 0; gi < group; gi++) {
        const xOff = (b * c + gi * cg) * I;
        if (!pointwise) im2col(x, xOff, cg, g, col);
        gemm(mg, P, K, wv, gi * mg * K, col, pointwise ? xOff : 0, y, (b * m + gi * mg) * P);
      }
    }
  }
  return floatTensor(X.dtype, [n, m, ...grid], y);
}

/** One input channel per group: every tap adds weight × a shifted input row into the output row. */
function depthwise(x: FloatArray, w: FloatArray, y: FloatArray, n: number, c: number, mg: number, g: Window3): void {
  const taps = tapCount(g), P = gridSize(g), I = imageSize(g), [oD, oH, oW] = g.grid, [, H, W] = g.image;
  const [sd, sh, sw] = g.strides;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < c * mg; oc++) {
      const xc = (b * c + Math.floor(oc / mg)) * I, yc = (b * c * mg + oc) * P;
      let tap = 0;
      for (let kd = 0; kd < g.kernel[0]; kd++) {
        const offD = kd * g.dilations[0] - g.padsBegin[0], [dLo, dHi] = validRange(oD, sd, offD, g.image[0]);
        for (let kh = 0; kh < g.kernel[1]; kh++) {
          const offH = kh * g.dilations[1] - g.padsBegin[1], [hLo, hHi] = validRange(oH, sh, offH, H);
          for (let kw = 0; kw < g.kernel[2]; kw++, tap++) {
            const offW = kw * g.dilations[2] - g.padsBegin[2], [wLo, wHi] = validRange(oW, sw, offW, W);
            const wt = w[oc * taps + tap]!;
            for (let od = dLo; od < dHi; od++) {
              for (let oh = hLo; oh < hHi; oh++) {
                const src = xc + ((od * sd + offD) * H + oh * sh + offH) * W + offW, dst = yc + (od * oH + oh) * oW;
                for (let ow = wLo; ow < wHi; ow++) y[dst + ow] += wt * x[src + ow * sw]!;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * ConvTranspose output size and pads (ONNX ConvTranspose doc): with output_shape the total padding is
 * stride·(in-1) + output_padding + span - out, split with the odd one at the end for SAME_UPPER, at the start
 * otherwise; SAME_* without output_shape makes out = in·stride; else out = stride·(in-1) + output_padding + span - pads.
 */
export function transposeGeometry(input: readonly number[], ctx: Pick<KernelContext, 'attrs'>, kernel: number[]): { image: number[]; padsBegin: number[]; padsEnd: number[]; w: ReturnType<typeof readWindowAttrs> } {
  const r = input.length, w = readWindowAttrs(ctx.attrs, r, kernel);
  const outPad = ctx.attrs.ints('output_padding') ?? new Array<number>(r).fill(0);
  const given = ctx.attrs.ints('output_shape');
  const image: number[] = [], padsBegin: number[] = [], padsEnd: number[] = [];
  for (let i = 0; i < r; i++) {
    const span = (w.kernel[i]! - 1) * w.dilations[i]! + 1, full = w.strides[i]! * (input[i]! - 1) + outPad[i]! + span;
    const same = w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER';
    if (given || same) {
      const out = given ? given[given.length - r + i]! : input[i]! * w.strides[i]!;
      const total = full - out, half = Math.floor(total / 2);
      image.push(out);
      padsBegin.push(w.autoPad === 'SAME_UPPER' ? half : total - half);
      padsEnd.push(w.autoPad === 'SAME_UPPER' ? total - half : half);
    } else {
      const pb = w.autoPad === 'VALID' ? 0 : w.pads[i]!, pe = w.autoPad === 'VALID' ? 0 : w.pads[i + r]!;
      image.push(full - pb - pe);
      padsBegin.push(pb);
      padsEnd.push(pe);
    }
  }
  return { image, padsBegin, padsEnd, w };
}

/** ConvTranspose per group: col = W_gᵀ [M/g·taps, C/g] · X_g [C/g, in positions], then col2im into the output. */
function convTranspose(X: Tensor, Wt: Tensor, B: Tensor | undefined, ctx: KernelContext): Tensor {
  const [n, c] = X.shape as [number, number], [wc, mg] = Wt.shape as [number, number];
  const group = ctx.attrs.int('group', 1), cg = c / group, m = mg * group;
  if (wc !== c || !Number.isInteger(cg)) throw new NeuropodError('INFERENCE_FAILED', `ConvTranspose: weights [${Wt.shape}] do not fit ${c} input channels in ${group} groups`);
  const input = X.shape.slice(2), { image, padsBegin, padsEnd, w } = transposeGeometry(input, ctx, Wt.shape.slice(2));
  const g = window3(image, input, w, padsBegin, padsEnd);
  const x = floatView(X), wv = floatView(Wt), P = gridSize(g), I = imageSize(g), rows = mg * tapCount(g);
  const wT = Array.from({ length: group }, (_, gi) => transpose2d(wv, gi * cg * rows, cg, rows, floatBuffer(X.dtype, cg * rows)));
  const y = floatBuffer(X.dtype, n * m * I), col = floatBuffer(X.dtype, rows * P);
  fillBias(y, n, m, I, B);
  for (let b = 0; b < n; b++) {
    for (let gi = 0; gi < group; gi++) {
      col.fill(0);
      gemm(rows, P, cg, wT[gi]!, 0, x, (b * c + gi * cg) * P, col, 0);
      col2im(col, 0, mg, g, y, (b * m + gi * mg) * I);
    }
  }
  return floatTensor(X.dtype, [n, m, ...image], y);
}

/** Bilinear sample of one image plane, zero outside (torchvision / ONNX DeformConv reference). */
function bilinear(x: FloatArray, off: number, H: number, W: number, h: number, w: number): number {
  if (h <= -1 || h >= H || w <= -1 || w >= W) return 0;
  const h0 = Math.floor(h), w0 = Math.floor(w), lh = h - h0, lw = w - w0;
  const at = (r: number, q: number) => (r >= 0 && r < H && q >= 0 && q < W ? x[off + r * W + q]! : 0);
  return (1 - lh) * ((1 - lw) * at(h0, w0) + lw * at(h0, w0 + 1)) + lh * ((1 - lw) * at(h0 + 1, w0) + lw * at(h0 + 1, w0 + 1));
}

/**
 * DeformConv (opset 19, 2-D): im2col where each tap samples at its grid position plus a learned offset
 * (offset channels are (Δh, Δw) pairs per tap per offset group), scaled by the optional mask, then the Conv GEMM.
 */
function deformConv(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'DeformConv'), Wt = tensorInput(inputs, 1, 'DeformConv'), O = tensorInput(inputs, 2, 'DeformConv');
  const B = optionalTensor(inputs, 3), Mk = optionalTensor(inputs, 4);
  if (X.rank !== 4) throw new NeuropodError('OP_UNSUPPORTED', `DeformConv supports 2-D images, got rank ${X.rank}`);
  const [n, c, H, W] = X.shape as [number, number, number, number], [m, cg, kH, kW] = Wt.shape as [number, number, number, number];
  const group = ctx.attrs.int('group', 1), og = ctx.attrs.int('offset_group', 1), mg = m / group, taps = kH * kW;
  const w = readWindowAttrs(ctx.attrs, 2, [kH, kW]);
  const { grid, padsBegin } = slideWindow([H, W], w);
  const [oH, oW] = grid as [number, number], P = oH * oW, K = cg * taps;
  const x = floatView(X), wv = floatView(Wt), off = floatView(O), mask = Mk ? floatView(Mk) : undefined;
  const y = floatBuffer(X.dtype, n * m * P), col = floatBuffer(X.dtype, K * P);
  fillBias(y, n, m, P, B);
  for (let b = 0; b < n; b++) {
    for (let gi = 0; gi < group; gi++) {
      for (let ci = 0; ci < cg; ci++) {
        const ch = gi * cg + ci, o = Math.floor(ch / (c / og)), plane = (b * c + ch) * H * W;
        for (let t = 0; t < taps; t++) {
          const kh = Math.floor(t / kW), kw = t % kW;
          const offBase = ((b * og + o) * 2 * taps + 2 * t) * P, maskBase = ((b * og + o) * taps + t) * P;
          for (let p = 0; p < P; p++) {
            const oh = Math.floor(p / oW), ow = p % oW;
            const h = oh * w.strides[0]! - padsBegin[0]! + kh * w.dilations[0]! + off[offBase + p]!;
            const q = ow * w.strides[1]! - padsBegin[1]! + kw * w.dilations[1]! + off[offBase + P + p]!;
            col[(ci * taps + t) * P + p] = bilinear(x, plane, H, W, h, q) * (mask ? mask[maskBase + p]! : 1);
          }
        }
      }
      gemm(mg, P, K, wv, gi * mg * K, col, 0, y, (b * m + gi * mg) * P);
    }
  }
  return floatTensor(X.dtype, [n, m, oH, oW], y);
}

/** The window attributes with kernel_shape defaulting to W's spatial dims, or undefined while those are unknown. */
function windowOf(ctx: Parameters<ShapeFn>[1], rank: number, w: Parameters<ShapeFn>[0][number]): ReturnType<typeof readWindowAttrs> | undefined {
  const kernel = ctx.attrs.ints('kernel_shape') ?? w?.dims?.slice(2);
  if (!kernel || !kernel.every((k): k is number => typeof k === 'number')) return undefined;
  return readWindowAttrs(ctx.attrs, rank, kernel);
}

/** Conv: Y is [N, M, out...] with out from the window (ONNX Conv doc: pads, strides, dilations, auto_pad). */
export const convShape: ShapeFn = (inputs, ctx) => {
  const [x, w] = inputs;
  if (!x?.dims) return [{ dtype: x?.dtype }];
  const r = x.dims.length - 2, window = windowOf(ctx, r, w);
  return [{ dtype: x.dtype, dims: [x.dims[0]!, w?.dims?.[0] ?? null, ...(window ? slidingDims(x.dims.slice(2), window) : unknownDims(r))] }];
};

/** ConvTranspose: Y is [N, W[1]·group, out...], out from output_shape or the transposeGeometry formula. */
const convTransposeShape: ShapeFn = (inputs, ctx) => {
  const [x, w] = inputs;
  if (!x?.dims) return [{ dtype: x?.dtype }];
  const r = x.dims.length - 2, group = ctx.attrs.int('group', 1), m = w?.dims?.[1];
  const image = x.dims.slice(2), kernel = ctx.attrs.ints('kernel_shape') ?? w?.dims?.slice(2);
  const known = image.every((d): d is number => typeof d === 'number') && kernel?.every((k): k is number => typeof k === 'number');
  const spatial = known ? transposeGeometry(image as number[], ctx, kernel as number[]).image : unknownDims(r);
  return [{ dtype: x.dtype, dims: [x.dims[0]!, typeof m === 'number' ? m * group : null, ...spatial] }];
};

const CONV_SHAPES: ShapeTable = {
  Conv: convShape,
  ConvTranspose: convTransposeShape,
  // DeformConv: the offsets already have the output's spatial dims.
  DeformConv: (inputs) => [{ dtype: inputs[0]?.dtype, dims: inputs[0]?.dims && inputs[2]?.dims ? [inputs[0].dims[0]!, inputs[1]?.dims?.[0] ?? null, ...inputs[2].dims.slice(2)] : undefined }],
};

export const convKernels: KernelDef[] = withShapes([
  { op: 'Conv', run: (inputs, ctx) => [conv(tensorInput(inputs, 0, 'Conv'), tensorInput(inputs, 1, 'Conv'), optionalTensor(inputs, 2), ctx)] },
  { op: 'ConvTranspose', run: (inputs, ctx) => [convTranspose(tensorInput(inputs, 0, 'ConvTranspose'), tensorInput(inputs, 1, 'ConvTranspose'), optionalTensor(inputs, 2), ctx)] },
  { op: 'DeformConv', since: 19, run: (inputs, ctx) => [deformConv(inputs, ctx)] },
], CONV_SHAPES);
