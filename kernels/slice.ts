/**
 * Slice (ONNX Operators.md, Slice-13): starts/ends/axes as attributes before opset 10, as inputs (with steps)
 * from 10. Negative starts/ends count from the end; out-of-range values (INT64_MAX included) are clamped, to
 * [0, dim] for positive steps and [-1, dim-1] for negative ones.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { optionalTensor, tensorInput, toIndices } from './elements.js';
import { normalizeAxis, stridesOf } from './indexing.js';
import { indexMap, takeByMap } from './layout.js';
import type { KernelDef } from './registry.js';

export interface AxisRange {
  start: number;
  step: number;
  length: number;
}

/** The elements one (start, end, step) selects on an axis of size `dim`. */
export function sliceRange(dim: number, start: number, end: number, step: number): AxisRange {
  if (step === 0) throw new NeuropodError('INFERENCE_FAILED', `Slice: a step cannot be 0`);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  return { start: s, step, length: Math.max(0, Math.ceil((e - s) / step)) };
}

/** `x` sliced by one range per axis (axes not listed are whole). */
export function sliceTensor(x: Tensor, ranges: ReadonlyMap<number, AxisRange>): Tensor {
  const strides = stridesOf(x.shape);
  const all = x.shape.map((d, a) => ranges.get(a) ?? { start: 0, step: 1, length: d });
  const outShape = all.map((r) => r.length);
  const map = indexMap(outShape, (idx) => {
    let s = 0;
    for (let d = 0; d < idx.length; d++) s += (all[d]!.start + idx[d]! * all[d]!.step) * strides[d]!;
    return s;
  });
  return takeByMap(x, map, outShape);
}

export const sliceKernel: KernelDef = {
  op: 'Slice',
  run(inputs, ctx) {
    const x = tensorInput(inputs, 0, 'Slice');
    // Slice-1 has one input, so extra inputs can only mean the opset-10 form (ORT-web's op tests rely on that).
    const fromInputs = ctx.opset >= 10 || inputs.length > 1;
    const list = (i: number, name: string) => (fromInputs ? (optionalTensor(inputs, i) ? toIndices(optionalTensor(inputs, i)!) : undefined) : ctx.attrs.ints(name));
    const starts = list(1, 'starts') ?? [];
    const ends = list(2, 'ends') ?? [];
    const axes = list(3, 'axes') ?? starts.map((_, i) => i);
    const steps = (fromInputs ? list(4, 'steps') : undefined) ?? starts.map(() => 1);
    const ranges = new Map<number, AxisRange>();
    axes.forEach((a, i) => {
      const axis = normalizeAxis(a, x.rank);
      ranges.set(axis, sliceRange(x.shape[axis]!, starts[i]!, ends[i]!, steps[i]!));
    });
    return [sliceTensor(x, ranges)];
  },
};
