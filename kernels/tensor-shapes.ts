/**
 * Shape functions of the shape and layout operators (kernels/tensor.ts), from their ONNX Operators.md
 * definitions. They also carry small integer vectors (`elements`) through Shape, Gather, Concat, Slice,
 * Squeeze and Unsqueeze, so a Reshape target built from Shape(x) keeps x's symbols.
 */
import type { Dim } from '../src/graph/ir.js';
import { sliceRange, type AxisRange } from './slice.js';
import type { ShapeContext, ShapeFn, ShapeInfo } from './registry.js';
import {
  axisOf, broadcastDims, dimQuotient, dimSum, intsOperand, knownInts, mergeDim, sameShape, symbolicProduct, unknownDims, type ShapeTable,
} from './shape-rules.js';

type Inputs = (ShapeInfo | undefined)[];

/** Reshape: 0 copies the input dim (unless allowzero), one -1 is what the other dims leave of the input. */
function reshapeTarget(input: Dim[] | undefined, target: Dim[], allowZero: boolean): Dim[] {
  const out = target.map((t, i) => (t === 0 && !allowZero ? (input?.[i] ?? null) : t === -1 ? -1 : t));
  const inferred = out.indexOf(-1);
  if (inferred >= 0) out[inferred] = input ? dimQuotient(input, out.filter((_, i) => i !== inferred)) : null;
  return out;
}

const reshape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  const target = ctx.opset < 5 ? ctx.attrs.ints('shape') : intsOperand(inputs, ctx, 1, 'shape', 5);
  if (!target) {
    const rank = inputs[1]?.dims?.[0];
    return [{ dtype: x?.dtype, dims: typeof rank === 'number' ? unknownDims(rank) : undefined }];
  }
  const dims = reshapeTarget(x?.dims, target, ctx.attrs.int('allowzero', 0) === 1);
  return [{ dtype: x?.dtype, dims, elements: dims.length <= 1 ? x?.elements : undefined }];
};

function permuted(inputs: Inputs, ctx: ShapeContext): ShapeInfo[] {
  const x = inputs[0];
  if (!x?.dims) return [{ dtype: x?.dtype }];
  const perm = ctx.attrs.ints('perm', x.dims.map((_, i) => x.dims!.length - 1 - i));
  return [{ dtype: x.dtype, dims: perm.map((p) => x.dims![p]!) }];
}

const squeeze: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  const axes = intsOperand(inputs, ctx, 1, 'axes', 13);
  if (!x?.dims || axes === null) return [{ dtype: x?.dtype }];
  if (axes === undefined || axes.length === 0) {
    // Without axes every 1 goes, so a dim that may be 1 leaves the rank unknown.
    if (x.dims.some((d) => typeof d !== 'number')) return [{ dtype: x.dtype }];
    return [{ dtype: x.dtype, dims: x.dims.filter((d) => d !== 1), elements: x.elements }];
  }
  const drop = new Set(knownInts(axes)?.map((a) => axisOf(a, x.dims!.length)));
  if (drop.size !== axes.length) return [{ dtype: x.dtype }];
  return [{ dtype: x.dtype, dims: x.dims.filter((_, i) => !drop.has(i)), elements: x.elements }];
};

const unsqueeze: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  const axes = knownInts(intsOperand(inputs, ctx, 1, 'axes', 13));
  if (!x?.dims || !axes) return [{ dtype: x?.dtype }];
  const rank = x.dims.length + axes.length;
  const at = new Set(axes.map((a) => axisOf(a, rank)));
  const rest = [...x.dims];
  const dims = Array.from({ length: rank }, (_, i) => (at.has(i) ? 1 : rest.shift()!));
  return [{ dtype: x.dtype, dims, elements: rank <= 1 ? x.elements : undefined }];
};

const flatten: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  if (!x?.dims) return [{ dtype: x?.dtype, dims: unknownDims(2) }];
  // Flatten's axis lies in [-r, r]; a negative one counts from r (Flatten-13 doc).
  const axis = ctx.attrs.int('axis', 1), a = axis < 0 ? axis + x.dims.length : axis;
  if (a < 0 || a > x.dims.length) return [{ dtype: x.dtype, dims: unknownDims(2) }];
  return [{ dtype: x.dtype, dims: [symbolicProduct(x.dims.slice(0, a)), symbolicProduct(x.dims.slice(a))] }];
};

