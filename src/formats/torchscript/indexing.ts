import { Sym } from './graph-builder.js';
import type { OperatorContext, OperatorRow } from './operators.js';
import { asSym, cast, constInt, itemsOf, normalizeDim, rankOf, resultType } from './tensor-values.js';
import type { PyValue } from './values.js';

/**
 * Advanced indexing and the data-dependent selections (boolean masks, nonzero, masked_select, index_put,
 * gather/scatter), from the aten schemas in native_functions.yaml. A boolean mask selects the positions where
 * it is true in row-major order, so its result has a length only the run time knows: NonZero gives those
 * positions and GatherND / ScatterND / Compress read or write them.
 */

type Py = PyValue;
const row = (params: string, lower: OperatorRow['lower']): OperatorRow => ({ params: params.split(' '), lower });

const isMask = (s: Sym) => s.dtype === 'bool' || s.dtype === 'uint8';

/** Positions where `mask` is true, one row each: NonZero's [rank, M] transposed to GatherND's [M, rank]. */
function maskPositions(c: OperatorContext, mask: Sym): Sym {
  const nz = c.builder.op('NonZero', [cast(c, mask, 'bool')], 'int64', 2);
  return c.builder.op('Transpose', [nz], 'int64', 2, { perm: [1, 0] });
}

/** One index tensor per leading dim broadcast together and stacked on a new last axis (GatherND's indices). */
function stackedIndices(c: OperatorContext, indices: Sym[]): Sym {
  const ints = indices.map((i) => cast(c, i, 'int64'));
  if (ints.length === 1) return c.builder.op('Unsqueeze', [ints[0]!, c.builder.int64s([-1])], 'int64', ints[0]!.rank === undefined ? undefined : ints[0]!.rank + 1);
  const rank = ints.every((i) => i.rank !== undefined) ? Math.max(...ints.map((i) => i.rank!)) : undefined;
  // The sum broadcasts like the indices do; its shape is the shape they all expand to.
  const sum = ints.slice(1).reduce((a, b) => c.builder.op('Add', [a, b], 'int64', rank), ints[0]!);
  const shape = c.builder.op('Shape', [sum], 'int64', 1);
  const columns = ints.map((i) => c.builder.op('Unsqueeze', [c.builder.op('Expand', [i, shape], 'int64', rank), c.builder.int64s([-1])], 'int64', rank === undefined ? undefined : rank + 1));
  return c.builder.op('Concat', columns, 'int64', rank === undefined ? undefined : rank + 1, { axis: -1 });
}

/**
 * torch's `x[indices]` with a list of Optional[Tensor] (None keeps a dim): a lone index tensor on any dim, a
 * lone boolean mask on dim 0 (any rank) or a rank-1 mask on any dim, and integer index tensors on the leading
 * dims. Other mixes (indices apart from each other, a mask with other indices) are OP_UNSUPPORTED.
 */
function plan(c: OperatorContext, indices: Py): { axis: number; tensors: Sym[] } {
  const list = itemsOf(indices);
  if (!list) throw c.fail('OP_UNSUPPORTED', 'tensor indexing with a run-time list of indices');
  const axis = list.findIndex((i) => i !== null);
  const tensors = list.slice(axis).map((i) => (i === null ? undefined : asSym(c, i)));
  if (axis < 0 || tensors.some((t) => t === undefined)) throw c.fail('OP_UNSUPPORTED', 'advanced indexing with index tensors that are not next to each other');
  const syms = tensors as Sym[];
  if (syms.length > 1 && syms.some(isMask)) throw c.fail('OP_UNSUPPORTED', 'advanced indexing that mixes a boolean mask with other indices');
  if (syms.length > 1 && axis > 0) throw c.fail('OP_UNSUPPORTED', 'several index tensors after a kept dim');
  return { axis, tensors: syms };
}

function index(c: OperatorContext, x: Py, indices: Py): Sym {
  const self = asSym(c, x);
  const { axis, tensors } = plan(c, indices);
  const [first] = tensors;
  if (tensors.length === 1 && isMask(first!)) {
    if (first!.rank === 1) return c.builder.op('Compress', [self, cast(c, first!, 'bool')], self.dtype, self.rank, { axis });
    if (axis > 0) throw c.fail('OP_UNSUPPORTED', 'a boolean mask of rank > 1 after a kept dim');
    const k = first!.rank;
    return c.builder.op('GatherND', [self, maskPositions(c, first!)], self.dtype, self.rank === undefined || k === undefined ? undefined : self.rank - k + 1);
  }
  if (tensors.length === 1) {
    const idx = cast(c, first!, 'int64');
    return c.builder.op('Gather', [self, idx], self.dtype, self.rank === undefined || idx.rank === undefined ? undefined : self.rank - 1 + idx.rank, { axis });
  }
  const positions = stackedIndices(c, tensors);
  const rank = self.rank === undefined || positions.rank === undefined ? undefined : self.rank - tensors.length + positions.rank - 1;
  return c.builder.op('GatherND', [self, positions], self.dtype, rank);
}

