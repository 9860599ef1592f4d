import { NeuropodError } from '../../api/errors.js';
import type { AttributeValue } from '../../graph/ir.js';
import { DTYPES } from '../../tensor/dtype.js';
import { ir } from './attr.js';
import type { NodeLowering } from './builder.js';
import { permuteConstant, reshapeConstant } from './constant-layout.js';

type Lowering = (n: NodeLowering) => void;

/** ONNX convolutions and pools are channels-first; TF's default is NHWC, so the op is wrapped in transposes. */
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];
/** TF filter [H, W, in, out] -> ONNX weight [out, in, H, W]. */
const HWIO_TO_OIHW = [3, 2, 0, 1];

function isNhwc(n: NodeLowering): boolean {
  return n.attrs.string('data_format', 'NHWC') === 'NHWC';
}

function toChannelsFirst(n: NodeLowering, v: string): string {
  return isNhwc(n) ? n.op('Transpose', [v], { perm: ir.ints(TO_NCHW) }) : v;
}

function fromChannelsFirst(n: NodeLowering, v: string): string {
  return isNhwc(n) ? n.op('Transpose', [v], { perm: ir.ints(TO_NHWC) }) : v;
}

/** The H and W entries of a per-dim TF list (strides, ksize, dilations). */
function spatial(n: NodeLowering, values: number[]): number[] {
  return isNhwc(n) ? [values[1]!, values[2]!] : [values[2]!, values[3]!];
}

/** TF SAME puts the odd padding pixel at the end, which is ONNX SAME_UPPER. */
function padding(n: NodeLowering): Record<string, AttributeValue> {
  const mode = n.attrs.string('padding');
  if (mode === 'SAME') return { auto_pad: ir.string('SAME_UPPER') };
  if (mode === 'VALID') return { pads: ir.ints([0, 0, 0, 0]) };
  if (mode === 'EXPLICIT') {
    const [h0, h1, w0, w1] = spatialPairs(n, n.attrs.ints('explicit_paddings'));
    return { pads: ir.ints([h0, w0, h1, w1]) };
  }
  throw new NeuropodError('MODEL_INVALID', `${n.where}: unknown padding '${mode}'`);
}

function spatialPairs(n: NodeLowering, pairs: number[]): number[] {
  return isNhwc(n) ? pairs.slice(2, 6) : pairs.slice(4, 8);
}

function windowAttrs(n: NodeLowering): Record<string, AttributeValue> {
  return {
    strides: ir.ints(spatial(n, n.attrs.ints('strides', [1, 1, 1, 1]))),
    dilations: ir.ints(spatial(n, n.attrs.ints('dilations', [1, 1, 1, 1]))),
    ...padding(n),
  };
}