const concat: ShapeFn = (inputs, ctx) => {
  const given = inputs.filter((x, i) => ctx.node.inputs[i] !== '' && x !== undefined) as ShapeInfo[];
  const dtype = given.find((x) => x.dtype)?.dtype;
  if (given.length !== ctx.node.inputs.filter((n) => n !== '').length || given.some((x) => !x.dims)) return [{ dtype }];
  const rank = Math.max(...given.map((x) => x.dims!.length));
  // The kernel drops empty 1-D inputs when ranks differ (exporters' "nothing"); so does this rule.
  const parts = given.filter((x) => x.dims!.length === rank || x.dims![0] !== 0);
  if (parts.some((x) => x.dims!.length !== rank)) return [{ dtype }];
  const axis = axisOf(ctx.attrs.int('axis', 1), rank);
  const dims = parts[0]!.dims!.map((_, d) => (d === axis ? parts.map((p) => p.dims![d] as Dim).reduce(dimSum) : parts.map((p) => p.dims![d] as Dim).reduce(mergeDim)));
  const elements = rank === 1 && parts.every((p) => p.elements) ? parts.flatMap((p) => p.elements!) : undefined;
  return [{ dtype, dims, elements }];
};

const split: ShapeFn = (inputs, ctx) => {
  const x = inputs[0], outputs = ctx.node.outputs.length;
  if (!x?.dims) return ctx.node.outputs.map(() => ({ dtype: x?.dtype }));
  const axis = axisOf(ctx.attrs.int('axis', 0), x.dims.length), dim = x.dims[axis]!;
  const given = ctx.opset < 13 ? (ctx.attrs.ints('split') ?? knownInts(intsOperand(inputs, ctx, 1, 'split', 1))) : intsOperand(inputs, ctx, 1, 'split', 13);
  let sizes: Dim[];
  if (given === null) sizes = unknownDims(outputs);
  else if (given && given.length) sizes = given;
  else {
    const n = ctx.attrs.int('num_outputs') ?? outputs, part = typeof dim === 'number' ? Math.ceil(dim / n) : null;
    if (ctx.attrs.has('num_outputs')) sizes = Array.from({ length: n }, (_, i) => (part === null ? null : Math.max(0, Math.min(part, (dim as number) - i * part))));
    else sizes = new Array<Dim>(n).fill(typeof dim === 'number' ? dim / n : null);
  }
  return sizes.map((s) => ({ dtype: x.dtype, dims: x.dims!.map((d, i) => (i === axis ? s : d)) }));
};

/** One axis of a Slice: a size by sliceRange, a symbol kept only when taken whole (0 to INT_MAX, step 1). */
function slicedDim(dim: Dim, start: number, end: number, step: number): { dim: Dim; range?: AxisRange } {
  if (typeof dim === 'number') {
    const range = sliceRange(dim, start, end, step);
    return { dim: range.length, range };
  }
  return { dim: start === 0 && step === 1 && end >= 2 ** 31 - 1 ? dim : null };
}

/** Slice: each listed axis from its (start, end, step); a symbolic axis sliced whole keeps its symbol. */
const slice: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  if (!x?.dims) return [{ dtype: x?.dtype }];
  const rank = x.dims.length, fromInputs = ctx.opset >= 10 || ctx.node.inputs.length > 1;
  const list = (i: number, name: string) => (fromInputs ? intsOperand(inputs, ctx, i, name, 1) : ctx.attrs.ints(name));
  const starts = list(1, 'starts'), ends = list(2, 'ends'), axesGiven = list(3, 'axes'), stepsGiven = fromInputs ? list(4, 'steps') : undefined;
  const axes = axesGiven === undefined ? starts?.map((_, i) => i) : axesGiven;
  const known = [knownInts(starts), knownInts(ends), knownInts(axes), stepsGiven === undefined ? starts?.map(() => 1) : knownInts(stepsGiven)] as const;
  if (!known[2]) return [{ dtype: x.dtype, dims: unknownDims(rank) }];
  const dims = [...x.dims];
  const [s, e, , st] = known;
  const ranges = known[2].map((a, i) => {
    const axis = axisOf(a, rank);
    const cut = s && e && st ? slicedDim(x.dims![axis]!, s[i]!, e[i]!, st[i]!) : { dim: null };
    dims[axis] = cut.dim;
    return cut.range;
  });
  const r = ranges[0];
  const elements = rank === 1 && x.elements && r ? Array.from({ length: r.length }, (_, i) => x.elements![r.start + i * r.step]!) : undefined;
  return [{ dtype: x.dtype, dims, elements }];
};

const pad: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  if (!x?.dims) return [{ dtype: x?.dtype }];
  const rank = x.dims.length;
  const pads = knownInts(ctx.opset < 11 ? (ctx.attrs.ints('pads') ?? ctx.attrs.ints('paddings')) : intsOperand(inputs, ctx, 1, 'pads', 11));
  const axesGiven = ctx.opset >= 18 ? intsOperand(inputs, ctx, 3, 'axes', 18) : undefined;
  const axes = axesGiven === undefined ? x.dims.map((_, i) => i) : knownInts(axesGiven)?.map((a) => axisOf(a, rank));
  if (!pads || !axes || pads.length !== 2 * axes.length) return [{ dtype: x.dtype, dims: unknownDims(rank) }];
  const dims = [...x.dims];
  axes.forEach((a, i) => (dims[a] = dimSum(dimSum(dims[a]!, pads[i]!), pads[i + axes.length]!)));
  return [{ dtype: x.dtype, dims }];
};

