/**
 * ScatterElements / Scatter and ScatterND (ONNX Operators.md): a copy of `data` with `updates` written at the
 * places `indices` name, combined by `reduction` (none; add/mul from opset 16; max/min from 18). Duplicate
 * indices apply in order, so with 'none' the last update wins.
 */
import { NeuropodError } from '../src/api/errors.js';
import { Tensor } from '../src/tensor/tensor.js';
import { tensorInput, toNumbers } from './elements.js';
import { readValues, valuesTensor } from './element-values.js';
import { normalizeAxis, stridesOf } from './indexing.js';
import { forEachIndex, type RawElement } from './layout.js';
import type { KernelContext, KernelDef } from './registry.js';
import { ndOffsets, wrapIndex } from './index-tuples.js';

type Combine = (old: RawElement, update: RawElement) => RawElement;

const pick = (useUpdate: (a: number | bigint, b: number | bigint) => boolean): Combine => (a, b) => (useUpdate(a as number, b as number) ? b : a);

/** How an update meets the value already there. */
const REDUCTIONS: Record<string, Combine> = {
  none: (_a, b) => b,
  add: (a, b) => (typeof a === 'bigint' ? a + (b as bigint) : (a as number) + (b as number)),
  mul: (a, b) => (typeof a === 'bigint' ? a * (b as bigint) : (a as number) * (b as number)),
  max: pick((a, b) => b > a),
  min: pick((a, b) => b < a),
};

interface Target {
  values: { [i: number]: RawElement };
  combine: Combine;
  finish(): Tensor;
}

/** The output being built: a copy of the raw storage for plain overwrites (any dtype), decoded values for reductions. */
function target(data: Tensor, ctx: KernelContext, op: string): Target {
  const reduction = ctx.attrs.string('reduction', 'none');
  const combine = REDUCTIONS[reduction];
  if (!combine) throw new NeuropodError('INFERENCE_FAILED', `${op}: unknown reduction '${reduction}'`);
  if (reduction === 'none') {
    const copy = data.data.slice() as Tensor['data'];
    return { values: copy as unknown as RawElement[], combine, finish: () => new Tensor(data.dtype, [...data.shape], copy) };
  }
  const values = readValues(data);
  return { values, combine, finish: () => valuesTensor(data.dtype, data.shape, values) };
}

/** Update values in the same form as the target's (raw for 'none', decoded otherwise). */
const updateValues = (updates: Tensor, ctx: KernelContext): ArrayLike<RawElement> =>
  ctx.attrs.string('reduction', 'none') === 'none' ? (updates.data as ArrayLike<RawElement>) : readValues(updates);

export function scatterElements(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext, op: string): Tensor {
  const data = tensorInput(inputs, 0, op);
  const indicesT = tensorInput(inputs, 1, op);
  const updatesT = tensorInput(inputs, 2, op);
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), data.rank);
  const indices = toNumbers(indicesT);
  const updates = updateValues(updatesT, ctx);
  const strides = stridesOf(data.shape);
  const out = target(data, ctx, op);
  forEachIndex(indicesT.shape, (idx, flat) => {
    let s = 0;
    for (let d = 0; d < idx.length; d++) s += (d === axis ? wrapIndex(indices[flat]!, data.shape[axis]!, op) : idx[d]!) * strides[d]!;
    out.values[s] = out.combine(out.values[s]!, updates[flat]!);
  });
  return out.finish();
}

export function scatterND(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor {
  const data = tensorInput(inputs, 0, 'ScatterND');
  const indicesT = tensorInput(inputs, 1, 'ScatterND');
  const updates = updateValues(tensorInput(inputs, 2, 'ScatterND'), ctx);
  const { offsets, inner } = ndOffsets(data.shape, indicesT, 0, 'ScatterND');
  const out = target(data, ctx, 'ScatterND');
  offsets.forEach((off, t) => {
    for (let i = 0; i < inner; i++) out.values[off + i] = out.combine(out.values[off + i]!, updates[t * inner + i]!);
  });
  return out.finish();
}

/**
 * TensorScatter (opset 24): a KV-cache write. update[b] goes into past_cache[b] along `axis` (default -2) from
 * write_indices[b] (default 0); 'circular' mode wraps positions modulo the cache length.
 */
export function tensorScatter(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor {
  const past = tensorInput(inputs, 0, 'TensorScatter');
  const update = tensorInput(inputs, 1, 'TensorScatter');
  const writeT = inputs[2] instanceof Tensor ? inputs[2] : undefined;
  const starts = writeT ? toNumbers(writeT) : new Float64Array(past.shape[0]!);
  const axis = normalizeAxis(ctx.attrs.int('axis', -2), past.rank);
  const circular = ctx.attrs.string('mode', 'linear') === 'circular';
  const max = past.shape[axis]!;
  const strides = stridesOf(past.shape);
  const out = past.data.slice() as Tensor['data'];
  const src = update.data as ArrayLike<RawElement>;
  forEachIndex(update.shape, (idx, flat) => {
    let s = 0;
    for (let d = 0; d < idx.length; d++) {
      let v = idx[d]!;
      if (d === axis) v = circular ? (starts[idx[0]!]! + v) % max : starts[idx[0]!]! + v;
      s += v * strides[d]!;
    }
    (out as RawElement[])[s] = src[flat]!;
  });
  return new Tensor(past.dtype, [...past.shape], out);
}
