/**
 * Sliding-window geometry shared by Conv, ConvTranspose, the pools and Col2Im: output sizes and pads from the
 * ONNX attributes (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode), and im2col / col2im on it.
 * Spatial ranks 1 to 3 are handled as 3-D with leading unit dims, so one loop nest serves every rank.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { AttributeReader } from '../src/graph/attributes.js';
import type { FloatArray } from './float-data.js';

/** A window walk over a 3-D image; `grid` is the output of Conv/pool (the input of ConvTranspose). */
export interface Window3 {
  image: [number, number, number];
  grid: [number, number, number];
  kernel: [number, number, number];
  strides: [number, number, number];
  dilations: [number, number, number];
  padsBegin: [number, number, number];
  padsEnd: [number, number, number];
}

export interface WindowAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] as ONNX stores them. */
  pads: number[];
  autoPad: string;
  ceilMode: boolean;
}

/** The window attributes of a node with `rank` spatial dims; `kernel` defaults to what the weights say. */
export function readWindowAttrs(attrs: AttributeReader, rank: number, kernel?: number[]): WindowAttrs {
  const k = attrs.ints('kernel_shape') ?? kernel;
  if (!k) throw new NeuropodError('MODEL_INVALID', `the node lacks kernel_shape`);
  return {
    kernel: k,
    strides: attrs.ints('strides') ?? new Array<number>(rank).fill(1),
    dilations: attrs.ints('dilations') ?? new Array<number>(rank).fill(1),
    pads: attrs.ints('pads') ?? new Array<number>(2 * rank).fill(0),
    autoPad: attrs.string('auto_pad', 'NOTSET'),
    ceilMode: attrs.int('ceil_mode', 0) !== 0,
  };
}

/**
 * Output sizes and pads (ONNX Conv / MaxPool docs). SAME_*: output = ceil(in / stride), the total pad split
 * evenly with the odd one at the end (UPPER) or the start (LOWER). ceil_mode rounds the output up, but a last
 * window that would start in the end padding is dropped (the rule the opset-19 reference and PyTorch follow).
 */
export function slideWindow(image: readonly number[], w: WindowAttrs): { grid: number[]; padsBegin: number[]; padsEnd: number[] } {
  const r = image.length;
  const grid: number[] = [], padsBegin: number[] = [], padsEnd: number[] = [];
  for (let i = 0; i < r; i++) {
    const span = (w.kernel[i]! - 1) * w.dilations[i]! + 1, s = w.strides[i]!, n = image[i]!;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
      const out = Math.ceil(n / s), total = Math.max(0, (out - 1) * s + span - n);
      const small = Math.floor(total / 2);
      grid.push(out);
      padsBegin.push(w.autoPad === 'SAME_UPPER' ? small : total - small);
      padsEnd.push(w.autoPad === 'SAME_UPPER' ? total - small : small);
      continue;
    }
    const pb = w.autoPad === 'VALID' ? 0 : w.pads[i]!, pe = w.autoPad === 'VALID' ? 0 : w.pads[i + r]!;
    const room = n + pb + pe - span;
    let out = (w.ceilMode ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
    if (w.ceilMode && (out - 1) * s >= n + pb) out--;
    grid.push(Math.max(0, out));
    padsBegin.push(pb);
    padsEnd.push(pe);
  }
  return { grid, padsBegin, padsEnd };
}

function to3(values: readonly number[], fill: number): [number, number, number] {
  if (values.length > 3) throw new NeuropodError('OP_UNSUPPORTED', `windows over ${values.length} spatial dims are not supported (1 to 3 are)`);
  const out = [fill, fill, fill] as [number, number, number];
  for (let i = 0; i < values.length; i++) out[3 - values.length + i] = values[i]!;
  return out;
}

