import { NeuropodError } from '../../api/errors.js';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import { ir } from './attr.js';
import type { NodeLowering } from './builder.js';

type Lowering = (n: NodeLowering) => void;

/** ONNX Slice clamps its bounds, so "to the end" is any bound past every dim. */
const END = Number.MAX_SAFE_INTEGER;

const cast = (dtype: DType) => ({ to: ir.int(DTYPES[dtype].onnx) });

/** ONNX index/shape ops give int64; TF says which integer type it wants (out_type, output_type, Tidx). */
function asType(n: NodeLowering, value: string, dtype: DType, out = 0): void {
  if (dtype === 'int64') n.produce(out, value);
  else n.emit('Cast', [value], cast(dtype), [n.output(out)]);
}

function axisOf(n: NodeLowering, i: number): number {
  const axes = n.ints(i, 'axis');
  if (axes.length !== 1) throw new NeuropodError('MODEL_INVALID', `${n.where}: the axis must be one number, got [${axes.join(', ')}]`);
  return axes[0]!;
}

function constNode(n: NodeLowering): void {
  const known = n.builder.constants.get(n.node.name);
  if (known) return n.produce(0, known);
  // TF.js names a function's constants "<function>/<const>", what the inlined node keeps as its source name.
  const weight = n.builder.weights.get(n.node.name) ?? (n.node.source !== undefined ? n.builder.weights.get(n.node.source) : undefined);
  const value = weight ?? n.attrs.tensor('value');
  const name = n.builder.addConstant(value, n.node.name);
  n.builder.constants.set(n.node.name, name);
  n.produce(0, name);
}

function placeholder(n: NodeLowering): void {
  const feed = n.builder.feeds.get(n.tfOutput(0));
  if (!feed && n.node.op === 'PlaceholderWithDefault') {
    n.produce(0, n.input(0));
    return;
  }
  const name = feed ?? n.node.name;
  const dtype = n.attrs.dtype('dtype', 'float32');
  n.builder.addInput(name, dtype, n.attrs.shape('shape')?.map((d) => (d < 0 ? null : d)));
  n.produce(0, name);
}

function reduce(onnxOp: string): Lowering {
  return (n) => {
    // TF reduces nothing over an empty axis list; ONNX reduces everything unless told otherwise.
    const attrs = { keepdims: ir.int(n.attrs.bool('keep_dims') ? 1 : 0), noop_with_empty_axes: ir.int(1) };
    n.emit(onnxOp, [n.input(0), n.int64Input(1)], attrs, [n.output(0)]);
  };
}

/** ONNX ReduceMin/Max take no bool before opset 20 everywhere; All/Any reduce 0/1 integers instead. */
function reduceBool(onnxOp: string): Lowering {
  return (n) => {
    const keepdims = ir.int(n.attrs.bool('keep_dims') ? 1 : 0);
    const ints = n.op('Cast', [n.input(0)], cast('int32'));
    const reduced = n.op(onnxOp, [ints, n.int64Input(1)], { keepdims });
    n.emit('Cast', [reduced], cast('bool'), [n.output(0)]);
  };
}

function argReduce(onnxOp: string): Lowering {
  return (n) => {
    const value = n.op(onnxOp, [n.input(0)], { axis: ir.int(axisOf(n, 1)), keepdims: ir.int(0) });
    asType(n, value, n.attrs.dtype('output_type', 'int64'));
  };
}

function concat(valuesFrom: number, valuesTo: number, axisInput: number): Lowering {
  return (n) => {
    const axis = axisOf(n, axisInput < 0 ? n.inputCount + axisInput : axisInput);
    const to = valuesTo <= 0 ? n.inputCount + valuesTo : valuesTo;
    n.emit('Concat', n.inputs(valuesFrom, to), { axis: ir.int(axis) }, [n.output(0)]);
  };
}

