import { DTYPES } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Sym } from './graph-builder.js';
import type { LoweringContext } from './tensor-values.js';
import { asSym } from './tensor-values.js';
import type { PyValue } from './values.js';

/** x @ W^T + b; a constant weight is transposed once at load. */
export function linear(c: LoweringContext, x: PyValue, weight: PyValue, bias: PyValue): Sym {
  const input = asSym(c, x);
  const wt = weight instanceof Tensor && weight.rank === 2
    ? c.builder.constant(transpose2d(weight), `${c.tensorHint(weight)}_t`)
    : c.builder.op('Transpose', [asSym(c, weight)], input.dtype, 2, { perm: [1, 0] });
  const product = c.builder.op('MatMul', [input, wt], input.dtype, input.rank);
  return bias === null || bias === undefined ? product : c.builder.op('Add', [product, asSym(c, bias, input.dtype)], input.dtype, input.rank);
}

function transpose2d(t: Tensor): Tensor {
  const [rows, cols] = t.shape as [number, number];
  const src = t.data as unknown as ArrayLike<unknown>;
  const out = new (DTYPES[t.dtype].array!)(t.size) as unknown as unknown[];
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = src[r * cols + k];
  return new Tensor(t.dtype, [cols, rows], out as never);
}