function convWeight(n: NodeLowering, depthwise: boolean): { weight: string; group: number } {
  const filter = n.constant(1);
  if (!depthwise) {
    if (filter) return { weight: n.builder.addConstant(permuteConstant(filter, HWIO_TO_OIHW), `${n.node.name}/weight`), group: 1 };
    return { weight: n.op('Transpose', [n.input(1)], { perm: ir.ints(HWIO_TO_OIHW) }), group: 1 };
  }
  if (!filter) throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: a depthwise filter computed at run time is not lowered`);
  // [H, W, C, M] -> [C, M, H, W] -> [C*M, 1, H, W]: ONNX depthwise is a Conv with one group per input channel.
  const [h, w, c, m] = filter.shape as [number, number, number, number];
  const weight = reshapeConstant(permuteConstant(filter, [2, 3, 0, 1]), [c * m, 1, h, w]);
  return { weight: n.builder.addConstant(weight, `${n.node.name}/weight`), group: c };
}

/** Activations a fused op may end with; all but Prelu are elementwise, so they run before the transpose back. */
const EPILOGUE: Record<string, (n: NodeLowering, v: string) => string> = {
  Relu: (n, v) => n.op('Relu', [v]),
  Relu6: (n, v) => n.op('Clip', [v, n.scalar(0, 'float32'), n.scalar(6, 'float32')]),
  Elu: (n, v) => n.op('Elu', [v]),
  Selu: (n, v) => n.op('Selu', [v]),
  Sigmoid: (n, v) => n.op('Sigmoid', [v]),
  Tanh: (n, v) => n.op('Tanh', [v]),
  LeakyRelu: (n, v) => n.op('LeakyRelu', [v], { alpha: ir.float(n.attrs.float('leakyrelu_alpha', 0.2)) }),
};

interface Fused {
  bias?: string;
  batchNorm?: string[];
  activation?: string;
  preluAlpha?: string;
}

/** fused_ops of _FusedConv2D / _FusedMatMul / FusedDepthwiseConv2dNative, with their extra inputs from index 2. */
function fusedOps(n: NodeLowering): Fused {
  const ops = n.attrs.strings('fused_ops', []);
  const args = n.inputs(2);
  const fused: Fused = {};
  for (const op of ops) {
    if (op === 'BiasAdd') fused.bias = args[0];
    else if (op === 'FusedBatchNorm') fused.batchNorm = args.slice(0, 4);
    else if (op === 'Prelu') fused.preluAlpha = args[1];
    else if (EPILOGUE[op]) fused.activation = op;
    else throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: fused op '${op}' is not lowered`);
  }
  return fused;
}

function conv(depthwise: boolean): Lowering {
  return (n) => {
    const fused = fusedOps(n);
    const { weight, group } = convWeight(n, depthwise);
    const inputs = [toChannelsFirst(n, n.input(0)), weight];
    if (fused.bias) inputs.push(fused.bias);
    let y = n.op('Conv', inputs, { ...windowAttrs(n), group: ir.int(group) });
    if (fused.batchNorm) y = n.op('BatchNormalization', [y, ...fused.batchNorm], { epsilon: ir.float(n.attrs.float('epsilon', 1e-3)) });
    if (fused.activation) y = EPILOGUE[fused.activation]!(n, y);
    y = fromChannelsFirst(n, y);
    if (fused.preluAlpha) y = n.op('PRelu', [y, fused.preluAlpha]);
    n.produce(0, y);
  };
}

function fusedMatMul(n: NodeLowering): void {
  const fused = fusedOps(n);
  const inputs = [n.input(0), n.input(1)];
  if (fused.bias) inputs.push(fused.bias);
  const attrs = { transA: ir.int(n.attrs.bool('transpose_a') ? 1 : 0), transB: ir.int(n.attrs.bool('transpose_b') ? 1 : 0) };
  let y = n.op('Gemm', inputs, attrs);
  if (fused.activation) y = EPILOGUE[fused.activation]!(n, y);
  if (fused.preluAlpha) y = n.op('PRelu', [y, fused.preluAlpha]);
  n.produce(0, y);
}

/**
 * Conv2DBackpropInput(input_sizes, filter, out_backprop) is ONNX ConvTranspose. TF fixes the output size, so the
 * pads and output_padding that give it are computed from the forward convolution it inverts.
 */
function convBackpropInput(n: NodeLowering): void {
  const sizes = spatial(n, n.ints(0, 'input_sizes'));
  const filter = n.requireConstant(1, 'filter');
  const kernel = [filter.shape[0]!, filter.shape[1]!];
  const strides = spatial(n, n.attrs.ints('strides', [1, 1, 1, 1]));
  const dilations = spatial(n, n.attrs.ints('dilations', [1, 1, 1, 1]));
  const mode = n.attrs.string('padding');
  const begin: number[] = [], end: number[] = [], extra: number[] = [];
  sizes.forEach((out, d) => {
    const span = (kernel[d]! - 1) * dilations[d]! + 1;
    const inSize = mode === 'SAME' ? Math.ceil(out / strides[d]!) : Math.ceil((out - span + 1) / strides[d]!);
    const total = mode === 'SAME' ? Math.max((inSize - 1) * strides[d]! + span - out, 0) : 0;
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
    extra.push(out - ((inSize - 1) * strides[d]! + span - total));
  });
  const weight = n.builder.addConstant(permuteConstant(filter, HWIO_TO_OIHW), `${n.node.name}/weight`);
  const attrs = { strides: ir.ints(strides), dilations: ir.ints(dilations), pads: ir.ints([...begin, ...end]), output_padding: ir.ints(extra) };
  const y = n.op('ConvTranspose', [toChannelsFirst(n, n.input(2)), weight], attrs);
  n.produce(0, fromChannelsFirst(n, y));
}

