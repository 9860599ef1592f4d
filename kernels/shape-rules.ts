/**
 * The building blocks kernel families write their shape functions with: dims that are sizes, symbols or null
 * (unknown), broadcasting over them, and the small integer vectors (`elements`) that shape arithmetic carries.
 * A rule that cannot be sure answers null: an unknown dim is allowed, a wrong one is not.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { Dim } from '../src/graph/ir.js';
import type { DType } from '../src/tensor/dtype.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { toIndices } from './elements.js';
import { canonicalDomain, type KernelDef, type ShapeContext, type ShapeFn, type ShapeInfo } from './registry.js';
import { slideWindow, type WindowAttrs } from './window.js';

/** Shape functions by op ('Op' for ai.onnx, 'domain::Op' otherwise), one table a family. */
export type ShapeTable = Readonly<Partial<Record<string, ShapeFn>>>;

/** The family's kernels with their shape functions attached (every `since` version of an op shares one). */
export function withShapes(kernels: readonly KernelDef[], table: ShapeTable): KernelDef[] {
  return kernels.map((k) => {
    const domain = canonicalDomain(k.domain);
    const fn = table[domain ? `${domain}::${k.op}` : k.op];
    return fn && !k.shape ? { ...k, shape: fn } : k;
  });
}

export const INTEGER_DTYPES: ReadonlySet<DType> = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);
/** Integer tensors up to this many elements carry their values through planning (shape vectors, axes). */
export const ELEMENTS_LIMIT = 64;

/** Dtype, dims and (small integer vectors) elements of a known tensor. */
export function infoOfTensor(t: Tensor): ShapeInfo {
  const info: ShapeInfo = { dtype: t.dtype, dims: [...t.shape] };
  if (INTEGER_DTYPES.has(t.dtype) && t.rank <= 1 && t.size <= ELEMENTS_LIMIT) info.elements = toIndices(t);
  return info;
}

export function knownDims(dims: readonly Dim[] | undefined): dims is number[] {
  return dims !== undefined && dims.every((d) => typeof d === 'number');
}

/** The product of dims, or null when one is not a size (0 wins: an empty tensor stays empty). */
export function dimProduct(dims: readonly Dim[]): number | null {
  if (dims.includes(0)) return 0;
  return knownDims(dims) ? dims.reduce((a, b) => a * b, 1) : null;
}

/** One output dim of a broadcast (ONNX Broadcasting.md): a size other than 1 decides; two different sizes are an error. */
export function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === b) return a;
  if (typeof a === 'number' && typeof b === 'number') throw new NeuropodError('MODEL_INVALID', `dims ${a} and ${b} cannot be broadcast together`);
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return null;
}

export function broadcastDims(shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = new Array<Dim>(rank).fill(1);
  for (const s of shapes) s.forEach((d, i) => (out[rank - s.length + i] = broadcastDim(out[rank - s.length + i]!, d)));
  return out;
}

/** Two dims an op requires equal (Concat's other axes, MatMul's inner): the better known one. */
export function mergeDim(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) throw new NeuropodError('MODEL_INVALID', `dims ${a} and ${b} must be equal`);
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return a ?? b;
}

