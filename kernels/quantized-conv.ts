/**
 * The integer convolution under QLinearConv and ConvInteger: N-d, grouped, with the Conv attributes (auto_pad,
 * pads, strides, dilations; ONNX Operators.md Conv). Zero points are subtracted first (w's per output channel),
 * sums are exact in float64.
 */
import { NeuropodError } from '../src/api/errors.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { quantizedValues as valuesOf } from './linear-quantization.js';
import type { KernelContext } from './registry.js';
import { toNumbers } from './elements.js';

export interface ConvGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  out: number[];
}

/** Output sizes and leading pads for input spatial dims `input` (ONNX Conv/AveragePool auto_pad and ceil_mode rules). */
export function convGeometry(input: readonly number[], kernel: number[], ctx: KernelContext): ConvGeometry {
  const d = input.length;
  const strides = ctx.attrs.ints('strides', new Array<number>(d).fill(1));
  const dilations = ctx.attrs.ints('dilations', new Array<number>(d).fill(1));
  const pads = ctx.attrs.ints('pads', new Array<number>(2 * d).fill(0));
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  const ceil = ctx.attrs.int('ceil_mode', 0) !== 0;
  const padsBegin: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < d; i++) {
    const span = dilations[i]! * (kernel[i]! - 1) + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const o = Math.ceil(input[i]! / strides[i]!);
      const total = Math.max(0, (o - 1) * strides[i]! + span - input[i]!);
      padsBegin.push(autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2));
      out.push(o);
    } else {
      const [b, e] = autoPad === 'VALID' ? [0, 0] : [pads[i]!, pads[i + d]!];
      padsBegin.push(b);
      // ceil_mode (pools): a last, partial window counts if it starts inside the input or its leading pad.
      let o = Math[ceil ? 'ceil' : 'floor']((input[i]! + b + e - span) / strides[i]!) + 1;
      if (ceil && (o - 1) * strides[i]! >= input[i]! + b) o--;
      out.push(o);
    }
  }
  return { kernel, strides, dilations, padsBegin, out };
}


/** For each output position (flat) and kernel position (flat), the input offset within one channel, or -1 in padding. */
export function gatherOffsets(inShape: readonly number[], g: ConvGeometry): Int32Array {
  const d = inShape.length;
  const outSize = sizeOf(g.out);
  const kSize = sizeOf(g.kernel);
  const offsets = new Int32Array(outSize * kSize);
  const o = new Array<number>(d).fill(0);
  for (let op = 0; op < outSize; op++) {
    let rem = op;
    for (let i = d - 1; i >= 0; i--) { o[i] = rem % g.out[i]!; rem = Math.floor(rem / g.out[i]!); }
    for (let kp = 0; kp < kSize; kp++) {
      let r = kp;
      let off = 0;
      let inside = true;
      for (let i = d - 1, stride = 1; i >= 0; i--) {
        const k = r % g.kernel[i]!;
        r = Math.floor(r / g.kernel[i]!);
        const pos = o[i]! * g.strides[i]! - g.padsBegin[i]! + k * g.dilations[i]!;
        if (pos < 0 || pos >= inShape[i]!) inside = false;
        off += pos * stride;
        stride *= inShape[i]!;
      }
      offsets[op * kSize + kp] = inside ? off : -1;
    }
  }
  return offsets;
}

/** sum over (c, k) of (x - x_zp) * (w - w_zp[m]) + bias[m], shape [N, M, ...out]. */
export function convolveIntegers(x: Tensor, xZp: Tensor | undefined, w: Tensor, wZp: Tensor | undefined, bias: Tensor | undefined, ctx: KernelContext): { shape: number[]; values: Float64Array } {
  const [n, c] = x.shape as [number, number];
  const m = w.shape[0]!;
  const group = ctx.attrs.int('group', 1);
  const cg = w.shape[1]!;
  if (cg * group !== c) throw new NeuropodError('INFERENCE_FAILED', `weights take ${cg} channels a group but the input has ${c} over ${group} groups`);
  const inSpatial = x.shape.slice(2);
  const g = convGeometry(inSpatial, ctx.attrs.ints('kernel_shape', w.shape.slice(2)), ctx);
  const xv = valuesOf(x);
  const xz = xZp ? valuesOf(xZp)[0]! : 0;
  for (let i = 0; i < xv.length; i++) xv[i] -= xz;
  const wv = valuesOf(w);
  const wz = wZp ? valuesOf(wZp) : undefined;
  const kSize = sizeOf(g.kernel);
  if (wz) for (let i = 0; i < wv.length; i++) wv[i] -= wz[wz.length === 1 ? 0 : Math.floor(i / (cg * kSize))]!;
  const bv = bias ? toNumbers(bias) : undefined;
  const offsets = gatherOffsets(inSpatial, g);
  const inSize = sizeOf(inSpatial);
  const outSize = sizeOf(g.out);
  const y = new Float64Array(n * m * outSize);
  const mg = m / group;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < m; oc++) {
      const firstC = Math.floor(oc / mg) * cg;
      for (let op = 0; op < outSize; op++) {
        let sum = bv ? bv[oc]! : 0;
        for (let ci = 0; ci < cg; ci++) {
          const xBase = (b * c + firstC + ci) * inSize;
          const wBase = (oc * cg + ci) * kSize;
          for (let kp = 0; kp < kSize; kp++) {
            const off = offsets[op * kSize + kp]!;
            if (off >= 0) sum += xv[xBase + off]! * wv[wBase + kp]!;
          }
        }
        y[(b * m + oc) * outSize + op] = sum;
      }
    }
  }
  return { shape: [n, m, ...g.out], values: y };
}
