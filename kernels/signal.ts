import { NeuropodError } from '../src/api/errors.js';
import { dtypeFromOnnx, type DType } from '../src/tensor/dtype.js';
import { sizeOf, type Tensor } from '../src/tensor/tensor.js';
import { fromNumbers, optionalTensor, tensorInput, toNumbers } from './elements.js';
import { floatBuffer, floatTensor, floatView } from './float-data.js';
import { normalizeAxis } from './indexing.js';
import type { ShapeFn, KernelContext, KernelDef } from './registry.js';
import { axisOf, intsOperand, knownInts, withShapes } from './shape-rules.js';
import type { Dim } from '../src/graph/ir.js';

type Inputs = Parameters<KernelDef['run']>[0];

/** cos/sin of 2πt/n for t in [0, n): a DFT of length n only ever needs these angles (index j·k mod n). */
function twiddles(n: number): [Float64Array, Float64Array] {
  const cos = new Float64Array(n), sin = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    cos[t] = Math.cos((2 * Math.PI * t) / n);
    sin[t] = Math.sin((2 * Math.PI * t) / n);
  }
  return [cos, sin];
}

/**
 * X[k] = Σ_j x[j]·e^(∓2πi·jk/n) for k < bins (sign - forward, + inverse), written to out as (re, im) pairs.
 * A direct O(n·bins) sum: exact enough for the reference path and valid for every length.
 */
function dftLine(re: Float64Array, im: Float64Array, n: number, bins: number, inverse: boolean, tw: [Float64Array, Float64Array], out: Float64Array): void {
  const [cos, sin] = tw, sign = inverse ? 1 : -1, scale = inverse ? 1 / n : 1;
  for (let k = 0; k < bins; k++) {
    let sr = 0, si = 0;
    for (let j = 0, t = 0; j < n; j++, t = (t + k) % n) {
      const c = cos[t]!, s = sign * sin[t]!;
      sr += re[j]! * c - im[j]! * s;
      si += re[j]! * s + im[j]! * c;
    }
    out[2 * k] = sr * scale;
    out[2 * k + 1] = si * scale;
  }
}

/**
 * DFT. Input [..., signal dims, 1 | 2] (real or complex); the transform runs along `axis` (attribute at opset 17,
 * input from opset 20 with negative values counted on the full rank). dft_length pads with zeros or truncates.
 * onesided keeps bins [0, n/2] of a forward transform; an inverse onesided transform reads a half spectrum,
 * rebuilds the rest by conjugate symmetry and returns the real signal (length dft_length, default 2·(bins - 1)).
 */
function dft(inputs: Inputs, ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'DFT'), lengthT = optionalTensor(inputs, 1), axisT = optionalTensor(inputs, 2);
  const inverse = ctx.attrs.int('inverse', 0) === 1, onesided = ctx.attrs.int('onesided', 0) === 1;
  const rawAxis = ctx.opset >= 20 ? (axisT ? toNumbers(axisT)[0]! : -2) : ctx.attrs.int('axis', 1);
  const axis = normalizeAxis(rawAxis, X.rank);
  if (axis === X.rank - 1) throw new NeuropodError('INFERENCE_FAILED', `DFT: axis ${rawAxis} names the real/imaginary dim`);
  const complexIn = X.shape[X.rank - 1] === 2, inLen = X.shape[axis]!;
  const halfInverse = inverse && onesided;
  const n = lengthT ? toNumbers(lengthT)[0]! : halfInverse ? 2 * (inLen - 1) : inLen;
  const bins = halfInverse ? n : onesided ? Math.floor(n / 2) + 1 : n;
  const outer = sizeOf(X.shape.slice(0, axis)), inner = sizeOf(X.shape.slice(axis + 1, -1));
  const x = floatView(X), tw = twiddles(n), re = new Float64Array(n), im = new Float64Array(n), line = new Float64Array(2 * n);
  const channels = halfInverse ? 1 : 2, y = floatBuffer(X.dtype, outer * bins * inner * channels);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      re.fill(0);
      im.fill(0);
      for (let j = 0; j < Math.min(inLen, n); j++) {
        const at = ((o * inLen + j) * inner + i) * (complexIn ? 2 : 1);
        re[j] = x[at]!;
        im[j] = complexIn ? x[at + 1]! : 0;
      }
      if (halfInverse) for (let j = Math.min(inLen, n); j < n; j++) [re[j], im[j]] = [re[n - j]!, -im[n - j]!];
      dftLine(re, im, n, bins, inverse, tw, line);
      for (let k = 0; k < bins; k++) for (let ch = 0; ch < channels; ch++) y[((o * bins + k) * inner + i) * channels + ch] = line[2 * k + ch]!;
    }
  }
  return floatTensor(X.dtype, [...X.shape.slice(0, axis), bins, ...X.shape.slice(axis + 1, -1), channels], y);
}

