import { NeuropodError } from '../src/api/errors.js';
import { DTYPES, type DType } from '../src/tensor/dtype.js';
import { Tensor, type Shape } from '../src/tensor/tensor.js';
import { fromNumbers, toNumbers } from './elements.js';

/**
 * How the float kernels (matmul, conv, pool, normalization, signal, detection) compute: float32 storage is used
 * as is, float16/bfloat16 are widened to float32 and rounded once at the end, everything else is float64.
 */
export type FloatArray = Float32Array | Float64Array;

/** True for the dtypes these kernels compute in float32 (the rest compute in float64). */
function computesInF32(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16';
}

/** The values to compute on: float32/float64 storage itself (not copied), other dtypes converted. */
export function floatView(t: Tensor): FloatArray {
  if (t.dtype === 'float32') return t.data as Float32Array;
  if (t.dtype === 'float64') return t.data as Float64Array;
  if (t.dtype === 'string') throw new NeuropodError('INFERENCE_FAILED', `a string tensor cannot be read as numbers`);
  const values = toNumbers(t);
  return computesInF32(t.dtype) ? Float32Array.from(values) : values;
}

/** A zeroed work array in the precision `dtype` computes in. */
export function floatBuffer(dtype: DType, size: number): FloatArray {
  return computesInF32(dtype) ? new Float32Array(size) : new Float64Array(size);
}

/** A tensor of `dtype` holding computed values; the array is adopted when it already is that dtype's storage. */
export function floatTensor(dtype: DType, shape: Shape, values: FloatArray): Tensor {
  const ctor = DTYPES[dtype].array;
  if (ctor && values instanceof ctor && (dtype === 'float32' || dtype === 'float64')) return new Tensor(dtype, [...shape], values);
  if (!DTYPES[dtype].float) return fromNumbers(dtype, shape, values.map(Math.round));
  return fromNumbers(dtype, shape, values);
}
