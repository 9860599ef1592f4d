import { allocate, type NumericArray } from '../../tensor/dtype.js';
import { sizeOf, Tensor } from '../../tensor/tensor.js';

/** A constant's dims reordered (out dim i is in dim perm[i]), done once at load so weights need no Transpose node. */
export function permuteConstant(t: Tensor, perm: readonly number[]): Tensor {
  const shape = perm.map((p) => t.shape[p]!);
  const inStrides = stridesOf(t.shape);
  const stride = perm.map((p) => inStrides[p]!);
  const out = allocate(t.dtype, sizeOf(shape)) as NumericArray | string[];
  const src = t.data as ArrayLike<unknown>;
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0, offset = 0; o < out.length; o++) {
    (out as unknown[])[o] = src[offset];
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]!++;
      offset += stride[d]!;
      if (index[d]! < shape[d]!) break;
      offset -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return new Tensor(t.dtype, shape, out);
}

export function reshapeConstant(t: Tensor, shape: number[]): Tensor {
  return new Tensor(t.dtype, shape, t.data);
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}