/**
 * STFT (opset 17): signal [batch, length, 1 | 2]; frames of frame_length every frame_step, each multiplied by
 * the window and transformed (onesided default 1). Output [batch, frames, bins, 2].
 */
function stft(inputs: Inputs, ctx: KernelContext): Tensor {
  const S = tensorInput(inputs, 0, 'STFT'), step = toNumbers(tensorInput(inputs, 1, 'STFT'))[0]!;
  const W = optionalTensor(inputs, 2), L = optionalTensor(inputs, 3);
  const frameLength = L ? toNumbers(L)[0]! : W ? W.size : NaN;
  if (!Number.isInteger(frameLength)) throw new NeuropodError('INFERENCE_FAILED', `STFT needs a window or a frame_length`);
  const onesided = ctx.attrs.int('onesided', 1) === 1;
  const [batch, length] = S.shape as [number, number], complexIn = S.shape[2] === 2;
  const frames = Math.floor((length - frameLength) / step) + 1, bins = onesided ? Math.floor(frameLength / 2) + 1 : frameLength;
  const s = floatView(S), win = W ? toNumbers(W) : undefined, tw = twiddles(frameLength);
  const re = new Float64Array(frameLength), im = new Float64Array(frameLength), line = new Float64Array(2 * frameLength);
  const y = floatBuffer(S.dtype, batch * frames * bins * 2);
  for (let b = 0; b < batch; b++) {
    for (let f = 0; f < frames; f++) {
      for (let j = 0; j < frameLength; j++) {
        const at = (b * length + f * step + j) * (complexIn ? 2 : 1), w = win ? win[j]! : 1;
        re[j] = s[at]! * w;
        im[j] = complexIn ? s[at + 1]! * w : 0;
      }
      dftLine(re, im, frameLength, bins, false, tw, line);
      y.set(line.subarray(0, 2 * bins), (b * frames + f) * bins * 2);
    }
  }
  return floatTensor(S.dtype, [batch, frames, bins, 2], y);
}

/** output_datatype (an ONNX TensorProto enum, default float). */
function outputDType(ctx: Pick<KernelContext, 'attrs'>): DType {
  const code = ctx.attrs.int('output_datatype', 1), dtype = dtypeFromOnnx(code);
  if (!dtype) throw new NeuropodError('MODEL_INVALID', `output_datatype ${code} is not a known data type`);
  return dtype;
}

/** Generalized cosine windows w[t] = Σ a_m·cos(2πmt/N) with N = size (periodic) or size - 1 (symmetric). */
const WINDOWS: Record<string, number[]> = {
  HannWindow: [0.5, -0.5],
  HammingWindow: [25 / 46, -21 / 46],
  BlackmanWindow: [0.42, -0.5, 0.08],
};

function cosineWindow(op: string, inputs: Inputs, ctx: KernelContext): Tensor {
  const size = toNumbers(tensorInput(inputs, 0, op))[0]!, periodic = ctx.attrs.int('periodic', 1) === 1;
  const N = periodic ? size : size - 1, coeffs = WINDOWS[op]!;
  const w = Float64Array.from({ length: size }, (_, t) => coeffs.reduce((acc, a, m) => acc + a * Math.cos((2 * Math.PI * m * t) / N), 0));
  return fromNumbers(outputDType(ctx), [size], w);
}

const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

/**
 * MelWeightMatrix [dft_length/2 + 1, num_mel_bins]: triangles between mel_bins + 2 band edges, each edge taken
 * to the DFT bin floor((dft_length + 1)·hz / sample_rate). As in the ONNX reference implementation the edges are
 * spaced (high - low mel) / (mel_bins + 2) apart, so the last edge stops short of upper_edge_hertz.
 */
