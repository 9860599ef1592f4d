/**
 * Shape and layout operators (ONNX Operators.md): Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Concat, Split,
 * Slice, Pad, Expand, Tile, Identity, Shape, Size, DepthToSpace, SpaceToDepth, Trilu, ReverseSequence,
 * CenterCropPad, Compress. Every dtype, strings included: elements are moved, never converted.
 */
import { NeuropodError } from '../src/api/errors.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { optionalTensor, tensorInput, toIndices } from './elements.js';
import { broadcastShapes, normalizeAxis, stridesOf } from './indexing.js';
import { FILL, broadcastTo, concat, indexMap, narrow, takeByMap, transpose, withShape } from './layout.js';
import { padKernel } from './pad.js';
import { sliceKernel } from './slice.js';
import type { KernelContext, KernelDef } from './registry.js';
import { withShapes } from './shape-rules.js';
import { TENSOR_SHAPES } from './tensor-shapes.js';

const int64Tensor = (shape: number[], values: number[]): Tensor => new Tensor('int64', shape, BigInt64Array.from(values, BigInt));

/**
 * Integer list an op took as an attribute before `inputSince` and as input `i` from then on (Squeeze, Unsqueeze,
 * Split moved theirs at opset 13; Slice at 10; Pad at 11).
 */
export function intsArgument(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext, i: number, name: string, inputSince: number): number[] | undefined {
  if (ctx.opset >= inputSince) {
    const t = optionalTensor(inputs, i);
    return t ? toIndices(t) : undefined;
  }
  return ctx.attrs.ints(name);
}

/** Reshape: 0 copies the input dim (unless allowzero, opset 14), one -1 is inferred. */
export function reshapeTarget(input: Tensor['shape'], shape: number[], allowZero: boolean): number[] {
  const out = shape.map((d, i) => (d === 0 && !allowZero ? input[i]! : d));
  const known = out.reduce((n, d) => (d === -1 ? n : n * d), 1);
  const inferred = out.indexOf(-1);
  if (inferred >= 0) out[inferred] = known === 0 ? 0 : sizeOf(input) / known;
  if (sizeOf(out) !== sizeOf(input) || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new NeuropodError('INFERENCE_FAILED', `Reshape: cannot reshape [${input.join(', ')}] to [${shape.join(', ')}]`);
  }
  return out;
}

const reshapeKernels: KernelDef[] = [
  { op: 'Reshape', run: (inputs, ctx) => { const x = tensorInput(inputs, 0, 'Reshape'); return [withShape(x, reshapeTarget(x.shape, ctx.attrs.require('shape', 'ints'), false))]; } },
  {
    op: 'Reshape',
    since: 5,
    run(inputs, ctx) {
      const x = tensorInput(inputs, 0, 'Reshape');
      const shape = toIndices(tensorInput(inputs, 1, 'Reshape'));
      return [withShape(x, reshapeTarget(x.shape, shape, ctx.attrs.int('allowzero', 0) === 1))];
    },
  },
];

function squeeze(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'Squeeze');
  const axes = intsArgument(inputs, ctx, 1, 'axes', 13)?.map((a) => normalizeAxis(a, x.rank));
  for (const a of axes ?? []) if (x.shape[a] !== 1) throw new NeuropodError('INFERENCE_FAILED', `Squeeze: axis ${a} has size ${x.shape[a]}, not 1`);
  const shape = x.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  return [withShape(x, shape)];
}

function unsqueeze(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'Unsqueeze');
  const given = intsArgument(inputs, ctx, 1, 'axes', 13);
  if (!given) throw new NeuropodError('INFERENCE_FAILED', `Unsqueeze: axes are required`);
  const rank = x.rank + given.length;
  const axes = new Set(given.map((a) => normalizeAxis(a, rank)));
  const rest = [...x.shape];
  const shape = Array.from({ length: rank }, (_, i) => (axes.has(i) ? 1 : rest.shift()!));
  return [withShape(x, shape)];
}

function flatten(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'Flatten');
  const axis = ctx.attrs.int('axis', 1);
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a > x.rank) throw new NeuropodError('INFERENCE_FAILED', `Flatten: axis ${axis} is out of range for rank ${x.rank}`);
  return [withShape(x, [sizeOf(x.shape.slice(0, a)), sizeOf(x.shape.slice(a))])];
}

