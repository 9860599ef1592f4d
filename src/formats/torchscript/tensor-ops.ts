import { DTYPES } from '../../tensor/dtype.js';
import { Sym } from './graph-builder.js';
import type { OperatorContext, OperatorRow } from './operators.js';
import {
  asSym, cast, constFloat, constInt, constInts, itemsOf, listSym, normalizeDim, resultType, scalarType, shapeSym,
} from './tensor-values.js';
import { describeValue, tuple, Unbound, type PyValue } from './values.js';

/**
 * Sorting, reductions with indices, cumulative sums, tiling, einsum, grids and unbind: the aten ops a scripted
 * detection postprocess and common model families call. Semantics from native_functions.yaml / torch docs, ONNX
 * from the operator docs (opset 20).
 */

type Py = PyValue;
const row = (params: string, lower: OperatorRow['lower']): OperatorRow => ({ params: params.split(' '), lower });

/** The size of `dim` as a 1-element int64 tensor (TopK's k for a full sort). */
function dimSize(c: OperatorContext, s: Sym, dim: number): Sym {
  const d = normalizeDim(c, dim, s.rank);
  return c.builder.op('Shape', [s], 'int64', 1, { start: d, end: d + 1 });
}

/** TopK as (values, indices). ONNX orders equal values by lower index first, as torch's stable sort does. */
function topK(c: OperatorContext, s: Sym, k: Sym, axis: number, largest: boolean, sorted = true): [Sym, Sym] {
  const [values, indices] = c.builder.node('TopK', [s, k], 2, { axis, largest: largest ? 1 : 0, sorted: sorted ? 1 : 0 });
  return [new Sym(values!, s.dtype, s.rank), new Sym(indices!, 'int64', s.rank)];
}

function kSym(c: OperatorContext, k: Py): Sym {
  if (typeof k === 'bigint') return c.builder.int64s([k]);
  const s = cast(c, asSym(c, k), 'int64');
  return c.builder.op('Reshape', [s, c.builder.int64s([1])], 'int64', 1);
}

function sort(c: OperatorContext, x: Py, dim: Py, descending: Py): [Sym, Sym] {
  const s = asSym(c, x);
  const axis = constInt(c, dim ?? -1n, 'sort dim');
  return topK(c, s, dimSize(c, s, axis), axis, descending === true);
}

/** torch.max / torch.min: of all elements, along a dim with indices, or element-wise against another tensor. */
function extreme(which: 'max' | 'min'): OperatorRow['lower'] {
  const [reduce, arg, binary] = which === 'max' ? ['ReduceMax', 'ArgMax', 'Max'] : ['ReduceMin', 'ArgMin', 'Min'];
  return (c, [x, dimOrOther, keepdim]) => {
    const s = asSym(c, x);
    if (dimOrOther === undefined || dimOrOther === null) return c.builder.op(reduce, [s], s.dtype, 0, { keepdims: 0 });
    if (dimOrOther instanceof Sym || (typeof dimOrOther === 'object' && !Array.isArray(dimOrOther))) {
      const t = resultType([x, dimOrOther]);
      const o = asSym(c, dimOrOther, t);
      return c.builder.op(binary, [asSym(c, x, t), o], t, s.rank === undefined || o.rank === undefined ? undefined : Math.max(s.rank, o.rank));
    }
    const axis = constInt(c, dimOrOther, `${which} dim`);
    const keep = keepdim === true ? 1 : 0;
    const rank = s.rank === undefined ? undefined : s.rank - 1 + keep;
    const values = c.builder.op(reduce, [s, c.builder.int64s([axis])], s.dtype, rank, { keepdims: keep });
    const indices = c.builder.op(arg, [s], 'int64', rank, { axis, keepdims: keep, select_last_index: 0 });
    return tuple([values, indices]);
  };
}

/** argmax / argmin; without a dim over the flattened tensor. */
function argExtreme(op: 'ArgMax' | 'ArgMin'): OperatorRow['lower'] {
  return (c, [x, dim, keepdim]) => {
    const s = asSym(c, x);
    if (dim === null || dim === undefined) {
      const flat = c.builder.op('Reshape', [s, c.builder.int64s([-1])], s.dtype, 1);
      return c.builder.op(op, [flat], 'int64', 0, { axis: 0, keepdims: 0 });
    }
    const keep = keepdim === true ? 1 : 0;
    return c.builder.op(op, [s], 'int64', s.rank === undefined ? undefined : s.rank - 1 + keep, { axis: constInt(c, dim, `${op} dim`), keepdims: keep });
  };
}