function pack(n: NodeLowering): void {
  const axis = n.attrs.int('axis', 0);
  const axes = n.int64s([axis]);
  const parts = n.inputs().map((v) => n.op('Unsqueeze', [v, axes]));
  n.emit('Concat', parts, { axis: ir.int(axis) }, [n.output(0)]);
}

function unpack(n: NodeLowering): void {
  const axis = n.attrs.int('axis', 0);
  const count = n.attrs.int('num');
  const parts = n.emit('Split', [n.input(0)], { axis: ir.int(axis), num_outputs: ir.int(count) }, count);
  const axes = n.int64s([axis]);
  parts.forEach((part, i) => n.emit('Squeeze', [part, axes], {}, [n.output(i)]));
}

function split(n: NodeLowering): void {
  const count = n.attrs.int('num_split');
  const outputs = Array.from({ length: count }, (_, i) => n.output(i));
  n.emit('Split', [n.input(1)], { axis: ir.int(axisOf(n, 0)), num_outputs: ir.int(count) }, outputs);
}

function splitV(n: NodeLowering): void {
  const sizes = n.ints(1, 'size_splits');
  if (sizes.includes(-1)) throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: a size_splits entry of -1 needs the input's shape, which is only known at run time`);
  const outputs = sizes.map((_, i) => n.output(i));
  n.emit('Split', [n.input(0), n.int64s(sizes)], { axis: ir.int(axisOf(n, 2)) }, outputs);
}

function squeeze(n: NodeLowering): void {
  const dims = n.attrs.ints('squeeze_dims', n.attrs.ints('axis', []));
  n.emit('Squeeze', dims.length ? [n.input(0), n.int64s(dims)] : [n.input(0)], {}, [n.output(0)]);
}

/** Slice(x, begin, size): size -1 means "to the end of that dim". */
function slice(n: NodeLowering): void {
  const begin = n.ints(1, 'begin');
  const size = n.ints(2, 'size');
  const ends = size.map((s, i) => (s < 0 ? END : begin[i]! + s));
  const axes = begin.map((_, i) => i);
  n.emit('Slice', [n.input(0), n.int64s(begin), n.int64s(ends), n.int64s(axes)], {}, [n.output(0)]);
}

const bit = (mask: number, i: number) => ((mask >> i) & 1) === 1;

/**
 * StridedSlice as Unsqueeze (new axes) -> Slice -> Squeeze (shrunk axes). Specs after an ellipsis count from the
 * last dim, so the input's rank need not be known.
 */
function stridedSlice(n: NodeLowering): void {
  const begin = n.ints(1, 'begin');
  const end = n.ints(2, 'end');
  const strides = n.ints(3, 'strides');
  const [beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask] =
    ['begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask'].map((a) => n.attrs.int(a, 0)) as [number, number, number, number, number];
  const specs = begin.length;
  const ellipsis = ellipsisMask ? Math.log2(ellipsisMask & -ellipsisMask) : -1;
  const axis = (k: number) => (ellipsis >= 0 && k > ellipsis ? k - specs : k);
  const newAxes: number[] = [];
  const starts: number[] = [], ends: number[] = [], axes: number[] = [], steps: number[] = [], shrunk: number[] = [];
  for (let k = 0; k < specs; k++) {
    if (k === ellipsis) continue;
    if (bit(newAxisMask, k)) {
      newAxes.push(axis(k));
      continue;
    }
    const step = strides[k]!;
    axes.push(axis(k));
    if (bit(shrinkMask, k)) {
      starts.push(begin[k]!);
      ends.push(begin[k] === -1 ? END : begin[k]! + 1);
      steps.push(1);
      shrunk.push(axis(k));
      continue;
    }
    starts.push(bit(beginMask, k) ? (step > 0 ? 0 : END) : begin[k]!);
    ends.push(bit(endMask, k) ? (step > 0 ? END : -END) : end[k]!);
    steps.push(step);
  }
  let v = n.input(0);
  if (newAxes.length) v = n.op('Unsqueeze', [v, n.int64s(newAxes)]);
  if (axes.length) v = n.op('Slice', [v, n.int64s(starts), n.int64s(ends), n.int64s(axes), n.int64s(steps)]);
  if (shrunk.length) v = n.op('Squeeze', [v, n.int64s(shrunk)]);
  n.produce(0, v);
}

