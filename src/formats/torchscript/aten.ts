import { DTYPES, type DType } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { floatAttr, Sym } from './graph-builder.js';
import type { OperatorContext, OperatorRow } from './operators.js';
import { linear } from './linear.js';
import { deriveIndex, rangeLength } from './loops.js';
import { INDEXING_OPS } from './indexing.js';
import { lowerRecurrent } from './recurrent.js';
import { clampTensor, TENSOR_OPS, unboundPiece } from './tensor-ops.js';
import { VISION_OPS } from './vision.js';
import { lowerEncoderLayer, lowerMultiHeadAttention } from './transformer.js';
import {
  asSym, cast, constFloat, constInt, constInts, itemsOf, listSym, markShape, normalizeDim, rankOf, resultType, scalarType, shapeLength, shapeSym,
} from './tensor-values.js';
import { isRuntime, ScannedList, Unbound, type PyValue } from './values.js';

/**
 * The aten -> ONNX table. A row names the aten schema's parameters (so keyword arguments land in place) and
 * builds the ONNX node(s); a 1:1 op is one line. Semantics of each side: the aten schemas in PyTorch's
 * native_functions.yaml and the ONNX operator docs (opset 20).
 */

type Py = PyValue;
type Lower = OperatorRow['lower'];
const row = (params: string, lower: Lower): OperatorRow => ({ params: params.split(' '), lower });

function maxRank(...vs: Py[]): number | undefined {
  let r = 0;
  for (const v of vs) {
    const k = rankOf(v);
    if (k === undefined) return undefined;
    r = Math.max(r, k);
  }
  return r;
}

/** Element-wise unary op keeping dtype and rank. */
const unary = (op: string, attrs: Record<string, number> = {}) =>
  row('self', (c, [x]) => {
    const s = asSym(c, x);
    return c.builder.op(op, [s], s.dtype, s.rank, attrs);
  });

/** Float-only unary op (torch promotes integer inputs to the default float type). */
const floatUnary = (op: string) =>
  row('self', (c, [x]) => {
    const s = asSym(c, x);
    const f = DTYPES[s.dtype].float ? s : cast(c, s, 'float32');
    return c.builder.op(op, [f], f.dtype, f.rank);
  });

/** Element-wise binary op with torch type promotion. */
const binary = (op: string, resultBool = false) =>
  row('self other', (c, [a, b]) => {
    if (!isRuntime(a) && !isRuntime(b)) return undefined;
    const t = resultType([a, b]);
    return c.builder.op(op, [asSym(c, a, t), asSym(c, b, t)], resultBool ? 'bool' : t, maxRank(a, b));
  });

function addLike(op: 'Add' | 'Sub', reversed = false): Lower {
  return (c, [a, b, alpha]) => {
    if (!isRuntime(a) && !isRuntime(b)) return undefined;
    const t = resultType([a, b]);
    let other = asSym(c, b, t);
    if (alpha !== undefined && alpha !== null && Number(alpha) !== 1) other = c.builder.op('Mul', [other, asSym(c, alpha, t)], t, other.rank);
    const self = asSym(c, a, t);
    const [x, y] = reversed ? [other, self] : [self, other];
    return c.builder.op(op, [x, y], t, maxRank(a, b));
  };
}

/** torch.remainder takes the divisor's sign (Python %): integer Mod with fmod=0; for floats a - floor(a / b) * b. */
function remainder(c: OperatorContext, a: Py, b: Py): Py {
  if (!isRuntime(a) && !isRuntime(b)) return undefined;
  const t = resultType([a, b]);
  const [x, y, rank] = [asSym(c, a, t), asSym(c, b, t), maxRank(a, b)];
  if (!DTYPES[t].float) return c.builder.op('Mod', [x, y], t, rank, { fmod: 0 });
  const floored = c.builder.op('Floor', [c.builder.op('Div', [x, y], t, rank)], t, rank);
  return c.builder.op('Sub', [x, c.builder.op('Mul', [floored, y], t, rank)], t, rank);
}

function divide(c: OperatorContext, a: Py, b: Py, mode: Py): Py {
  if (!isRuntime(a) && !isRuntime(b)) return undefined;
  const t = resultType([a, b]);
  const rank = maxRank(a, b);
  if (mode === null || mode === undefined) {
    const f = DTYPES[t].float ? t : 'float32';
    return c.builder.op('Div', [asSym(c, a, f), asSym(c, b, f)], f, rank);
  }
  if (DTYPES[t].float) {
    const q = c.builder.op('Div', [asSym(c, a, t), asSym(c, b, t)], t, rank);
    return mode === 'trunc' ? truncate(c, q) : c.builder.op('Floor', [q], t, rank);
  }
  // ONNX integer Div truncates toward zero; floor mode goes through float64, exact for |x| < 2^53.
  if (mode === 'trunc') return c.builder.op('Div', [asSym(c, a, t), asSym(c, b, t)], t, rank);
  const q = c.builder.op('Div', [asSym(c, a, 'float64'), asSym(c, b, 'float64')], 'float64', rank);
  return cast(c, c.builder.op('Floor', [q], 'float64', rank), t);
}