/** torch.cumsum promotes bool and integer inputs to int64. */
function cumsum(c: OperatorContext, x: Py, dim: Py, dtype: Py): Sym {
  const s = asSym(c, x);
  const t = scalarType(c, dtype, DTYPES[s.dtype].float ? s.dtype : 'int64');
  const input = cast(c, s, t);
  return c.builder.op('CumSum', [input, c.builder.scalar(BigInt(constInt(c, dim, 'cumsum dim')), 'int64')], t, s.rank);
}

/** Tensor.repeat: Tile, with leading 1-dims added where the repeats are longer than the rank. */
function repeat(c: OperatorContext, x: Py, repeats: Py): Sym {
  let s = asSym(c, x);
  const reps = itemsOf(repeats);
  if (!reps) throw c.fail('OP_UNSUPPORTED', `repeat by ${describeValue(repeats)}`);
  if (s.rank === undefined) throw c.fail('OP_UNSUPPORTED', 'repeat of a tensor of unknown rank');
  const extra = reps.length - s.rank;
  if (extra < 0) throw c.fail('MODEL_INVALID', `repeat dims (${reps.length}) fewer than the tensor's dims (${s.rank})`);
  if (extra > 0) s = c.builder.op('Unsqueeze', [s, c.builder.int64s([...Array(extra).keys()])], s.dtype, reps.length);
  return c.builder.op('Tile', [s, listSym(c, reps, 'int64')], s.dtype, reps.length);
}

function baddbmm(c: OperatorContext, [self, a, b, beta, alpha]: Py[]): Sym {
  const t = resultType([self, a, b]);
  let product = c.builder.op('MatMul', [asSym(c, a, t), asSym(c, b, t)], t, 3);
  const al = constFloat(c, alpha ?? 1, 'alpha'), be = constFloat(c, beta ?? 1, 'beta');
  if (al !== 1) product = c.builder.op('Mul', [product, c.builder.scalar(al, t)], t, 3);
  if (be === 0) return product;
  let base = asSym(c, self, t);
  if (be !== 1) base = c.builder.op('Mul', [base, c.builder.scalar(be, t)], t, base.rank);
  return c.builder.op('Add', [base, product], t, 3);
}

function einsum(c: OperatorContext, equation: Py, tensors: Py): Sym {
  const items = itemsOf(tensors);
  if (typeof equation !== 'string' || !items) throw c.fail('OP_UNSUPPORTED', 'einsum with a run-time equation or list');
  const t = resultType(items);
  const out = equation.includes('->') ? equation.split('->')[1]!.trim() : undefined;
  return c.builder.op('Einsum', items.map((i) => asSym(c, i, t)), t, out === undefined || out.includes('...') ? undefined : out.length, { equation: equation.replace(/\s+/g, '') });
}

/** torch.meshgrid of 1-D tensors: each reshaped onto its own axis and expanded to the grid; 'xy' swaps the first two axes. */
function meshgrid(c: OperatorContext, tensors: Py, indexing: Py): Sym[] {
  const items = (itemsOf(tensors) ?? []).map((i) => asSym(c, i));
  if (items.length === 0) throw c.fail('OP_UNSUPPORTED', 'meshgrid of a run-time list');
  const n = items.length;
  const axisOf = (i: number) => (indexing === 'xy' && n >= 2 && i < 2 ? 1 - i : i);
  const order = [...Array(n).keys()].sort((a, b) => axisOf(a) - axisOf(b));
  const shape = c.builder.op('Concat', order.map((i) => c.builder.op('Shape', [items[i]!], 'int64', 1)), 'int64', 1, { axis: 0 });
  return items.map((t, i) => {
    const dims = new Array(n).fill(1);
    dims[axisOf(i)] = -1;
    const placed = c.builder.op('Reshape', [t, c.builder.int64s(dims)], t.dtype, n);
    return c.builder.op('Expand', [placed, shape], t.dtype, n);
  });
}

/** unbind(x, dim)[i] is select(x, dim, i); unpacking takes `count` pieces (Split + Squeeze). */
export function unboundPiece(c: OperatorContext, u: Unbound, index: bigint): Sym {
  const s = u.source;
  return c.builder.op('Gather', [s, c.builder.scalar(index, 'int64')], s.dtype, s.rank === undefined ? undefined : s.rank - 1, { axis: u.dim });
}

export function unboundPieces(c: OperatorContext, u: Unbound, count: number): Sym[] {
  const s = u.source;
  const rank = s.rank === undefined ? undefined : s.rank - 1;
  const parts = count === 1 ? [s.name] : c.builder.node('Split', [s], count, { axis: u.dim, num_outputs: count });
  return parts.map((p) => c.builder.op('Squeeze', [p, c.builder.int64s([u.dim])], s.dtype, rank));
}

/** new_zeros / new_ones / new_full / new_empty: a filled tensor of `self`'s dtype unless one is given. */
function newFilled(c: OperatorContext, self: Py, shape: Py, value: Py, dtype: Py): Sym {
  const t = scalarType(c, dtype, asSym(c, self).dtype);
  const v = c.builder.op('Reshape', [asSym(c, value, t), c.builder.int64s([1])], t, 1);
  return c.builder.op('Expand', [v, shapeSym(c, shape)], t, itemsOf(shape)?.length);
}