/** TF paddings are [rank, 2] (before, after per dim); ONNX pads are all befores then all afters. */
function padsOf(n: NodeLowering): string {
  const c = n.constant(1);
  if (c) {
    const p = Array.from(c.numeric as ArrayLike<number | bigint>, Number);
    const rank = p.length / 2;
    return n.int64s([...Array.from({ length: rank }, (_, i) => p[2 * i]!), ...Array.from({ length: rank }, (_, i) => p[2 * i + 1]!)]);
  }
  const transposed = n.op('Transpose', [n.int64Input(1)], { perm: ir.ints([1, 0]) });
  return n.op('Reshape', [transposed, n.int64s([-1])]);
}

function pad(n: NodeLowering): void {
  const inputs = [n.input(0), padsOf(n)];
  if (n.node.op === 'PadV2') inputs.push(n.input(2));
  n.emit('Pad', inputs, { mode: ir.string('constant') }, [n.output(0)]);
}

function mirrorPad(n: NodeLowering): void {
  const mode = n.attrs.string('mode');
  if (mode !== 'REFLECT') throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: MirrorPad mode ${mode} has no ONNX Pad mode (only REFLECT does)`);
  n.emit('Pad', [n.input(0), padsOf(n)], { mode: ir.string('reflect') }, [n.output(0)]);
}

function gatherV2(n: NodeLowering): void {
  if (n.attrs.int('batch_dims', 0) !== 0) throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: GatherV2 with batch_dims is not lowered`);
  const axis = n.node.op === 'GatherV2' ? axisOf(n, 2) : 0;
  n.emit('Gather', [n.input(0), n.input(1)], { axis: ir.int(axis) }, [n.output(0)]);
}

function oneHot(n: NodeLowering): void {
  const axes = n.int64s([0]);
  const values = n.op('Concat', [n.op('Unsqueeze', [n.input(3), axes]), n.op('Unsqueeze', [n.input(2), axes])], { axis: ir.int(0) });
  const depth = n.op('Reshape', [n.int64Input(1), n.int64s([1])]);
  // TF gives a negative index an all-off row; ONNX wraps it, so it becomes depth, which ONNX leaves all off.
  const indices = n.int64Input(0);
  const inRange = n.op('Where', [n.op('Less', [indices, n.scalar(0, 'int64')]), depth, indices]);
  n.emit('OneHot', [inRange, depth, values], { axis: ir.int(n.attrs.int('axis', -1)) }, [n.output(0)]);
}

function topK(n: NodeLowering): void {
  const k = n.op('Reshape', [n.int64Input(1), n.int64s([1])]);
  const indices = n.emit('TopK', [n.input(0), k], { axis: ir.int(-1), largest: ir.int(1), sorted: ir.int(1) }, [n.output(0), n.builder.fresh(n.node.name)])[1]!;
  asType(n, indices, n.attrs.dtype('index_type', 'int32'), 1);
}

/** Where(condition) with one input lists true coordinates, [count, rank] int64. */
function whereIndices(n: NodeLowering): void {
  if (n.inputCount > 1) {
    n.emit('Where', n.inputs(), {}, [n.output(0)]);
    return;
  }
  n.emit('Transpose', [n.op('NonZero', [n.input(0)])], { perm: ir.ints([1, 0]) }, [n.output(0)]);
}