function melWeightMatrix(inputs: Inputs, ctx: KernelContext): Tensor {
  const [mels, dftLength, rate, lowHz, highHz] = [0, 1, 2, 3, 4].map((i) => toNumbers(tensorInput(inputs, i, 'MelWeightMatrix'))[0]!) as [number, number, number, number, number];
  const spectrum = Math.floor(dftLength / 2) + 1, lowMel = hzToMel(lowHz), step = (hzToMel(highHz) - lowMel) / (mels + 2);
  const edges = Array.from({ length: mels + 2 }, (_, i) => Math.floor(((dftLength + 1) * melToHz(i * step + lowMel)) / rate));
  const out = new Float64Array(spectrum * mels);
  for (let m = 0; m < mels; m++) {
    const [lo, center, hi] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
    if (center === lo) out[center * mels + m] = 1;
    else for (let j = lo; j <= center; j++) out[j * mels + m] = (j - lo) / (center - lo);
    for (let j = center; j < hi; j++) out[j * mels + m] = (hi - j) / (hi - center);
  }
  return fromNumbers(outputDType(ctx), [spectrum, mels], out);
}

/** DFT's output as the kernel makes it: the axis becomes the bin count, the last dim 2 (1 for a onesided inverse). */
const dftShape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  if (!x?.dims) return [{ dtype: x?.dtype }];
  const axisGiven = ctx.opset >= 20 ? knownInts(intsOperand(inputs, ctx, 2, 'axis', 20))?.[0] ?? ((ctx.node.inputs[2] ?? '') === '' ? -2 : undefined) : ctx.attrs.int('axis', 1);
  if (axisGiven === undefined) return [{ dtype: x.dtype, dims: x.dims.map(() => null) }];
  const axis = axisOf(axisGiven, x.dims.length), inLen = x.dims[axis]!;
  const inverse = ctx.attrs.int('inverse', 0) === 1, onesided = ctx.attrs.int('onesided', 0) === 1, halfInverse = inverse && onesided;
  const given = (ctx.node.inputs[1] ?? '') === '' ? undefined : knownInts(intsOperand(inputs, ctx, 1, 'dft_length', 1))?.[0] ?? null;
  const n: Dim = given !== undefined ? given : halfInverse ? (typeof inLen === 'number' ? 2 * (inLen - 1) : null) : inLen;
  const bins: Dim = halfInverse || !onesided ? n : typeof n === 'number' ? Math.floor(n / 2) + 1 : null;
  return [{ dtype: x.dtype, dims: [...x.dims.slice(0, axis), bins, ...x.dims.slice(axis + 1, -1), halfInverse ? 1 : 2] }];
};

/** STFT: [batch, frames, bins, 2], frames = floor((length - frame_length) / step) + 1. */
const stftShape: ShapeFn = (inputs, ctx) => {
  const s = inputs[0], step = knownInts(intsOperand(inputs, ctx, 1, 'frame_step', 1))?.[0];
  const frame = knownInts(intsOperand(inputs, ctx, 3, 'frame_length', 1))?.[0] ?? (inputs[2]?.dims?.length === 1 ? inputs[2].dims[0] : null);
  const length = s?.dims?.[1], onesided = ctx.attrs.int('onesided', 1) === 1;
  const frames = typeof length === 'number' && typeof frame === 'number' && step ? Math.floor((length - frame) / step) + 1 : null;
  const bins = typeof frame === 'number' ? (onesided ? Math.floor(frame / 2) + 1 : frame) : null;
  return [{ dtype: s?.dtype, dims: [s?.dims?.[0] ?? null, frames, bins, 2] }];
};

const SIGNAL_SHAPES = {
  DFT: dftShape,
  STFT: stftShape,
  ...Object.fromEntries(Object.keys(WINDOWS).map((op) => [op, ((inputs, ctx) => [{ dtype: outputDType(ctx), dims: [inputs[0]?.elements?.[0] ?? null] }]) as ShapeFn])),
  MelWeightMatrix: ((inputs, ctx) => {
    const dft = inputs[1]?.elements?.[0];
    return [{ dtype: outputDType(ctx), dims: [typeof dft === 'number' ? Math.floor(dft / 2) + 1 : null, inputs[0]?.elements?.[0] ?? null] }];
  }) as ShapeFn,
};

export const signalKernels: KernelDef[] = withShapes([
  { op: 'DFT', since: 17, run: (inputs, ctx) => [dft(inputs, ctx)] },
  { op: 'STFT', since: 17, run: (inputs, ctx) => [stft(inputs, ctx)] },
  ...Object.keys(WINDOWS).map((op): KernelDef => ({ op, since: 17, run: (inputs, ctx) => [cosineWindow(op, inputs, ctx)] })),
  { op: 'MelWeightMatrix', since: 17, run: (inputs, ctx) => [melWeightMatrix(inputs, ctx)] },
], SIGNAL_SHAPES);