function truncate(c: OperatorContext, q: Sym): Sym {
  const floor = c.builder.op('Floor', [q], q.dtype, q.rank);
  const ceil = c.builder.op('Ceil', [q], q.dtype, q.rank);
  const negative = c.builder.op('Less', [q, c.builder.scalar(0, q.dtype)], 'bool', q.rank);
  return c.builder.op('Where', [negative, ceil, floor], q.dtype, q.rank);
}

function clip(c: OperatorContext, x: Py, min: Py, max: Py): Sym {
  const s = asSym(c, x);
  // Clip takes scalar bounds only; a tensor bound (clamp(x, min=t)) broadcasts, so it is Max / Min.
  if ([min, max].some((v) => (v instanceof Sym || v instanceof Tensor) && v.rank !== 0)) return clampTensor(c, x, min, max);
  const bound = (v: Py) => (v === null || v === undefined ? undefined : asSym(c, v, s.dtype));
  return c.builder.op('Clip', [s, bound(min), bound(max)], s.dtype, s.rank);
}

function convolution(c: OperatorContext, [x, weight, bias, stride, padding, dilation, transposed, outputPadding, groups]: Py[]): Sym {
  const input = asSym(c, x);
  const w = asSym(c, weight, input.dtype);
  const spatial = (w.rank ?? 4) - 2;
  const pads = padding === 'same' || padding === 'valid' ? undefined : constInts(c, padding, 'conv padding');
  const expand = (v: number[]) => (v.length === 1 && spatial > 1 ? new Array(spatial).fill(v[0]) : v);
  const attrs: Record<string, number[] | number | string | undefined> = {
    strides: expand(constInts(c, stride ?? [1n], 'conv stride')),
    dilations: expand(constInts(c, dilation ?? [1n], 'conv dilation')),
    group: Number(groups ?? 1n),
    pads: pads ? [...expand(pads), ...expand(pads)] : undefined,
    auto_pad: padding === 'same' ? 'SAME_UPPER' : padding === 'valid' ? 'VALID' : undefined,
  };
  if (transposed === true) attrs.output_padding = expand(constInts(c, outputPadding ?? [0n], 'output padding'));
  const b = bias === null || bias === undefined ? undefined : asSym(c, bias, input.dtype);
  return c.builder.op(transposed === true ? 'ConvTranspose' : 'Conv', [input, w, b], input.dtype, input.rank, attrs);
}

const conv = row('input weight bias stride padding dilation groups', (c, [x, w, b, s, p, d, g]) =>
  convolution(c, [x, w, b, s, p, d, false, null, g]));

function pool(op: 'MaxPool' | 'AveragePool'): Lower {
  return (c, args) => {
    const [x, kernel, stride, padding] = args;
    const input = asSym(c, x);
    const k = constInts(c, kernel, 'pool kernel');
    const spatial = (input.rank ?? k.length + 2) - 2;
    const expand = (v: number[]) => (v.length === 1 && spatial > 1 ? new Array(spatial).fill(v[0]) : v);
    const s = stride === null || stride === undefined || itemsOf(stride)?.length === 0 ? k : constInts(c, stride, 'pool stride');
    const p = expand(constInts(c, padding ?? [0n], 'pool padding'));
    const attrs: Record<string, number[] | number> = { kernel_shape: expand(k), strides: expand(s), pads: [...p, ...p] };
    if (op === 'MaxPool') {
      attrs.dilations = expand(constInts(c, args[4] ?? [1n], 'pool dilation'));
      attrs.ceil_mode = args[5] === true ? 1 : 0;
    } else {
      attrs.ceil_mode = args[4] === true ? 1 : 0;
      attrs.count_include_pad = args[5] === false ? 0 : 1;
      if (args[6] !== null && args[6] !== undefined) throw c.fail('OP_UNSUPPORTED', 'avg_pool divisor_override');
    }
    return c.builder.op(op, [input], input.dtype, input.rank, attrs);
  };
}

function reduce(op: string): Lower {
  return (c, [x, dims, keepdim, dtype]) => {
    let input = asSym(c, x);
    if (dtype !== null && dtype !== undefined) input = cast(c, input, scalarType(c, dtype, input.dtype));
    const axes = dims === null || dims === undefined || itemsOf(dims)?.length === 0 ? undefined : constInts(c, dims, `${op} dims`);
    const keep = keepdim === true ? 1 : 0;
    const rank = input.rank === undefined ? undefined : keep ? input.rank : axes ? input.rank - axes.length : 0;
    return c.builder.op(op, [input, axes ? c.builder.int64s(axes) : undefined], input.dtype, rank, { keepdims: keep });
  };
}