function randomOp(onnxOp: string, params: Record<string, number>): Lowering {
  return (n) => {
    const attrs = {
      shape: ir.ints(n.ints(0, 'shape')),
      dtype: ir.int(DTYPES[n.attrs.dtype('dtype')].onnx),
      ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, ir.float(v)])),
      ...(n.attrs.int('seed', 0) || n.attrs.int('seed2', 0) ? { seed: ir.float(n.attrs.int('seed', 0) * 31 + n.attrs.int('seed2', 0)) } : {}),
    };
    n.emit(onnxOp, [], attrs, [n.output(0)]);
  };
}

/** Fill(dims, value): Expand broadcasts the scalar to the shape. */
function fill(n: NodeLowering): void {
  n.emit('Expand', [n.input(1), n.int64Input(0)], {}, [n.output(0)]);
}

function shape(n: NodeLowering): void {
  asType(n, n.op('Shape', [n.input(0)]), n.attrs.dtype('out_type', 'int32'));
}

function size(n: NodeLowering): void {
  asType(n, n.op('Size', [n.input(0)]), n.attrs.dtype('out_type', 'int32'));
}

function rank(n: NodeLowering): void {
  asType(n, n.op('Size', [n.op('Shape', [n.input(0)])]), 'int32');
}

function scatterNd(n: NodeLowering): void {
  const dtype = n.attrs.dtype('T', 'float32');
  const zeros = n.op('Expand', [n.scalar(0, dtype), n.int64Input(2)]);
  n.emit('ScatterND', [zeros, n.int64Input(0), n.input(1)], { reduction: ir.string('add') }, [n.output(0)]);
}

function reshape(n: NodeLowering): void {
  n.emit('Reshape', [n.input(0), n.int64Input(1)], {}, [n.output(0)]);
}

function transpose(n: NodeLowering): void {
  n.emit('Transpose', [n.input(0)], { perm: ir.ints(n.ints(1, 'perm')) }, [n.output(0)]);
}

export const ARRAY_OPS: Record<string, Lowering> = {
  Const: constNode,
  Placeholder: placeholder,
  PlaceholderWithDefault: placeholder,
  Reshape: reshape,
  Shape: shape,
  Size: size,
  Rank: rank,
  ExpandDims: (n) => n.emit('Unsqueeze', [n.input(0), n.int64Input(1)], {}, [n.output(0)]),
  Squeeze: squeeze,
  Transpose: transpose,
  ConcatV2: concat(0, -1, -1),
  Concat: concat(1, 0, 0),
  Pack: pack,
  Unpack: unpack,
  Split: split,
  SplitV: splitV,
  Slice: slice,
  StridedSlice: stridedSlice,
  Pad: pad,
  PadV2: pad,
  MirrorPad: mirrorPad,
  Tile: (n) => n.emit('Tile', [n.input(0), n.int64Input(1)], {}, [n.output(0)]),
  Fill: fill,
  Range: same3('Range'),
  GatherV2: gatherV2,
  Gather: gatherV2,
  GatherNd: (n) => n.emit('GatherND', [n.input(0), n.int64Input(1)], {}, [n.output(0)]),
  ScatterNd: scatterNd,
  OneHot: oneHot,
  Cumsum: (n) =>
    n.emit('CumSum', [n.input(0), n.int64Input(1)], { exclusive: ir.int(n.attrs.bool('exclusive') ? 1 : 0), reverse: ir.int(n.attrs.bool('reverse') ? 1 : 0) }, [n.output(0)]),
  ArgMax: argReduce('ArgMax'),
  ArgMin: argReduce('ArgMin'),
  Mean: reduce('ReduceMean'),
  Sum: reduce('ReduceSum'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  Prod: reduce('ReduceProd'),
  All: reduceBool('ReduceMin'),
  Any: reduceBool('ReduceMax'),
  TopKV2: topK,
  Where: whereIndices,
  RandomUniform: randomOp('RandomUniform', { low: 0, high: 1 }),
  RandomStandardNormal: randomOp('RandomNormal', { mean: 0, scale: 1 }),
};

function same3(onnxOp: string): Lowering {
  return (n) => n.emit(onnxOp, n.inputs(0, 3), {}, [n.output(0)]);
}