export function window3(image: readonly number[], grid: readonly number[], w: Pick<WindowAttrs, 'kernel' | 'strides' | 'dilations'>, padsBegin: readonly number[], padsEnd: readonly number[]): Window3 {
  return {
    image: to3(image, 1), grid: to3(grid, 1), kernel: to3(w.kernel, 1), strides: to3(w.strides, 1), dilations: to3(w.dilations, 1),
    padsBegin: to3(padsBegin, 0), padsEnd: to3(padsEnd, 0),
  };
}

/** The grid positions o in [lo, hi) whose tap o·stride + offset lands inside [0, size). */
export function validRange(gridSize: number, stride: number, offset: number, size: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-offset / stride));
  const hi = Math.min(gridSize, Math.ceil((size - offset) / stride));
  return [lo, Math.max(lo, hi)];
}

/**
 * Visits, for every kernel tap and every grid row (d, h) with the tap inside the image, the image row offset,
 * the grid row offset, and the valid w range. Both im2col and col2im are this walk with a different copy.
 */
function walkTaps(g: Window3, visit: (tap: number, imageRow: number, gridRow: number, wLo: number, wHi: number, wOffset: number) => void): void {
  const [D, H, W] = g.image, [oD, oH, oW] = g.grid;
  let tap = 0;
  for (let kd = 0; kd < g.kernel[0]; kd++) {
    const offD = kd * g.dilations[0] - g.padsBegin[0];
    const [dLo, dHi] = validRange(oD, g.strides[0], offD, D);
    for (let kh = 0; kh < g.kernel[1]; kh++) {
      const offH = kh * g.dilations[1] - g.padsBegin[1];
      const [hLo, hHi] = validRange(oH, g.strides[1], offH, H);
      for (let kw = 0; kw < g.kernel[2]; kw++, tap++) {
        const offW = kw * g.dilations[2] - g.padsBegin[2];
        const [wLo, wHi] = validRange(oW, g.strides[2], offW, W);
        for (let od = dLo; od < dHi; od++) {
          const id = od * g.strides[0] + offD;
          for (let oh = hLo; oh < hHi; oh++) visit(tap, (id * H + oh * g.strides[1] + offH) * W, (od * oH + oh) * oW, wLo, wHi, offW);
        }
      }
    }
  }
}

export function tapCount(g: Window3): number {
  return g.kernel[0] * g.kernel[1] * g.kernel[2];
}

export function imageSize(g: Window3): number {
  return g.image[0] * g.image[1] * g.image[2];
}

export function gridSize(g: Window3): number {
  return g.grid[0] * g.grid[1] * g.grid[2];
}

/** col[(c·taps + tap) × grid] = the image value each tap sees (0 in the padding); `col` must arrive zeroed. */
export function im2col(x: FloatArray, xOff: number, channels: number, g: Window3, col: FloatArray): void {
  const taps = tapCount(g), P = gridSize(g), I = imageSize(g), sw = g.strides[2];
  for (let c = 0; c < channels; c++) {
    const xc = xOff + c * I;
    walkTaps(g, (tap, imageRow, gridRow, wLo, wHi, offW) => {
      const dst = (c * taps + tap) * P + gridRow, src = xc + imageRow + offW;
      for (let ow = wLo; ow < wHi; ow++) col[dst + ow] = x[src + ow * sw]!;
    });
  }
}

/** The adjoint of im2col: adds every col entry into the image position its tap covers. */
export function col2im(col: FloatArray, colOff: number, channels: number, g: Window3, y: FloatArray, yOff: number): void {
  const taps = tapCount(g), P = gridSize(g), I = imageSize(g), sw = g.strides[2];
  for (let c = 0; c < channels; c++) {
    const yc = yOff + c * I;
    walkTaps(g, (tap, imageRow, gridRow, wLo, wHi, offW) => {
      const src = colOff + (c * taps + tap) * P + gridRow, dst = yc + imageRow + offW;
      for (let ow = wLo; ow < wHi; ow++) y[dst + ow * sw] += col[src + ow]!;
    });
  }
}