function pool(onnxOp: string): Lowering {
  return (n) => {
    const attrs = {
      kernel_shape: ir.ints(spatial(n, n.attrs.ints('ksize'))),
      strides: ir.ints(spatial(n, n.attrs.ints('strides'))),
      ...padding(n),
    };
    n.produce(0, fromChannelsFirst(n, n.op(onnxOp, [toChannelsFirst(n, n.input(0))], attrs)));
  };
}

function biasAdd(n: NodeLowering): void {
  const bias = isNhwc(n) ? n.input(1) : n.op('Unsqueeze', [n.input(1), n.int64s([1, 2])]);
  n.emit('Add', [n.input(0), bias], {}, [n.output(0)]);
}

/** Inference batch norm: NHWC broadcasts per-channel values on the last axis, so no transposes are needed. */
function fusedBatchNorm(n: NodeLowering): void {
  const [x, scale, offset, mean, variance] = n.inputs(0, 5) as [string, string, string, string, string];
  if (n.attrs.bool('is_training')) throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: batch norm in training mode is not lowered`);
  if (!isNhwc(n)) {
    n.produce(0, n.op('BatchNormalization', [x, scale, offset, mean, variance], { epsilon: ir.float(n.attrs.float('epsilon', 1e-4)) }));
    return;
  }
  const eps = n.scalar(n.attrs.float('epsilon', 1e-4), 'float32');
  const factor = n.op('Div', [scale, n.op('Sqrt', [n.op('Add', [variance, eps])])]);
  const shift = n.op('Sub', [offset, n.op('Mul', [mean, factor])]);
  n.produce(0, n.op('Add', [n.op('Mul', [x, factor]), shift]));
}

/** ONNX Resize wants every dim's size; TF gives [height, width] of an NHWC image. */
function resize(mode: 'linear' | 'nearest'): Lowering {
  return (n) => {
    const x = n.input(0);
    const shape = n.op('Shape', [x]);
    const edge = (from: number) => n.op('Slice', [shape, n.int64s([from]), n.int64s([from + 1])]);
    const sizes = n.op('Concat', [edge(0), n.int64Input(1), edge(3)], { axis: ir.int(0) });
    const alignCorners = n.attrs.bool('align_corners');
    const halfPixel = n.attrs.bool('half_pixel_centers');
    const coordinates = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
    // TF nearest: round(x * scale) with align_corners, floor((x + 0.5) * scale) with half pixels, else floor(x * scale).
    const nearest = alignCorners || halfPixel ? 'round_prefer_ceil' : 'floor';
    const attrs = { mode: ir.string(mode), coordinate_transformation_mode: ir.string(coordinates), ...(mode === 'nearest' ? { nearest_mode: ir.string(nearest) } : {}) };
    n.emit('Resize', [x, '', '', sizes], attrs, [n.output(0)]);
  };
}

/**
 * NonMaxSuppressionV2-V5 on one class: ONNX wants batched [1, N, 4] boxes and [1, 1, N] scores and returns
 * (batch, class, box) triples, of which the box index is TF's output.
 */
function nonMaxSuppression(n: NodeLowering): void {
  const op = n.node.op;
  const version = Number(op.slice(-1));
  if (version === 5 && n.constant(5) && Number(n.constant(5)!.numeric[0]) !== 0) {
    throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: soft NMS (soft_nms_sigma > 0) has no ONNX form`);
  }
  const one = n.int64s([1]);
  const boxes = n.op('Unsqueeze', [n.input(0), n.int64s([0])]);
  const scores = n.op('Unsqueeze', [n.input(1), n.int64s([0, 1])]);
  const maxOutput = n.op('Reshape', [n.int64Input(2), one]);
  const inputs = [boxes, scores, maxOutput, n.op('Reshape', [n.input(3), one])];
  if (version >= 3) inputs.push(n.op('Reshape', [n.input(4), one]));
  const triples = n.op('NonMaxSuppression', inputs, { center_point_box: ir.int(0) });
  const selected = n.op('Gather', [triples, n.int64s([2], [])], { axis: ir.int(1) });
  let indices = n.op('Cast', [selected], { to: ir.int(DTYPES.int32.onnx) });
  const valid = n.op('Cast', [n.op('Size', [indices])], { to: ir.int(DTYPES.int32.onnx) });
  if (version >= 4 && n.attrs.bool('pad_to_max_output_size')) {
    const zeros = n.op('Expand', [n.scalar(0, 'int32'), maxOutput]);
    indices = n.op('Slice', [n.op('Concat', [indices, zeros], { axis: ir.int(0) }), n.int64s([0]), maxOutput]);
  }
  n.produce(0, indices);
  if (version === 4) n.produce(1, valid);
  if (version === 5) {
    n.produce(1, n.op('Gather', [n.input(1), indices], { axis: ir.int(0) }));
    n.produce(2, valid);
  }
}