/** The GatherND positions `x[indices] = v` writes (a mask on dim 0 or integer indices on the leading dims). */
function writePositions(c: OperatorContext, self: Sym, indices: Py): Sym {
  const { axis, tensors } = plan(c, indices);
  if (axis > 0) throw c.fail('OP_UNSUPPORTED', 'index_put on a dim other than the first');
  if (tensors.length === 1 && isMask(tensors[0]!)) return maskPositions(c, tensors[0]!);
  return stackedIndices(c, tensors);
}

/**
 * `x[indices] = values` (aten::index_put): ScatterND at the positions, with the values broadcast to the shape
 * `x[indices]` has; `accumulate` adds (ScatterND reduction add, which also sums repeated positions as torch does).
 */
function indexPut(c: OperatorContext, x: Py, indices: Py, values: Py, accumulate: Py): Sym {
  const self = asSym(c, x);
  const positions = writePositions(c, self, indices);
  const gathered = c.builder.op('GatherND', [self, positions], self.dtype, undefined);
  const updates = c.builder.op('Expand', [asSym(c, values, self.dtype), c.builder.op('Shape', [gathered], 'int64', 1)], self.dtype, undefined);
  return c.builder.op('ScatterND', [self, positions, updates], self.dtype, self.rank, accumulate === true ? { reduction: 'add' } : {});
}

/** torch.nonzero: [M, rank] int64 positions in row-major order. */
function nonzero(c: OperatorContext, x: Py): Sym {
  return maskPositions(c, asSym(c, x));
}

/** nonzero(as_tuple=True) / torch.where(cond): one 1-D int64 tensor of positions per dim. */
function nonzeroTuple(c: OperatorContext, x: Py): Py {
  const s = asSym(c, x);
  if (s.rank === undefined) throw c.fail('OP_UNSUPPORTED', 'nonzero as a tuple of a tensor of unknown rank');
  const nz = c.builder.op('NonZero', [cast(c, s, 'bool')], 'int64', 2);
  if (s.rank === 0) throw c.fail('OP_UNSUPPORTED', 'nonzero as a tuple of a 0-d tensor');
  const rows = s.rank === 1 ? [nz.name] : c.builder.node('Split', [nz], s.rank, { axis: 0, num_outputs: s.rank });
  return rows.map((r) => c.builder.op('Squeeze', [r, c.builder.int64s([0])], 'int64', 1));
}

/** A value broadcast against a mask, and the mask broadcast against it, both flattened. */
function flatPair(c: OperatorContext, self: Sym, mask: Sym): [Sym, Sym] {
  const m = cast(c, mask, 'bool');
  const both = c.builder.op('Where', [m, self, self], self.dtype, undefined);
  const shape = c.builder.op('Shape', [both], 'int64', 1);
  const flat = (s: Sym) => c.builder.op('Reshape', [c.builder.op('Expand', [s, shape], s.dtype, undefined), c.builder.int64s([-1])], s.dtype, 1);
  return [flat(self), flat(m)];
}

/** torch.masked_select: the elements where the (broadcast) mask is true, as a 1-D tensor. */
function maskedSelect(c: OperatorContext, x: Py, mask: Py): Sym {
  const self = asSym(c, x);
  const [values, m] = flatPair(c, self, asSym(c, mask));
  return c.builder.op('Compress', [values, m], self.dtype, 1, { axis: 0 });
}

/** masked_scatter: the positions where the mask (broadcast to self) is true take source's elements in order. */
function maskedScatter(c: OperatorContext, x: Py, mask: Py, source: Py): Sym {
  const self = asSym(c, x);
  const m = c.builder.op('Expand', [cast(c, asSym(c, mask), 'bool'), c.builder.op('Shape', [self], 'int64', 1)], 'bool', self.rank);
  const positions = maskPositions(c, m);
  const count = c.builder.op('Shape', [positions], 'int64', 1, { start: 0, end: 1 });
  const flat = c.builder.op('Reshape', [asSym(c, source, self.dtype), c.builder.int64s([-1])], self.dtype, 1);
  const updates = c.builder.op('Slice', [flat, c.builder.int64s([0]), count], self.dtype, 1);
  return c.builder.op('ScatterND', [self, positions, updates], self.dtype, self.rank);
}