/** clamp with tensor bounds (Clip takes scalars only): Max / Min against the broadcast bounds. */
export function clampTensor(c: OperatorContext, x: Py, min: Py, max: Py): Sym {
  let s = asSym(c, x);
  const dtype = s.dtype;
  if (min !== null && min !== undefined) s = c.builder.op('Max', [s, asSym(c, min, dtype)], dtype, undefined);
  if (max !== null && max !== undefined) s = c.builder.op('Min', [s, asSym(c, max, dtype)], dtype, undefined);
  return s;
}

/** The dims a reduction names (undefined: all), and whether they are kept. */
function reducedAxes(c: OperatorContext, dim: Py): number[] | undefined {
  if (dim === null || dim === undefined) return undefined;
  const axes = constInts(c, dim, 'reduction dims');
  return axes.length ? axes : undefined;
}

/**
 * var / std: the mean of squared deviations over the dims, divided by (count - correction) instead of count;
 * `unbiased` (the older overload's bool) is correction 1, the default. The count is read at run time.
 */
function variance(c: OperatorContext, x: Py, dim: Py, correction: Py, keepdim: Py, root: boolean): Sym {
  const b = c.builder;
  let s = asSym(c, x);
  if (!DTYPES[s.dtype].float) s = cast(c, s, 'float32');
  const t = s.dtype;
  const axes = reducedAxes(c, dim);
  const keep = keepdim === true ? 1 : 0;
  const axesSym = axes ? b.int64s(axes) : undefined;
  const mean = b.op('ReduceMean', [s, axesSym], t, s.rank, { keepdims: 1 });
  const d = b.op('Sub', [s, mean], t, s.rank);
  const sum = b.op('ReduceSum', [b.op('Mul', [d, d], t, s.rank), axesSym], t, undefined, { keepdims: keep });
  const count = cast(c, b.op('Div', [b.op('Size', [s], 'int64', 0), b.op('Size', [mean], 'int64', 0)], 'int64', 0), t);
  const corr = correction === false ? 0 : correction === true || correction === null || correction === undefined ? 1 : constFloat(c, correction, 'correction');
  const v = b.op('Div', [sum, b.op('Sub', [count, b.scalar(corr, t)], t, 0)], t, undefined);
  const rank = s.rank === undefined ? undefined : keep ? s.rank : axes ? s.rank - axes.length : 0;
  const out = root ? b.op('Sqrt', [v], t, rank) : v;
  return new Sym(out.name, t, rank);
}

/** norm / linalg_vector_norm: p = 2 ReduceL2, 1 ReduceL1, inf max |x|, -inf min |x|, 0 the count of nonzeros, else (sum |x|^p)^(1/p). */
function vectorNorm(c: OperatorContext, x: Py, p: Py, dim: Py, keepdim: Py): Sym {
  const b = c.builder;
  const s = asSym(c, x);
  const t = s.dtype;
  const axes = reducedAxes(c, dim);
  const keep = keepdim === true ? 1 : 0;
  const rank = s.rank === undefined ? undefined : keep ? s.rank : axes ? s.rank - axes.length : 0;
  const order = p === null || p === undefined ? 2 : constFloat(c, p, 'norm order');
  const ax = axes ? b.int64s(axes) : undefined;
  const reduce = (op: string, v: Sym) => b.op(op, [v, ax], t, rank, { keepdims: keep });
  const abs = () => b.op('Abs', [s], t, s.rank);
  if (order === 2) return reduce('ReduceL2', s);
  if (order === 1) return reduce('ReduceL1', s);
  if (order === Infinity) return reduce('ReduceMax', abs());
  if (order === -Infinity) return reduce('ReduceMin', abs());
  if (order === 0) return reduce('ReduceSum', cast(c, b.op('Not', [b.op('Equal', [s, b.scalar(0, t)], 'bool', s.rank)], 'bool', s.rank), t));
  const powered = reduce('ReduceSum', b.op('Pow', [abs(), b.scalar(order, t)], t, s.rank));
  return b.op('Pow', [powered, b.scalar(1 / order, t)], t, rank);
}