function concatOp(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const parts = inputs.map((_, i) => tensorInput(inputs, i, 'Concat'));
  const rank = Math.max(...parts.map((p) => p.rank));
  const axis = normalizeAxis(ctx.attrs.int('axis', 1), rank);
  // Empty 1-D inputs (shape [0]) stand for "nothing" in exported graphs; drop them when ranks differ.
  const kept = parts.filter((p) => p.rank === rank || p.size > 0);
  return [concat(kept.length ? kept : parts, axis)];
}

/** Split sizes: given, or num_outputs (opset 18: the last part smaller), or equal parts, one a node output. */
function splitSizes(dim: number, ctx: KernelContext, given: number[] | undefined): number[] {
  if (given && given.length) return given;
  const n = ctx.attrs.int('num_outputs') ?? ctx.node.outputs.length;
  const part = Math.ceil(dim / n);
  if (ctx.attrs.has('num_outputs')) return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(part, dim - i * part)));
  if (dim % n !== 0) throw new NeuropodError('INFERENCE_FAILED', `Split: axis size ${dim} does not split into ${n} equal parts`);
  return new Array<number>(n).fill(dim / n);
}

export function splitTensor(x: Tensor, axis: number, sizes: readonly number[]): Tensor[] {
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[axis]) {
    throw new NeuropodError('INFERENCE_FAILED', `Split: sizes [${sizes.join(', ')}] do not add up to axis size ${x.shape[axis]}`);
  }
  let start = 0;
  return sizes.map((len) => {
    const part = narrow(x, axis, start, len);
    start += len;
    return part;
  });
}

function split(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'Split');
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank);
  // Opset 1 took split as an optional input or attribute; 2-12 as an attribute; 13+ as an input.
  const input = optionalTensor(inputs, 1);
  const given = input ? toIndices(input) : ctx.opset < 13 ? ctx.attrs.ints('split') : undefined;
  return splitTensor(x, axis, splitSizes(x.shape[axis]!, ctx, given));
}

function expand(inputs: Parameters<KernelDef['run']>[0]): Tensor[] {
  const x = tensorInput(inputs, 0, 'Expand');
  return [broadcastTo(x, broadcastShapes(x.shape, toIndices(tensorInput(inputs, 1, 'Expand'))))];
}

function tile(inputs: Parameters<KernelDef['run']>[0]): Tensor[] {
  const x = tensorInput(inputs, 0, 'Tile');
  const repeats = toIndices(tensorInput(inputs, 1, 'Tile'));
  if (repeats.length !== x.rank) throw new NeuropodError('INFERENCE_FAILED', `Tile: ${repeats.length} repeats for rank ${x.rank}`);
  const strides = stridesOf(x.shape);
  const outShape = x.shape.map((d, i) => d * repeats[i]!);
  return [takeByMap(x, indexMap(outShape, (idx) => idx.reduce((s, v, d) => s + (v % x.shape[d]!) * strides[d]!, 0)), outShape)];
}

/** Shape (opset 15): dims [start, end), both clamped to [0, rank] after adding rank to negatives. */
function shapeOp(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'Shape');
  const clampDim = (v: number) => Math.min(Math.max(v < 0 ? v + x.rank : v, 0), x.rank);
  const start = clampDim(ctx.attrs.int('start', 0));
  const end = clampDim(ctx.attrs.int('end', x.rank));
  const dims = x.shape.slice(start, Math.max(start, end));
  return [int64Tensor([dims.length], dims)];
}

/** DepthToSpace (opset 11 doc): DCR reads depth as (blocksize, blocksize, C'), CRD as (C', blocksize, blocksize). */
function depthToSpace(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'DepthToSpace');
  const b = ctx.attrs.require('blocksize', 'int');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const c2 = c / (b * b);
  const crd = ctx.attrs.string('mode', 'DCR') === 'CRD';
  const staged = crd ? withShape(x, [n, c2, b, b, h, w]) : withShape(x, [n, b, b, c2, h, w]);
  const moved = transpose(staged, crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2]);
  return [withShape(moved, [n, c2, h * b, w * b])];
}

function spaceToDepth(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'SpaceToDepth');
  const b = ctx.attrs.require('blocksize', 'int');
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const moved = transpose(withShape(x, [n, c, h / b, b, w / b, b]), [0, 3, 5, 1, 2, 4]);
  return [withShape(moved, [n, c * b * b, h / b, w / b])];
}

/** Trilu: upper keeps j - i >= k, lower keeps j - i <= k, over the last two axes; the rest become zero. */
function trilu(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'Trilu');
  const kTensor = optionalTensor(inputs, 1);
  const k = kTensor ? toIndices(kTensor)[0]! : 0;
  const upper = ctx.attrs.int('upper', 1) === 1;
  const r = x.rank;
  const keep = (i: number, j: number) => (upper ? j - i >= k : j - i <= k);
  return [takeByMap(x, indexMap(x.shape, (idx) => (keep(idx[r - 2]!, idx[r - 1]!) ? dotIndex(idx, x.shape) : FILL)), x.shape)];
}