const SCATTER_REDUCTIONS: Record<string, string> = { add: 'add', sum: 'add', multiply: 'mul', prod: 'mul', amax: 'max', amin: 'min' };

/** scatter(self, dim, index, src | value, reduce): ScatterElements; a scalar value is expanded to index's shape. */
function scatter(c: OperatorContext, x: Py, dim: Py, index: Py, src: Py, reduce: Py): Sym {
  const self = asSym(c, x);
  const idx = cast(c, asSym(c, index), 'int64');
  let updates = asSym(c, src, self.dtype);
  const shape = c.builder.op('Shape', [idx], 'int64', 1);
  if (!(src instanceof Sym) || src.rank === 0) updates = c.builder.op('Expand', [updates, shape], self.dtype, idx.rank);
  else {
    // torch reads src only where index reaches (src may be larger); ScatterElements wants index's shape.
    const zeros = c.builder.op('Mul', [shape, c.builder.int64s([0])], 'int64', 1);
    updates = c.builder.op('Slice', [updates, zeros, shape], self.dtype, idx.rank);
  }
  const attrs: Record<string, string | number> = { axis: constInt(c, dim, 'scatter dim') };
  if (reduce !== null && reduce !== undefined) {
    const r = SCATTER_REDUCTIONS[String(reduce)];
    if (!r) throw c.fail('OP_UNSUPPORTED', `scatter reduce '${String(reduce)}'`);
    attrs.reduction = r;
  }
  return c.builder.op('ScatterElements', [self, idx, updates], self.dtype, self.rank, attrs);
}

export const INDEXING_OPS: Record<string, OperatorRow> = {
  'aten::index': row('self indices', (c, [x, indices]) => index(c, x, indices)),
  'aten::index_put': row('self indices values accumulate', (c, [x, indices, values, acc]) => indexPut(c, x, indices, values, acc)),
  'aten::nonzero': row('self', (c, [x]) => nonzero(c, x)),
  'aten::nonzero_numpy': row('self', (c, [x]) => nonzeroTuple(c, x)),
  'aten::argwhere': row('self', (c, [x]) => nonzero(c, x)),
  'aten::masked_select': row('self mask', (c, [x, m]) => maskedSelect(c, x, m)),
  'aten::masked_scatter': row('self mask source', (c, [x, m, s]) => maskedScatter(c, x, m, s)),
  'aten::where': row('condition self other', (c, [cond, a, b]) => {
    if (a === undefined && b === undefined) return nonzeroTuple(c, cond);
    const t = resultType([a, b]);
    const ranks = [cond, a, b].map(rankOf);
    const rank = ranks.some((r) => r === undefined) ? undefined : Math.max(...(ranks as number[]));
    return c.builder.op('Where', [asSym(c, cond, 'bool'), asSym(c, a, t), asSym(c, b, t)], t, rank);
  }),
  'aten::index_select': row('self dim index', (c, [x, dim, index]) => {
    const self = asSym(c, x);
    return c.builder.op('Gather', [self, cast(c, asSym(c, index), 'int64')], self.dtype, self.rank, { axis: constInt(c, dim, 'index_select dim') });
  }),
  'aten::gather': row('self dim index sparse_grad', (c, [x, dim, index]) => {
    const self = asSym(c, x);
    const idx = cast(c, asSym(c, index), 'int64');
    return c.builder.op('GatherElements', [self, idx], self.dtype, idx.rank, { axis: normalizeDim(c, constInt(c, dim, 'gather dim'), self.rank) });
  }),
  'aten::scatter': row('self dim index src reduce', (c, [x, dim, index, src, reduce]) => scatter(c, x, dim, index, src, reduce)),
  'aten::scatter_add': row('self dim index src', (c, [x, dim, index, src]) => scatter(c, x, dim, index, src, 'add')),
  'aten::scatter_reduce': row('self dim index src reduce include_self', (c, [x, dim, index, src, reduce, includeSelf]) => {
    if (includeSelf === false) throw c.fail('OP_UNSUPPORTED', 'scatter_reduce with include_self=False');
    if (reduce === 'mean') throw c.fail('OP_UNSUPPORTED', "scatter_reduce 'mean'");
    return scatter(c, x, dim, index, src, reduce);
  }),
};
