/**
 * Pad (ONNX Operators.md): pads as the `pads` attribute (`paddings` at opset 1) before opset 11, as an input from
 * 11, with an `axes` input from 18 and `wrap` mode from 19. Negative pads crop first; the positive ones then
 * grow the cropped tensor, so reflect/edge/wrap read the cropped data (as the ONNX reference does).
 */
import { NeuropodError } from '../src/api/errors.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { optionalTensor, tensorInput, toIndices } from './elements.js';
import { rawOf } from './element-values.js';
import { normalizeAxis, stridesOf } from './indexing.js';
import { FILL, indexMap, takeByMap, zeroOf, type RawElement } from './layout.js';
import type { KernelContext, KernelDef } from './registry.js';

export type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/** Where a coordinate outside [0, n) reads from, or FILL for constant padding. */
const OUTSIDE: Record<PadMode, (j: number, n: number) => number> = {
  constant: () => FILL,
  edge: (j, n) => Math.min(Math.max(j, 0), n - 1),
  wrap: (j, n) => ((j % n) + n) % n,
  reflect: (j, n) => {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    const m = ((j % period) + period) % period;
    return m < n ? m : period - m;
  },
};

/** `x` padded by `begin[d]`/`end[d]` elements on each axis d. */
export function padTensor(x: Tensor, begin: readonly number[], end: readonly number[], mode: PadMode, fill: RawElement = zeroOf(x)): Tensor {
  const strides = stridesOf(x.shape);
  const lo = begin.map((b) => Math.max(0, -b));
  const kept = x.shape.map((d, i) => d - lo[i]! - Math.max(0, -end[i]!));
  const before = begin.map((b) => Math.max(0, b));
  const outShape = kept.map((k, i) => k + before[i]! + Math.max(0, end[i]!));
  const negative = outShape.findIndex((d) => d < 0);
  if (negative >= 0) {
    throw new NeuropodError('INFERENCE_FAILED', `Pad: pads ${begin[negative]} and ${end[negative]} on axis ${negative} crop more than its ${x.shape[negative]} elements`);
  }
  if (mode !== 'constant' && kept.some((k, i) => k <= 0 && outShape[i]! > 0)) {
    throw new NeuropodError('INFERENCE_FAILED', `Pad: ${mode} padding needs a non-empty axis`);
  }
  const outside = OUTSIDE[mode];
  const map = indexMap(outShape, (idx) => {
    let s = 0;
    for (let d = 0; d < idx.length; d++) {
      let j = idx[d]! - before[d]!;
      if (j < 0 || j >= kept[d]!) j = outside(j, kept[d]!);
      if (j === FILL) return FILL;
      s += (lo[d]! + j) * strides[d]!;
    }
    return s;
  });
  return takeByMap(x, map, outShape, fill);
}

function padMode(ctx: KernelContext): PadMode {
  const mode = ctx.attrs.string('mode', 'constant');
  if (!(mode in OUTSIDE)) throw new NeuropodError('INFERENCE_FAILED', `Pad: unknown mode '${mode}'`);
  return mode as PadMode;
}

/** Pad's begin/end per axis, mode and fill value, read as its opset defines them (shared with the wasm Pad). */
export function padArguments(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): { x: Tensor; begin: number[]; end: number[]; mode: PadMode; fill: RawElement } {
  const x = tensorInput(inputs, 0, 'Pad');
  let pads: number[];
  let fill: RawElement;
  if (ctx.opset >= 11) {
    pads = toIndices(tensorInput(inputs, 1, 'Pad'));
    const value = optionalTensor(inputs, 2);
    fill = value && value.size > 0 ? (value.data as ArrayLike<RawElement>)[0]! : zeroOf(x);
  } else {
    pads = ctx.attrs.ints('pads') ?? ctx.attrs.require('paddings', 'ints');
    fill = rawOf(x.dtype, ctx.attrs.float('value', 0));
  }
  const axesTensor = ctx.opset >= 18 ? optionalTensor(inputs, 3) : undefined;
  const axes = axesTensor ? toIndices(axesTensor).map((a) => normalizeAxis(a, x.rank)) : x.shape.map((_, i) => i);
  if (pads.length !== 2 * axes.length) throw new NeuropodError('INFERENCE_FAILED', `Pad: ${pads.length} pads for ${axes.length} axes`);
  const begin = new Array<number>(x.rank).fill(0);
  const end = new Array<number>(x.rank).fill(0);
  axes.forEach((a, i) => {
    begin[a] = pads[i]!;
    end[a] = pads[i + axes.length]!;
  });
  return { x, begin, end, mode: padMode(ctx), fill };
}

export const padKernel: KernelDef = {
  op: 'Pad',
  run(inputs, ctx) {
    const { x, begin, end, mode, fill } = padArguments(inputs, ctx);
    return [padTensor(x, begin, end, mode, fill)];
  },
};
