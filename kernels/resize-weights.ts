/**
 * One resized axis as taps: for each output coordinate, which input elements it reads and with what weights,
 * following onnx/reference/ops/op_resize.py `_interpolate_1d_with_x`: the coordinate transform gives x_ori; the
 * taps are the `n` input indices nearest x_ori (ties to the lower one, so the fraction is in (0, 1]), read with
 * edge clamping; exclude_outside zeroes taps off the axis and renormalizes.
 */
import { NeuropodError } from '../src/api/errors.js';

export interface AxisPlan {
  inSize: number;
  outSize: number;
  /** The scale the coordinate transform divides by: the given scale, or out/in when sizes were given. */
  scale: number;
  roiStart: number;
  roiEnd: number;
}

export interface ResizeOptions {
  mode: 'nearest' | 'linear' | 'cubic';
  transform: string;
  /** ONNX nearest_mode, or 'legacy' (Upsample / Resize-10: floor). */
  nearestMode: string;
  cubicA: number;
  excludeOutside: boolean;
  extrapolationValue: number;
  antialias: boolean;
}

export interface AxisWeights {
  taps: number;
  index: Int32Array;
  weight: Float64Array;
  /** 1 where tf_crop_and_resize maps outside the input: the output is extrapolation_value. */
  outside: Uint8Array;
}

/** x_ori for output coordinate x; `width` is scale·inSize (a float, as in the reference). */
const TRANSFORMS: Record<string, (x: number, p: AxisPlan, width: number) => number> = {
  half_pixel: (x, p) => (x + 0.5) / p.scale - 0.5,
  half_pixel_symmetric: (x, p, width) => (p.inSize / 2) * (1 - p.outSize / width) + (x + 0.5) / p.scale - 0.5,
  pytorch_half_pixel: (x, p, width) => (width === 1 ? -0.5 : (x + 0.5) / p.scale - 0.5),
  align_corners: (x, p, width) => (width === 1 ? 0 : (x * (p.inSize - 1)) / (width - 1)),
  asymmetric: (x, p) => x / p.scale,
  tf_crop_and_resize: (x, p, width) =>
    (width === 1 ? ((p.roiEnd - p.roiStart) * (p.inSize - 1)) / 2 : (x * (p.roiEnd - p.roiStart) * (p.inSize - 1)) / (width - 1)) + p.roiStart * (p.inSize - 1),
};

/** Nearest picks one of the two taps around x_ori by the fraction `r` in (0, 1). */
const NEAREST: Record<string, (r: number) => boolean> = {
  round_prefer_floor: (r) => r > 0.5,
  round_prefer_ceil: (r) => r >= 0.5,
  floor: () => false,
  ceil: () => true,
  legacy: () => false,
};

/** Keys cubic convolution kernel (cubic_coeff_a = A). */
function cubicKernel(x: number, a: number): number {
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

const triangle = (x: number): number => Math.max(0, 1 - Math.abs(x));

/**
 * The weights of taps start..start+n-1 (relative to the tap left of x_ori) for fraction r. Antialiasing widens
 * the kernel by 1/scale when downscaling and normalizes it.
 */
function coefficients(r: number, p: AxisPlan, o: ResizeOptions): { start: number; w: number[] } {
  if (o.mode === 'nearest') {
    if (r === 1) return { start: 0, w: [0, 1] };
    const nearest = NEAREST[o.nearestMode];
    if (!nearest) throw new NeuropodError('INFERENCE_FAILED', `Resize: unknown nearest_mode '${o.nearestMode}'`);
    return { start: 0, w: nearest(r) ? [0, 1] : [1, 0] };
  }
  const s = o.antialias ? Math.min(p.scale, 1) : 1;
  const [support, kernel] = o.mode === 'linear' ? [1, triangle] : [2, (x: number) => cubicKernel(x, o.cubicA)];
  const start = Math.floor(-support / s) + 1;
  const w: number[] = [];
  for (let i = start; i < 1 - start + 1; i++) w.push(kernel(s * (i - r)));
  if (o.antialias) normalize(w);
  return { start, w };
}

function normalize(w: number[]): void {
  const sum = w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < w.length; i++) w[i]! /= sum;
}

export function axisWeights(p: AxisPlan, o: ResizeOptions): AxisWeights {
  const transform = TRANSFORMS[o.transform];
  if (!transform) throw new NeuropodError('INFERENCE_FAILED', `Resize: unknown coordinate_transformation_mode '${o.transform}'`);
  const width = p.scale * p.inSize;
  let taps = 0;
  const rows: { index: number[]; w: number[] }[] = [];
  const outside = new Uint8Array(p.outSize);
  for (let x = 0; x < p.outSize; x++) {
    const xo = transform(x, p, width);
    if (o.transform === 'tf_crop_and_resize' && (xo < 0 || xo > p.inSize - 1)) {
      outside[x] = 1;
      rows.push({ index: [], w: [] });
      continue;
    }
    const integer = Number.isInteger(xo);
    const left = integer ? xo - 1 : Math.floor(xo);
    const { start, w } = coefficients(integer ? 1 : xo - left, p, o);
    const index = w.map((_, i) => left + start + i);
    if (o.excludeOutside) {
      index.forEach((j, i) => (j < 0 || j >= p.inSize) && (w[i] = 0));
      normalize(w);
    }
    taps = Math.max(taps, w.length);
    rows.push({ index: index.map((j) => Math.min(Math.max(j, 0), p.inSize - 1)), w });
  }
  const index = new Int32Array(p.outSize * taps);
  const weight = new Float64Array(p.outSize * taps);
  rows.forEach((row, x) => {
    index.set(row.index, x * taps);
    weight.set(row.w, x * taps);
  });
  return { taps, index, weight, outside };
}
