import { NeuropodError } from '../src/api/errors.js';
import { allocate, DTYPES, type DType, type NumericArray } from '../src/tensor/dtype.js';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../src/tensor/float16.js';
import { Tensor, type Shape } from '../src/tensor/tensor.js';
import type { Value } from '../src/graph/value.js';

/** The input at `i` as a tensor; a missing required input or a non-tensor is a model error naming the op. */
export function tensorInput(inputs: (Value | undefined)[], i: number, op: string): Tensor {
  const v = inputs[i];
  if (!(v instanceof Tensor)) throw new NeuropodError('INFERENCE_FAILED', `${op}: input ${i} is ${v === undefined ? 'missing' : 'not a tensor'}`);
  return v;
}

/** An optional input: undefined when omitted or given as an empty name. */
export function optionalTensor(inputs: (Value | undefined)[], i: number): Tensor | undefined {
  const v = inputs[i];
  return v instanceof Tensor ? v : undefined;
}

/**
 * Element values as JS numbers (float16/bfloat16 decoded, int64 converted; exact below 2^53). For arithmetic
 * that must be exact on int64, read `t.data` as BigInt64Array instead.
 */
export function toNumbers(t: Tensor): Float64Array {
  const out = new Float64Array(t.size);
  const d = t.data;
  if (Array.isArray(d)) throw new NeuropodError('INFERENCE_FAILED', `a string tensor cannot be read as numbers`);
  if (t.dtype === 'float16') for (let i = 0; i < out.length; i++) out[i] = halfToFloat((d as Uint16Array)[i]!);
  else if (t.dtype === 'bfloat16') for (let i = 0; i < out.length; i++) out[i] = bfloat16ToFloat((d as Uint16Array)[i]!);
  else if (DTYPES[t.dtype].big) for (let i = 0; i < out.length; i++) out[i] = Number((d as BigInt64Array)[i]!);
  else if (DTYPES[t.dtype].float && DTYPES[t.dtype].rawBytes < 2) throw new NeuropodError('INFERENCE_FAILED', `${t.dtype} values must be cast before arithmetic`);
  else out.set(d as ArrayLike<number>);
  return out;
}

/** A tensor of `dtype` holding `values` (rounded/truncated as a cast to that dtype would store them). */
export function fromNumbers(dtype: DType, shape: Shape, values: ArrayLike<number>): Tensor {
  const data = allocate(dtype, values.length) as NumericArray;
  if (dtype === 'float16') for (let i = 0; i < values.length; i++) (data as Uint16Array)[i] = floatToHalf(values[i]!);
  else if (dtype === 'bfloat16') for (let i = 0; i < values.length; i++) (data as Uint16Array)[i] = floatToBfloat16(values[i]!);
  else if (DTYPES[dtype].big) for (let i = 0; i < values.length; i++) (data as BigInt64Array)[i] = BigInt(Math.trunc(values[i]!));
  else if (dtype === 'bool') for (let i = 0; i < values.length; i++) (data as Uint8Array)[i] = values[i] ? 1 : 0;
  else (data as Float64Array).set(values);
  return new Tensor(dtype, [...shape], data);
}

/** Integer values of a small index/shape tensor (int32/int64), as numbers. */
export function toIndices(t: Tensor): number[] {
  return Array.from(toNumbers(t));
}