/** TF LRN sums depth_radius neighbours each side with alpha unscaled; ONNX divides alpha by the window size. */
function lrn(n: NodeLowering): void {
  const size = 2 * n.attrs.int('depth_radius', 5) + 1;
  const attrs = { size: ir.int(size), alpha: ir.float(n.attrs.float('alpha', 1) * size), beta: ir.float(n.attrs.float('beta', 0.5)), bias: ir.float(n.attrs.float('bias', 1)) };
  const y = n.op('LRN', [n.op('Transpose', [n.input(0)], { perm: ir.ints(TO_NCHW) })], attrs);
  n.produce(0, n.op('Transpose', [y], { perm: ir.ints(TO_NHWC) }));
}

/** TF's NHWC block order is ONNX's DCR mode once channels come first. */
function blockOp(onnxOp: string): Lowering {
  return (n) => {
    const attrs: Record<string, AttributeValue> = { blocksize: ir.int(n.attrs.int('block_size')) };
    if (onnxOp === 'DepthToSpace') attrs.mode = ir.string('DCR');
    n.produce(0, fromChannelsFirst(n, n.op(onnxOp, [toChannelsFirst(n, n.input(0))], attrs)));
  };
}

export const NN_OPS: Record<string, Lowering> = {
  Conv2D: conv(false),
  _FusedConv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
  FusedDepthwiseConv2dNative: conv(true),
  Conv2DBackpropInput: convBackpropInput,
  _FusedMatMul: fusedMatMul,
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  BiasAdd: biasAdd,
  FusedBatchNorm: fusedBatchNorm,
  FusedBatchNormV2: fusedBatchNorm,
  FusedBatchNormV3: fusedBatchNorm,
  ResizeBilinear: resize('linear'),
  ResizeNearestNeighbor: resize('nearest'),
  NonMaxSuppressionV2: nonMaxSuppression,
  NonMaxSuppressionV3: nonMaxSuppression,
  NonMaxSuppressionV4: nonMaxSuppression,
  NonMaxSuppressionV5: nonMaxSuppression,
  LRN: lrn,
  DepthToSpace: blockOp('DepthToSpace'),
  SpaceToDepth: blockOp('SpaceToDepth'),
};