function softmax(op: string): Lower {
  return (c, [x, dim, dtype]) => {
    let input = asSym(c, x);
    if (dtype !== null && dtype !== undefined) input = cast(c, input, scalarType(c, dtype, input.dtype));
    return c.builder.op(op, [input], input.dtype, input.rank, { axis: constInt(c, dim, 'softmax dim') });
  };
}

function reshape(c: OperatorContext, x: Py, shape: Py): Sym {
  const input = asSym(c, x);
  return c.builder.op('Reshape', [input, shapeSym(c, shape)], input.dtype, shapeLength(shape));
}

function transpose(c: OperatorContext, x: Py, a: Py, b: Py): Sym {
  const input = asSym(c, x);
  if (input.rank === undefined) throw c.fail('OP_UNSUPPORTED', 'transpose of a tensor of unknown rank');
  const perm = [...Array(input.rank).keys()];
  const i = normalizeDim(c, constInt(c, a, 'dim'), input.rank);
  const j = normalizeDim(c, constInt(c, b, 'dim'), input.rank);
  [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  return c.builder.op('Transpose', [input], input.dtype, input.rank, { perm });
}

function flatten(c: OperatorContext, x: Py, start: Py, end: Py): Sym {
  const input = asSym(c, x);
  const s = constInt(c, start ?? 0n, 'flatten start');
  const e = constInt(c, end ?? -1n, 'flatten end');
  const rank = input.rank;
  const first = normalizeDim(c, s, rank ?? (s >= 0 ? s + 1 : undefined));
  if (e === -1 || (rank !== undefined && e === rank - 1)) {
    if (first === 0) return c.builder.op('Reshape', [input, c.builder.int64s([-1])], input.dtype, 1);
    const shape = c.builder.op('Shape', [input], 'int64', 1, { end: first });
    const target = c.builder.op('Concat', [shape, c.builder.int64s([-1])], 'int64', 1, { axis: 0 });
    return c.builder.op('Reshape', [input, target], input.dtype, first + 1);
  }
  const last = normalizeDim(c, e, rank);
  const head = c.builder.op('Shape', [input], 'int64', 1, { end: first });
  const tail = c.builder.op('Shape', [input], 'int64', 1, { start: last + 1 });
  const target = c.builder.op('Concat', [head, c.builder.int64s([-1]), tail], 'int64', 1, { axis: 0 });
  return c.builder.op('Reshape', [input, target], input.dtype, rank === undefined ? undefined : rank - (last - first));
}

function size(c: OperatorContext, x: Py, dim: Py): Py {
  const input = asSym(c, x);
  const shape = markShape(c.builder.op('Shape', [input], 'int64', 1), input.rank);
  if (dim === undefined || dim === null) return shape;
  return c.builder.op('Gather', [shape, c.builder.scalar(BigInt(constInt(c, dim, 'size dim')), 'int64')], 'int64', 0, { axis: 0 });
}

function slice(c: OperatorContext, [x, dim, start, end, step]: Py[]): Sym {
  const input = asSym(c, x);
  const bound = (v: Py, fallback: bigint) => listSym(c, [v === null || v === undefined ? fallback : v], 'int64');
  // INT64_MAX from traced code is a valid ONNX Slice end (clamped to the dim).
  return c.builder.op('Slice', [input, bound(start, 0n), bound(end, 9223372036854775807n), c.builder.int64s([constInt(c, dim ?? 0n, 'slice dim')]), bound(step, 1n)], input.dtype, input.rank);
}

/** A 0-d integer graph value (a loop index): `x[i]` is then select(x, 0, i). */
function isIndexScalar(v: Py): boolean {
  return v instanceof Sym && v.rank === 0 && (v.dtype === 'int64' || v.dtype === 'int32');
}

function select(c: OperatorContext, x: Py, dim: Py, index: Py): Sym {
  const input = asSym(c, x);
  return c.builder.op('Gather', [input, asSym(c, index, 'int64')], input.dtype, input.rank === undefined ? undefined : input.rank - 1, { axis: constInt(c, dim, 'select dim') });
}

function concat(c: OperatorContext, tensors: Py, dim: Py): Sym {
  const items = itemsOf(tensors);
  if (!items) throw c.fail('OP_UNSUPPORTED', 'cat of a run-time list of tensors');
  const t = resultType(items);
  return c.builder.op('Concat', items.map((i) => asSym(c, i, t)), t, maxRank(...items), { axis: constInt(c, dim ?? 0n, 'cat dim') });
}

function stack(c: OperatorContext, tensors: Py, dim: Py): Sym {
  if (tensors instanceof ScannedList) return stackScanned(c, tensors.stacked, dim);
  const items = itemsOf(tensors) ?? [];
  const t = resultType(items);
  const d = constInt(c, dim ?? 0n, 'stack dim');
  const axes = c.builder.int64s([d]);
  const unsqueezed = items.map((i) => c.builder.op('Unsqueeze', [asSym(c, i, t), axes], t, undefined));
  const rank = maxRank(...items);
  return c.builder.op('Concat', unsqueezed, t, rank === undefined ? undefined : rank + 1, { axis: d });
}

/** torch.stack of a list a run-time loop appended to: the Loop's scan output with its pass axis moved to `dim`. */
function stackScanned(c: OperatorContext, stacked: Sym, dim: Py): Sym {
  const d = normalizeDim(c, constInt(c, dim ?? 0n, 'stack dim'), stacked.rank);
  if (d === 0) return stacked;
  if (stacked.rank === undefined) throw c.fail('OP_UNSUPPORTED', `stack along dim ${d} of a list of tensors of unknown rank`);
  const perm = [...Array(stacked.rank).keys()].slice(1);
  perm.splice(d, 0, 0);
  return c.builder.op('Transpose', [stacked], stacked.dtype, stacked.rank, { perm });
}

function split(c: OperatorContext, x: Py, sizes: Py, dim: Py): Sym[] {
  const input = asSym(c, x);
  const lengths = constInts(c, sizes, 'split sizes');
  if (typeof sizes === 'bigint') throw c.fail('OP_UNSUPPORTED', 'split by a chunk size (the count of pieces depends on the shape); use split_with_sizes or chunk');
  return c.builder.node('Split', [input, c.builder.int64s(lengths)], lengths.length, { axis: constInt(c, dim ?? 0n, 'split dim') })
    .map((name) => new Sym(name, input.dtype, input.rank));
}

function chunk(c: OperatorContext, x: Py, chunks: Py, dim: Py): Sym[] {
  const input = asSym(c, x);
  const n = constInt(c, chunks, 'chunk count');
  // ONNX Split num_outputs (opset 18) sizes pieces like torch.chunk: ceil(d/n) each, the last smaller.
  return c.builder.node('Split', [input], n, { axis: constInt(c, dim ?? 0n, 'chunk dim'), num_outputs: n })
    .map((name) => new Sym(name, input.dtype, input.rank));
}

function fill(c: OperatorContext, shape: Py, value: Py, dtype: Py, fallback: DType): Sym {
  const t = scalarType(c, dtype, fallback);
  const v = asSym(c, value, t);
  const sizeOf = c.builder.op('Reshape', [v, c.builder.int64s([1])], t, 1);
  return c.builder.op('Expand', [sizeOf, shapeSym(c, shape)], t, shapeLength(shape));
}

function fillLike(c: OperatorContext, x: Py, value: Py, dtype: Py): Sym {
  const input = asSym(c, x);
  const t = scalarType(c, dtype, input.dtype);
  const shape = c.builder.op('Shape', [input], 'int64', 1);
  return c.builder.op('Expand', [c.builder.op('Reshape', [asSym(c, value, t), c.builder.int64s([1])], t, 1), shape], t, input.rank);
}

function arange(c: OperatorContext, start: Py, end: Py, step: Py, dtype: Py): Sym {
  const t = scalarType(c, dtype, [start, end, step].some((v) => typeof v === 'number' || (v instanceof Sym && DTYPES[v.dtype].float)) ? 'float32' : 'int64');
  return c.builder.op('Range', [asSym(c, start, t), asSym(c, end, t), asSym(c, step, t)], t, 1);
}

/** torch.tensor of nested lists of load-time numbers: one constant, its shape the nesting (ragged lists are MODEL_INVALID). */
function nestedConstant(c: OperatorContext, items: Py[], dtype: DType | undefined): Sym {
  const shape: number[] = [];
  for (let level: Py = items; Array.isArray(level); level = level[0]) shape.push(level.length);
  const leaves: Py[] = [];
  const walk = (v: Py, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') throw c.fail('OP_UNSUPPORTED', 'torch.tensor of nested lists holding run-time values');
      leaves.push(v);
    } else if (!Array.isArray(v) || v.length !== shape[depth]) throw c.fail('MODEL_INVALID', 'torch.tensor of ragged nested lists');
    else v.forEach((x) => walk(x, depth + 1));
  };
  walk(items, 0);
  const t = dtype ?? resultType(leaves);
  const flat = listSym(c, leaves, t);
  return c.builder.op('Reshape', [flat, c.builder.int64s(shape)], t, shape.length);
}