function dotIndex(idx: readonly number[], shape: Tensor['shape']): number {
  let s = 0;
  for (let d = 0; d < shape.length; d++) s = s * shape[d]! + idx[d]!;
  return s;
}

/** ReverseSequence: in batch b, the first sequence_lens[b] steps along time_axis reversed, the rest copied. */
function reverseSequence(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'ReverseSequence');
  const lens = toIndices(tensorInput(inputs, 1, 'ReverseSequence'));
  const batchAxis = ctx.attrs.int('batch_axis', 1);
  const timeAxis = ctx.attrs.int('time_axis', 0);
  const map = indexMap(x.shape, (idx) => {
    const len = lens[idx[batchAxis]!]!;
    const t = idx[timeAxis]!;
    if (t >= len) return dotIndex(idx, x.shape);
    const src = [...idx];
    src[timeAxis] = len - 1 - t;
    return dotIndex(src, x.shape);
  });
  return [takeByMap(x, map, x.shape)];
}

/** CenterCropPad (opset 18): each listed axis cropped or zero-padded about its centre; the extra element goes last. */
function centerCropPad(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'CenterCropPad');
  const sizes = toIndices(tensorInput(inputs, 1, 'CenterCropPad'));
  const axes = ctx.attrs.ints('axes', x.shape.map((_, i) => i)).map((a) => normalizeAxis(a, x.rank));
  const outShape = [...x.shape];
  const offset = new Array<number>(x.rank).fill(0);
  axes.forEach((a, i) => {
    const from = x.shape[a]!;
    const to = sizes[i]!;
    outShape[a] = to;
    offset[a] = from >= to ? Math.floor((from - to) / 2) : -Math.floor((to - from) / 2);
  });
  const map = indexMap(outShape, (idx) => {
    const src = idx.map((v, d) => v + offset[d]!);
    return src.every((v, d) => v >= 0 && v < x.shape[d]!) ? dotIndex(src, x.shape) : FILL;
  });
  return [takeByMap(x, map, outShape)];
}

/** Compress: the slices along `axis` (the flattened input without one) whose condition is true. */
function compress(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const input = tensorInput(inputs, 0, 'Compress');
  const cond = tensorInput(inputs, 1, 'Compress').numeric;
  const axisAttr = ctx.attrs.int('axis');
  const x = axisAttr === undefined ? withShape(input, [input.size]) : input;
  const axis = axisAttr === undefined ? 0 : normalizeAxis(axisAttr, x.rank);
  const picked: number[] = [];
  for (let i = 0; i < Math.min(cond.length, x.shape[axis]!); i++) if (cond[i]) picked.push(i);
  const outShape = [...x.shape];
  outShape[axis] = picked.length;
  const strides = stridesOf(x.shape);
  const map = indexMap(outShape, (idx) => idx.reduce((s, v, d) => s + (d === axis ? picked[v]! : v) * strides[d]!, 0));
  return [takeByMap(x, map, outShape)];
}

export const tensorKernels: KernelDef[] = withShapes([
  ...reshapeKernels,
  { op: 'Transpose', run: (inputs, ctx) => { const x = tensorInput(inputs, 0, 'Transpose'); return [transpose(x, ctx.attrs.ints('perm', x.shape.map((_, i) => x.rank - 1 - i)))]; } },
  { op: 'Squeeze', run: squeeze },
  { op: 'Unsqueeze', run: unsqueeze },
  { op: 'Flatten', run: flatten },
  { op: 'Concat', run: concatOp },
  { op: 'Split', run: split },
  sliceKernel,
  padKernel,
  { op: 'Expand', run: expand },
  { op: 'Tile', run: tile },
  { op: 'Identity', run: (inputs) => [inputs[0]] },
  { op: 'Shape', run: shapeOp },
  { op: 'Size', run: (inputs) => [int64Tensor([], [tensorInput(inputs, 0, 'Size').size])] },
  { op: 'DepthToSpace', run: depthToSpace },
  { op: 'SpaceToDepth', run: spaceToDepth },
  { op: 'Trilu', run: trilu },
  { op: 'ReverseSequence', run: reverseSequence },
  { op: 'CenterCropPad', run: centerCropPad },
  { op: 'Compress', run: compress },
], TENSOR_SHAPES);