const expand: ShapeFn = (inputs, ctx) => {
  const x = inputs[0], shape = intsOperand(inputs, ctx, 1, 'shape', 1);
  if (!x?.dims) return [{ dtype: x?.dtype }];
  if (!shape) {
    const n = inputs[1]?.dims?.[0];
    return [{ dtype: x.dtype, dims: typeof n === 'number' ? unknownDims(Math.max(n, x.dims.length)) : undefined }];
  }
  return [{ dtype: x.dtype, dims: broadcastDims([x.dims, shape]) }];
};

const tile: ShapeFn = (inputs, ctx) => {
  const x = inputs[0], repeats = intsOperand(inputs, ctx, 1, 'repeats', 1);
  if (!x?.dims) return [{ dtype: x?.dtype }];
  if (!repeats) return [{ dtype: x.dtype, dims: unknownDims(x.dims.length) }];
  return [{ dtype: x.dtype, dims: x.dims.map((d, i) => tileDim(d, repeats[i] ?? null)) }];
};

function tileDim(d: Dim, r: Dim): Dim {
  if (r === 1) return d;
  return typeof d === 'number' && typeof r === 'number' ? d * r : d === 0 || r === 0 ? 0 : null;
}

/** Shape (opset 15 start/end, clamped to [0, rank]): int64 [n] whose elements are the dims. */
const shape: ShapeFn = (inputs, ctx) => {
  const dims = inputs[0]?.dims;
  if (!dims) return [{ dtype: 'int64', dims: [null] }];
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dims.length : v, 0), dims.length);
  const start = clamp(ctx.attrs.int('start', 0)), end = clamp(ctx.attrs.int('end', dims.length));
  const picked = dims.slice(start, Math.max(start, end));
  return [{ dtype: 'int64', dims: [picked.length], elements: picked }];
};

const size: ShapeFn = (inputs) => {
  const dims = inputs[0]?.dims;
  return [{ dtype: 'int64', dims: [], elements: dims ? [symbolicProduct(dims)] : undefined }];
};

const times = (d: Dim, b: number): Dim => (typeof d === 'number' ? d * b : null);
const over = (d: Dim, b: number): Dim => (typeof d === 'number' && d % b === 0 ? d / b : null);

function blocks(toSpace: boolean): ShapeFn {
  return (inputs, ctx) => {
    const x = inputs[0], b = ctx.attrs.require('blocksize', 'int');
    if (x?.dims?.length !== 4) return [{ dtype: x?.dtype, dims: unknownDims(4) }];
    const [n, c, h, w] = x.dims as [Dim, Dim, Dim, Dim];
    const dims = toSpace ? [n, over(c, b * b), times(h, b), times(w, b)] : [n, times(c, b * b), over(h, b), over(w, b)];
    return [{ dtype: x.dtype, dims }];
  };
}

const centerCropPad: ShapeFn = (inputs, ctx) => {
  const x = inputs[0], sizes = intsOperand(inputs, ctx, 1, 'shape', 1);
  if (!x?.dims) return [{ dtype: x?.dtype }];
  const axes = ctx.attrs.ints('axes', x.dims.map((_, i) => i)).map((a) => axisOf(a, x.dims!.length));
  const dims = [...x.dims];
  axes.forEach((a, i) => (dims[a] = sizes ? (sizes[i] ?? null) : null));
  return [{ dtype: x.dtype, dims }];
};

/** Compress keeps the slices whose condition is true: how many is data, so that axis is unknown. */
const compress: ShapeFn = (inputs, ctx) => {
  const x = inputs[0], axis = ctx.attrs.int('axis');
  if (axis === undefined || !x?.dims) return [{ dtype: x?.dtype, dims: [null] }];
  const dims = [...x.dims];
  dims[axisOf(axis, dims.length)] = null;
  return [{ dtype: x.dtype, dims }];
};

export const TENSOR_SHAPES: ShapeTable = {
  Reshape: reshape,
  Transpose: permuted,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Flatten: flatten,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Expand: expand,
  Tile: tile,
  Identity: (inputs) => [inputs[0]],
  Shape: shape,
  Size: size,
  DepthToSpace: blocks(true),
  SpaceToDepth: blocks(false),
  Trilu: sameShape,
  ReverseSequence: sameShape,
  CenterCropPad: centerCropPad,
  Compress: compress,
};