/** The target dtype of the many `aten::to` overloads: the first ScalarType code, or the dtype of a tensor argument. */
function toDtype(c: OperatorContext, x: Sym, args: Py[]): DType {
  for (const a of args) {
    if (typeof a === 'bigint') return scalarType(c, a, x.dtype);
    if (a instanceof Sym || a instanceof Tensor) return a.dtype;
  }
  return x.dtype;
}

function attention(c: OperatorContext, [q, k, v, mask, , causal, scale]: Py[]): Sym {
  const query = asSym(c, q);
  const key = asSym(c, k, query.dtype);
  const value = asSym(c, v, query.dtype);
  const rank = query.rank ?? 4;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  const keyT = c.builder.op('Transpose', [key], key.dtype, rank, { perm });
  let factor: Sym;
  if (scale !== null && scale !== undefined) factor = asSym(c, scale, query.dtype);
  else {
    // Default scale 1/sqrt(E), E the last dim of the query (torch.nn.functional.scaled_dot_product_attention).
    const e = c.builder.op('Shape', [query], 'int64', 1, { start: -1 });
    factor = c.builder.op('Reciprocal', [c.builder.op('Sqrt', [cast(c, e, query.dtype)], query.dtype, 1)], query.dtype, 1);
  }
  let scores = c.builder.op('Mul', [c.builder.op('MatMul', [query, keyT], query.dtype, rank), factor], query.dtype, rank);
  if (causal === true) throw c.fail('OP_UNSUPPORTED', 'scaled_dot_product_attention with is_causal=True');
  if (mask !== null && mask !== undefined) {
    const m = asSym(c, mask);
    scores = m.dtype === 'bool'
      ? c.builder.op('Where', [m, scores, c.builder.scalar(-Infinity, query.dtype)], query.dtype, rank)
      : c.builder.op('Add', [scores, cast(c, m, query.dtype)], query.dtype, rank);
  }
  const weights = c.builder.op('Softmax', [scores], query.dtype, rank, { axis: -1 });
  return c.builder.op('MatMul', [weights, value], query.dtype, rank);
}