export const TENSOR_OPS: Record<string, OperatorRow> = {
  'aten::var': row('self dim unbiased keepdim correction', (c, [x, dim, unbiased, keepdim, correction]) =>
    variance(c, x, typeof dim === 'boolean' ? null : dim, correction ?? (typeof dim === 'boolean' ? dim : unbiased), keepdim, false)),
  'aten::std': row('self dim unbiased keepdim correction', (c, [x, dim, unbiased, keepdim, correction]) =>
    variance(c, x, typeof dim === 'boolean' ? null : dim, correction ?? (typeof dim === 'boolean' ? dim : unbiased), keepdim, true)),
  'aten::norm': row('self p dim keepdim', (c, [x, p, dim, keepdim]) => vectorNorm(c, x, p, dim, keepdim)),
  'aten::linalg_vector_norm': row('self ord dim keepdim', (c, [x, p, dim, keepdim]) => vectorNorm(c, x, p, dim, keepdim)),
  'aten::frobenius_norm': row('self dim keepdim', (c, [x, dim, keepdim]) => vectorNorm(c, x, 2, dim, keepdim)),
  'aten::topk': row('self k dim largest sorted', (c, [x, k, dim, largest, sorted]) => {
    const s = asSym(c, x);
    return tuple(topK(c, s, kSym(c, k), constInt(c, dim ?? -1n, 'topk dim'), largest !== false, sorted !== false));
  }),
  'aten::sort': row('self dim descending stable', (c, [x, dim, descending]) => {
    // sort.stable(self, *, stable, dim, descending) passes all three by keyword; a bool in dim's place is `stable`.
    if (typeof dim === 'boolean') [dim, descending] = [-1n, descending];
    return tuple(sort(c, x, dim, descending));
  }),
  'aten::argsort': row('self dim descending stable', (c, [x, dim, descending]) => {
    if (typeof dim === 'boolean') dim = -1n;
    return sort(c, x, dim, descending)[1];
  }),
  'aten::max': row('self dim keepdim', extreme('max')),
  'aten::min': row('self dim keepdim', extreme('min')),
  'aten::argmax': row('self dim keepdim', argExtreme('ArgMax')),
  'aten::argmin': row('self dim keepdim', argExtreme('ArgMin')),
  'aten::cumsum': row('self dim dtype', (c, [x, dim, dtype]) => cumsum(c, x, dim, dtype)),
  'aten::repeat': row('self repeats', (c, [x, reps]) => repeat(c, x, reps)),
  'aten::baddbmm': row('self batch1 batch2 beta alpha', (c, args) => baddbmm(c, args)),
  'aten::einsum': row('equation tensors path', (c, [eq, ts]) => einsum(c, eq, ts)),
  'aten::meshgrid': row('tensors indexing', (c, [ts, indexing]) => meshgrid(c, ts, indexing)),
  'aten::unbind': row('self dim', (c, [x, dim]) => {
    const s = asSym(c, x);
    return new Unbound(s, normalizeDim(c, constInt(c, dim ?? 0n, 'unbind dim'), s.rank));
  }),
  'aten::empty': row('size dtype', (c, [shape, dtype]) => newFilled(c, 0, shape, 0, dtype ?? 6n)),
  'aten::new_zeros': row('self size dtype', (c, [x, shape, dtype]) => newFilled(c, x, shape, 0, dtype)),
  'aten::new_ones': row('self size dtype', (c, [x, shape, dtype]) => newFilled(c, x, shape, 1, dtype)),
  'aten::new_empty': row('self size dtype', (c, [x, shape, dtype]) => newFilled(c, x, shape, 0, dtype)),
  'aten::new_full': row('self size fill_value dtype', (c, [x, shape, value, dtype]) => newFilled(c, x, shape, value, dtype)),
  'aten::clamp_min': row('self min', (c, [x, min]) => clampTensor(c, x, min, null)),
  'aten::clamp_max': row('self max', (c, [x, max]) => clampTensor(c, x, null, max)),
  'aten::is_floating_point': row('self', (c, [x]) => DTYPES[asSym(c, x).dtype].float),
  'aten::prod': row('self dim keepdim dtype', (c, [x, dim, keepdim]) => {
    const s = asSym(c, x);
    if (dim === null || dim === undefined) return c.builder.op('ReduceProd', [s], s.dtype, 0, { keepdims: 0 });
    const keep = keepdim === true ? 1 : 0;
    return c.builder.op('ReduceProd', [s, c.builder.int64s([constInt(c, dim, 'prod dim')])], s.dtype, s.rank === undefined ? undefined : s.rank - 1 + keep, { keepdims: keep });
  }),
  'aten::flip': row('self dims', (c, [x, dims]) => {
    const s = asSym(c, x);
    const axes = constInts(c, dims, 'flip dims');
    const big = 9223372036854775807n;
    return c.builder.op('Slice', [s, c.builder.int64s(axes.map(() => -1)), c.builder.int64s(axes.map(() => -big)), c.builder.int64s(axes), c.builder.int64s(axes.map(() => -1))], s.dtype, s.rank);
  }),
  'aten::square': row('self', (c, [x]) => {
    const s = asSym(c, x);
    return c.builder.op('Mul', [s, s], s.dtype, s.rank);
  }),
};