/** An axis in [-rank, rank) made non-negative, for shape rules (out of range is the model's error). */
export function axisOf(axis: number, rank: number): number {
  if (axis < -rank || axis >= Math.max(rank, 1)) throw new NeuropodError('MODEL_INVALID', `axis ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Output 0 as input `i` (dtype and dims); `dtype` overrides the dtype. */
export function sameAs(i = 0, dtype?: DType): ShapeFn {
  return (inputs) => [{ dtype: dtype ?? inputs[i]?.dtype, dims: inputs[i]?.dims }];
}

/** Every output as input 0 (ops whose extra outputs mirror the first, e.g. Dropout's mask as bool). */
export const sameShape: ShapeFn = sameAs(0);

/** Numpy broadcasting of every given input, in input 0's dtype (or `dtype`). */
export function broadcastOf(dtype?: DType): ShapeFn {
  return (inputs) => {
    const given = inputs.filter((x): x is ShapeInfo => x !== undefined);
    const dims = given.every((x) => x.dims) ? broadcastDims(given.map((x) => x.dims!)) : undefined;
    return [{ dtype: dtype ?? inputs[0]?.dtype, dims }];
  };
}

/**
 * An integer list the op takes as input `i` (from `inputSince`) or as attribute `name` before: the values when
 * known, undefined when absent, null when given but not known at planning time.
 */
export function intsOperand(inputs: (ShapeInfo | undefined)[], ctx: ShapeContext, i: number, name: string, inputSince: number): Dim[] | undefined | null {
  if (ctx.opset < inputSince) return ctx.attrs.ints(name);
  if (ctx.node.inputs[i] === undefined || ctx.node.inputs[i] === '') return undefined;
  const constant = ctx.constant(i);
  if (constant) return toIndices(constant);
  return inputs[i]?.elements ?? null;
}

/** Known integer values only (a list with a symbol or null in it is not known). */
export function knownInts(values: Dim[] | undefined | null): number[] | undefined {
  return values && knownDims(values) ? values : undefined;
}

/** A rank-r list of nulls: the rank is known, the sizes are not. */
export function unknownDims(rank: number): Dim[] {
  return new Array<Dim>(rank).fill(null);
}

type ElementOp = (a: Dim, b: Dim) => Dim;

/** Shape arithmetic on known elements, exact or null: sizes compute, symbols pass through identities (x·1, x+0). */
export const ELEMENT_ARITHMETIC: Record<'Add' | 'Sub' | 'Mul' | 'Div', ElementOp> = {
  Add: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a + b : a === 0 ? b : b === 0 ? a : null),
  Sub: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : b === 0 ? a : a !== null && a === b ? 0 : null),
  Mul: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a * b : a === 1 ? b : b === 1 ? a : a === 0 || b === 0 ? 0 : null),
  Div: (a, b) => (typeof a === 'number' && typeof b === 'number' ? (b === 0 ? null : Math.trunc(a / b)) : b === 1 ? a : null),
};

function combineElements(a: ShapeInfo | undefined, b: ShapeInfo | undefined, op: ElementOp): Dim[] | undefined {
  const x = a?.elements, y = b?.elements;
  if (!x || !y || (x.length !== y.length && x.length !== 1 && y.length !== 1)) return undefined;
  return Array.from({ length: Math.max(x.length, y.length) }, (_, i) => op(x[i % x.length]!, y[i % y.length]!));
}

/**
 * Binary elementwise ops: numpy broadcasting from opset 7; before it B was broadcast onto A, so the output has
 * A's shape. `elements` combines integer shape vectors (Shape(x)[1] * Shape(x)[2]).
 */
export function binaryOf(dtype?: DType, elements?: ElementOp): ShapeFn {
  const broadcast = broadcastOf(dtype);
  return (inputs, ctx) => {
    const [a, b] = inputs;
    const out: ShapeInfo = ctx.opset < 7 ? { dtype: dtype ?? a?.dtype, dims: a?.dims } : broadcast(inputs, ctx)[0]!;
    if (elements && out.dtype && INTEGER_DTYPES.has(out.dtype)) out.elements = combineElements(a, b, elements);
    return [out];
  };
}

/**
 * The product of dims with symbols kept where that is exact: [batch, 1] is batch; [batch, 3] is unknown (a
 * product of a symbol is a new quantity this engine does not name).
 */
export function symbolicProduct(dims: readonly Dim[]): Dim {
  if (dims.includes(0)) return 0;
  const rest = dims.filter((d) => d !== 1);
  if (rest.length === 1) return rest[0]!;
  return dimProduct(rest);
}

/** numerator / denominator over dims, cancelling equal symbols: [batch, 12, 64] / [batch, 12] is 64; null when not exact. */
export function dimQuotient(numerator: readonly Dim[], denominator: readonly Dim[]): Dim {
  const num = [...numerator], den: Dim[] = [];
  for (const d of denominator) {
    const at = typeof d === 'string' ? num.indexOf(d) : -1;
    if (at >= 0) num.splice(at, 1);
    else den.push(d);
  }
  const d = dimProduct(den);
  if (d === null || d === 0) return null;
  const symbols = num.filter((x) => typeof x !== 'number');
  const n = dimProduct(num.filter((x) => typeof x === 'number'))!;
  if (symbols.length === 0) return n % d === 0 ? n / d : null;
  return symbols.length === 1 && n === d ? symbols[0]! : null;
}

/** a + b over dims: sizes add; a symbol plus 0 stays itself. */
export function dimSum(a: Dim, b: Dim): Dim {
  return ELEMENT_ARITHMETIC.Add(a, b);
}

/**
 * numpy.matmul's result dims (ONNX MatMul doc): 1-D operands get a 1 prepended (A) or appended (B) that the
 * result drops; the batch dims broadcast; the inner dims must agree.
 */
export function matmulDims(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const x = a.length === 1 ? [1, a[0]!] : [...a], y = b.length === 1 ? [b[0]!, 1] : [...b];
  mergeDim(x[x.length - 1]!, y[y.length - 2]!);
  const batch = broadcastDims([x.slice(0, -2), y.slice(0, -2)]);
  return [...batch, ...(a.length === 1 ? [] : [x[x.length - 2]!]), ...(b.length === 1 ? [] : [y[y.length - 1]!])];
}

/** MatMul-like ops: numpy.matmul of inputs `ia` and `ib`, in `dtype` (or input a's). */
export function matmulOf(ia = 0, ib = 1, dtype?: DType): ShapeFn {
  return (inputs) => {
    const a = inputs[ia], b = inputs[ib];
    return [{ dtype: dtype ?? a?.dtype, dims: a?.dims && b?.dims ? matmulDims(a.dims, b.dims) : undefined }];
  };
}

/** Output spatial dims of a sliding window (Conv, pools): each known dim by `slideWindow`, a symbolic one unknown. */
export function slidingDims(image: readonly Dim[], w: WindowAttrs): Dim[] {
  const r = image.length;
  return image.map((n, i) => {
    if (typeof n !== 'number' || w.kernel[i] === undefined) return null;
    const one = { ...w, kernel: [w.kernel[i]!], strides: [w.strides[i] ?? 1], dilations: [w.dilations[i] ?? 1], pads: [w.pads[i] ?? 0, w.pads[i + r] ?? 0] };
    return slideWindow([n], one).grid[0]!;
  });
}

/** What holds for a value that is one of `a` or `b` (If's branches, a Loop's iterations): the dims they agree on. */
export function mergeInfos(a: ShapeInfo | undefined, b: ShapeInfo | undefined): ShapeInfo {
  const dtype = a?.dtype && b?.dtype ? (a.dtype === b.dtype ? a.dtype : undefined) : (a?.dtype ?? b?.dtype);
  const x = a?.dims, y = b?.dims;
  const dims = x && y && x.length === y.length ? x.map((d, i) => (d === y[i] ? d : null)) : undefined;
  return { dtype, dims };
}

export function sameInfo(a: ShapeInfo | undefined, b: ShapeInfo | undefined): boolean {
  return a?.dtype === b?.dtype && JSON.stringify(a?.dims) === JSON.stringify(b?.dims);
}