const identity = row('self', (c, [x]) => asSym(c, x));

export const ATEN_OPS: Record<string, OperatorRow> = {
  'aten::add': row('self other alpha', addLike('Add')),
  'aten::sub': row('self other alpha', addLike('Sub')),
  'aten::rsub': row('self other alpha', addLike('Sub', true)),
  'aten::mul': binary('Mul'),
  'aten::div': row('self other rounding_mode', (c, [a, b, mode]) => divide(c, a, b, mode)),
  'aten::floordiv': row('self other', (c, [a, b]) => divide(c, a, b, 'floor')),
  'aten::floor_divide': row('self other', (c, [a, b]) => divide(c, a, b, 'floor')),
  'aten::remainder': row('self other', (c, [a, b]) => remainder(c, a, b)),
  'aten::pow': binary('Pow'),
  'aten::eq': binary('Equal', true),
  'aten::lt': binary('Less', true),
  'aten::le': binary('LessOrEqual', true),
  'aten::gt': binary('Greater', true),
  'aten::ge': binary('GreaterOrEqual', true),
  'aten::ne': row('self other', (c, args) => {
    const eq = binary('Equal', true).lower(c, args) as Sym | undefined;
    return eq && c.builder.op('Not', [eq], 'bool', eq.rank);
  }),
  'aten::maximum': binary('Max'),
  'aten::minimum': binary('Min'),
  'aten::__and__': binary('And', true),
  'aten::logical_and': binary('And', true),
  'aten::__or__': binary('Or', true),
  'aten::logical_or': binary('Or', true),
  'aten::logical_not': unary('Not'),
  'aten::neg': unary('Neg'),
  'aten::abs': unary('Abs'),
  'aten::relu': unary('Relu'),
  'aten::sigmoid': floatUnary('Sigmoid'),
  'aten::tanh': floatUnary('Tanh'),
  'aten::exp': floatUnary('Exp'),
  'aten::log': floatUnary('Log'),
  'aten::sqrt': floatUnary('Sqrt'),
  'aten::erf': floatUnary('Erf'),
  'aten::sin': floatUnary('Sin'),
  'aten::cos': floatUnary('Cos'),
  'aten::reciprocal': floatUnary('Reciprocal'),
  'aten::floor': unary('Floor'),
  'aten::ceil': unary('Ceil'),
  'aten::hardswish': unary('HardSwish'),
  // torch hardsigmoid is relu6(x + 3) / 6: ONNX HardSigmoid with alpha 1/6, beta 1/2.
  'aten::hardsigmoid': row('self', (c, [x]) => {
    const s = asSym(c, x);
    return c.builder.op('HardSigmoid', [s], s.dtype, s.rank, { alpha: floatAttr(1 / 6), beta: floatAttr(0.5) });
  }),
  'aten::rsqrt': row('self', (c, [x]) => {
    const s = floatUnary('Sqrt').lower(c, [x]) as Sym;
    return c.builder.op('Reciprocal', [s], s.dtype, s.rank);
  }),
  'aten::silu': row('self', (c, [x]) => {
    const s = asSym(c, x);
    return c.builder.op('Mul', [s, c.builder.op('Sigmoid', [s], s.dtype, s.rank)], s.dtype, s.rank);
  }),
  'aten::gelu': row('self approximate', (c, [x, approximate]) => {
    const s = asSym(c, x);
    return c.builder.op('Gelu', [s], s.dtype, s.rank, { approximate: approximate === 'tanh' ? 'tanh' : 'none' });
  }),
  'aten::leaky_relu': row('self negative_slope', (c, [x, slope]) => {
    const s = asSym(c, x);
    return c.builder.op('LeakyRelu', [s], s.dtype, s.rank, { alpha: floatAttr(constFloat(c, slope ?? 0.01, 'negative_slope')) });
  }),
  'aten::elu': row('self alpha', (c, [x, alpha]) => {
    const s = asSym(c, x);
    return c.builder.op('Elu', [s], s.dtype, s.rank, { alpha: floatAttr(constFloat(c, alpha ?? 1, 'alpha')) });
  }),
  'aten::relu6': row('self', (c, [x]) => clip(c, x, 0, 6)),
  'aten::hardtanh': row('self min_val max_val', (c, [x, min, max]) => clip(c, x, min ?? -1, max ?? 1)),
  'aten::clamp': row('self min max', (c, [x, min, max]) => clip(c, x, min, max)),
  'aten::masked_fill': row('self mask value', (c, [x, mask, value]) => {
    const s = asSym(c, x);
    return c.builder.op('Where', [asSym(c, mask, 'bool'), asSym(c, value, s.dtype), s], s.dtype, s.rank);
  }),
  'aten::linear': row('input weight bias', (c, [x, w, b]) => linear(c, x, w, b)),
  'aten::matmul': row('self other', (c, [a, b]) => {
    const t = resultType([a, b]);
    const ra = rankOf(a);
    const rb = rankOf(b);
    const rank = ra === undefined || rb === undefined ? undefined : rb === 1 ? ra - 1 : ra === 1 ? rb - 1 : Math.max(ra, rb);
    return c.builder.op('MatMul', [asSym(c, a, t), asSym(c, b, t)], t, rank);
  }),
  'aten::mm': binary('MatMul'),
  'aten::bmm': binary('MatMul'),
  'aten::addmm': row('self mat1 mat2 beta alpha', (c, [bias, a, b, beta, alpha]) => {
    const t = resultType([a, b]);
    return c.builder.op('Gemm', [asSym(c, a, t), asSym(c, b, t), asSym(c, bias, t)], t, 2, {
      alpha: floatAttr(constFloat(c, alpha ?? 1, 'alpha')), beta: floatAttr(constFloat(c, beta ?? 1, 'beta')),
    });
  }),
  'aten::_convolution': row('input weight bias stride padding dilation transposed output_padding groups', (c, args) => convolution(c, args)),
  'aten::conv1d': conv,
  'aten::conv2d': conv,
  'aten::conv3d': conv,
  'aten::batch_norm': row('input weight bias running_mean running_var training momentum eps', (c, [x, w, b, mean, variance, , , eps]) => {
    const input = asSym(c, x);
    const ones = (v: Py, fill: number) => (v === null || v === undefined
      ? fillLike(c, mean, fill, null)
      : asSym(c, v, input.dtype));
    return c.builder.op('BatchNormalization', [input, ones(w, 1), ones(b, 0), asSym(c, mean, input.dtype), asSym(c, variance, input.dtype)], input.dtype, input.rank, {
      epsilon: floatAttr(constFloat(c, eps ?? 1e-5, 'eps')),
    });
  }),
  'aten::layer_norm': row('input normalized_shape weight bias eps', (c, [x, shape, w, b, eps]) => {
    const input = asSym(c, x);
    const dims = constInts(c, shape, 'normalized_shape');
    const axis = -dims.length;
    // elementwise_affine=False / bias=False pass None: constant ones / zeros of normalized_shape (onnxruntime's
    // CPU LayerNormalization crashed the process without a bias input).
    const filled = (v: Py, fill: number) => (v === null || v === undefined
      ? asSym(c, new Tensor('float32', dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(fill)), input.dtype)
      : asSym(c, v, input.dtype));
    return c.builder.op('LayerNormalization', [input, filled(w, 1), filled(b, 0)], input.dtype, input.rank, {
      axis, epsilon: floatAttr(constFloat(c, eps ?? 1e-5, 'eps')),
    });
  }),
  'aten::max_pool1d': row('self kernel_size stride padding dilation ceil_mode', pool('MaxPool')),
  'aten::max_pool2d': row('self kernel_size stride padding dilation ceil_mode', pool('MaxPool')),
  'aten::max_pool3d': row('self kernel_size stride padding dilation ceil_mode', pool('MaxPool')),
  'aten::avg_pool1d': row('self kernel_size stride padding ceil_mode count_include_pad', pool('AveragePool')),
  'aten::avg_pool2d': row('self kernel_size stride padding ceil_mode count_include_pad divisor_override', pool('AveragePool')),
  'aten::avg_pool3d': row('self kernel_size stride padding ceil_mode count_include_pad divisor_override', pool('AveragePool')),
  'aten::softmax': row('self dim dtype', softmax('Softmax')),
  'aten::log_softmax': row('self dim dtype', softmax('LogSoftmax')),
  'aten::mean': row('self dim keepdim dtype', reduce('ReduceMean')),
  'aten::sum': row('self dim keepdim dtype', reduce('ReduceSum')),
  'aten::amax': row('self dim keepdim', reduce('ReduceMax')),
  'aten::amin': row('self dim keepdim', reduce('ReduceMin')),
  'aten::cat': row('tensors dim', (c, [ts, dim]) => concat(c, ts, dim)),
  'aten::concat': row('tensors dim', (c, [ts, dim]) => concat(c, ts, dim)),
  'aten::stack': row('tensors dim', (c, [ts, dim]) => stack(c, ts, dim)),
  'aten::split': row('self split_size dim', (c, [x, sizes, dim]) => split(c, x, sizes, dim)),
  'aten::split_with_sizes': row('self split_sizes dim', (c, [x, sizes, dim]) => split(c, x, sizes, dim)),
  'aten::chunk': row('self chunks dim', (c, [x, n, dim]) => chunk(c, x, n, dim)),
  'aten::view': row('self size', (c, [x, shape]) => reshape(c, x, shape)),
  'aten::reshape': row('self shape', (c, [x, shape]) => reshape(c, x, shape)),
  'aten::flatten': row('self start_dim end_dim', (c, [x, s, e]) => flatten(c, x, s, e)),
  'aten::permute': row('self dims', (c, [x, dims]) => {
    const s = asSym(c, x);
    const perm = constInts(c, dims, 'permute dims').map((d) => normalizeDim(c, d, s.rank ?? itemsOf(dims)!.length));
    return c.builder.op('Transpose', [s], s.dtype, perm.length, { perm });
  }),
  'aten::transpose': row('self dim0 dim1', (c, [x, a, b]) => transpose(c, x, a, b)),
  'aten::t': row('self', (c, [x]) => (rankOf(x) === 2 ? transpose(c, x, 0n, 1n) : asSym(c, x))),
  'aten::contiguous': identity,
  // clone is a copy: a value of its own, so an in-place op on it leaves the original (contiguous/detach alias it).
  'aten::clone': row('self', (c, [x]) => {
    const s = asSym(c, x);
    return c.builder.op('Identity', [s], s.dtype, s.rank);
  }),
  'aten::detach': identity,
  'aten::dropout': identity,
  'aten::feature_dropout': identity,
  'aten::alpha_dropout': identity,
  'aten::unsqueeze': row('self dim', (c, [x, dim]) => {
    const s = asSym(c, x);
    return c.builder.op('Unsqueeze', [s, c.builder.int64s([constInt(c, dim, 'unsqueeze dim')])], s.dtype, s.rank === undefined ? undefined : s.rank + 1);
  }),
  'aten::squeeze': row('self dim', (c, [x, dim]) => {
    const s = asSym(c, x);
    if (dim === undefined || dim === null) return c.builder.op('Squeeze', [s], s.dtype, undefined);
    return c.builder.op('Squeeze', [s, c.builder.int64s(constInts(c, dim, 'squeeze dim'))], s.dtype, s.rank === undefined ? undefined : s.rank - 1);
  }),
  'aten::expand': row('self size', (c, [x, shape]) => {
    const s = asSym(c, x);
    // torch's -1 keeps a dim; ONNX Expand broadcasts, and a 1 there keeps the input's dim.
    const dims = (itemsOf(shape) ?? []).map((d) => (d === -1n ? 1n : d));
    return c.builder.op('Expand', [s, shapeSym(c, dims)], s.dtype, dims.length);
  }),
  'aten::expand_as': row('self other', (c, [x, other]) => {
    const s = asSym(c, x);
    return c.builder.op('Expand', [s, c.builder.op('Shape', [asSym(c, other)], 'int64', 1)], s.dtype, rankOf(other));
  }),
  'aten::size': row('self dim', (c, [x, dim]) => size(c, x, dim)),
  'aten::numel': row('self', (c, [x]) => c.builder.op('Size', [asSym(c, x)], 'int64', 0)),
  'aten::slice': row('self dim start end step', (c, args) => slice(c, args)),
  'aten::select': row('self dim index', (c, [x, dim, index]) => select(c, x, dim, index)),
  'aten::__getitem__': row('self index', (c, [x, index]) => (x instanceof Unbound && typeof index === 'bigint' ? unboundPiece(c, x, index) : x instanceof Sym && (typeof index === 'bigint' || isIndexScalar(index)) ? select(c, x, 0n, index) : undefined)),
  'aten::embedding': row('weight indices padding_idx scale_grad_by_freq sparse', (c, [w, ids]) => {
    const weight = asSym(c, w);
    const indices = asSym(c, ids);
    return c.builder.op('Gather', [weight, indices], weight.dtype, indices.rank === undefined ? undefined : indices.rank + 1, { axis: 0 });
  }),
  'aten::to': row('self', (c, [x, ...rest]) => {
    const s = asSym(c, x);
    return cast(c, s, toDtype(c, s, rest));
  }),
  'aten::type_as': row('self other', (c, [x, other]) => cast(c, asSym(c, x), asSym(c, other).dtype)),
  'aten::float': row('self', (c, [x]) => cast(c, asSym(c, x), 'float32')),
  'aten::long': row('self', (c, [x]) => cast(c, asSym(c, x), 'int64')),
  'aten::int': row('self', (c, [x]) => cast(c, asSym(c, x), 'int32')),
  'aten::tensor': row('data dtype device requires_grad', (c, [data, dtype]) => {
    const t = dtype === null || dtype === undefined ? undefined : scalarType(c, dtype, 'float32');
    if (isRuntime(data)) return asSym(c, data, t);
    const items = itemsOf(data);
    if (!items) return asSym(c, data, t ?? resultType([data]));
    if (items.some((i) => Array.isArray(i))) return nestedConstant(c, items, t);
    return listSym(c, items, t);
  }),
  'aten::arange': row('start end step dtype', (c, args) => {
    // arange(end, dtype, ...) / arange(start, end, dtype, ...) / arange(start, end, step, dtype, ...)
    const numeric = args.filter((a) => typeof a === 'bigint' || typeof a === 'number' || a instanceof Sym);
    const dtypeAt = numeric.length;
    const [start, end, step] = numeric.length === 1 ? [0n, numeric[0], 1n] : [numeric[0], numeric[1], numeric[2] ?? 1n];
    return arange(c, start, end, step, args[dtypeAt]);
  }),
  'aten::zeros': row('size dtype', (c, [shape, dtype]) => fill(c, shape, 0, dtype, 'float32')),
  'aten::ones': row('size dtype', (c, [shape, dtype]) => fill(c, shape, 1, dtype, 'float32')),
  'aten::full': row('size fill_value dtype', (c, [shape, value, dtype]) => fill(c, shape, value, dtype, typeof value === 'bigint' ? 'int64' : 'float32')),
  'aten::zeros_like': row('self dtype', (c, [x, dtype]) => fillLike(c, x, 0, dtype)),
  'aten::ones_like': row('self dtype', (c, [x, dtype]) => fillLike(c, x, 1, dtype)),
  'aten::full_like': row('self fill_value dtype', (c, [x, value, dtype]) => fillLike(c, x, value, dtype)),
  'aten::__range_length': row('lo hi step', (c, [lo, hi, step]) => rangeLength(c, lo, hi, step)),
  'aten::__derive_index': row('index start step', (c, [index, start, step]) => deriveIndex(c, index, start, step)),
  'aten::_native_multi_head_attention': row('query key value embed_dim num_head qkv_weight qkv_bias proj_weight proj_bias mask need_weights average_attn_weights mask_type', lowerMultiHeadAttention),
  'aten::_transformer_encoder_layer_fwd': row('src embed_dim num_heads qkv_weight qkv_bias proj_weight proj_bias use_gelu norm_first eps norm_weight_1 norm_bias_1 norm_weight_2 norm_bias_2 ffn_weight_1 ffn_bias_1 ffn_weight_2 ffn_bias_2 mask mask_type', lowerEncoderLayer),
  'aten::scaled_dot_product_attention': row('query key value attn_mask dropout_p is_causal scale', (c, args) => attention(c, args)),
  'aten::lstm': row('input hx params has_biases num_layers dropout train bidirectional batch_first', (c, args) => lowerRecurrent(c, 'LSTM', args)),
  'aten::gru': row('input hx params has_biases num_layers dropout train bidirectional batch_first', (c, args) => lowerRecurrent(c, 'GRU', args)),
  ...INDEXING_OPS,
  ...TENSOR_OPS,
  ...VISION_OPS,
};
