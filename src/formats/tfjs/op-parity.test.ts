import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/tensor.js';
import { ReferenceSession } from '../tensorflow/reference-session.js';
import { importTfjsModelJson } from './importer.js';

/**
 * One TF op per case, run by @tensorflow/tfjs 4.22 (its CPU backend, an independent implementation of TF's ops)
 * and by this engine's lowering of the same model.json: the expected values are whatever TF.js computes.
 */
type Dt = 'float32' | 'int32' | 'bool';
interface Operand { name: string; dtype: Dt; shape: number[]; data: number[]; constant?: boolean }
interface Case { name: string; op: string; operands: Operand[]; attr?: Record<string, unknown>; outputs?: number }

const b64 = (s: string) => Buffer.from(s).toString('base64');
const DT = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' } as const;
const ints = (...i: number[]) => ({ list: { i: i.map(String) } });
const str = (s: string) => ({ s: b64(s) });
const int = (i: number) => ({ i: String(i) });
const bool = (b: boolean) => ({ b });
const f32 = (name: string, shape: number[], data?: number[]): Operand => ({ name, dtype: 'float32', shape, data: data ?? Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.7) * 3) });
const i32 = (name: string, shape: number[], data: number[], constant = true): Operand => ({ name, dtype: 'int32', shape, data, constant });
const c32 = (name: string, shape: number[], data?: number[]): Operand => ({ ...f32(name, shape, data), constant: true });

function modelOf(c: Case) {
  const nodes: object[] = c.operands.map((o) =>
    o.constant ? { name: o.name, op: 'Const', attr: { dtype: { type: DT[o.dtype] }, value: { tensor: { dtype: DT[o.dtype], tensorShape: { dim: o.shape.map((d) => ({ size: String(d) })) } } } } }
      : { name: o.name, op: 'Placeholder', attr: { dtype: { type: DT[o.dtype] }, shape: { shape: { dim: o.shape.map((d) => ({ size: String(d) })) } } } });
  nodes.push({ name: 'op', op: c.op, input: c.operands.map((o) => o.name), attr: { T: { type: DT[c.operands[0]!.dtype] }, ...c.attr } });
  const outputs = Array.from({ length: c.outputs ?? 1 }, (_, i) => (i ? `op:${i}` : 'op'));
  nodes.push(...outputs.map((o, i) => ({ name: `out${i}`, op: 'Identity', input: [o] })));
  const consts = c.operands.filter((o) => o.constant);
  const weightSpecs = consts.map((o) => ({ name: o.name, shape: o.shape, dtype: o.dtype }));
  const buffers = consts.map((o) => (o.dtype === 'int32' ? Int32Array.from(o.data) : Float32Array.from(o.data)));
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of buffers) {
    weightData.set(new Uint8Array(b.buffer), at);
    at += b.byteLength;
  }
  return { modelTopology: { node: nodes, versions: { producer: 1 } }, weightSpecs, weightData, outputs: outputs.map((_, i) => `out${i}`) };
}

async function tfjsOutputs(c: Case): Promise<{ shape: number[]; data: number[] }[]> {
  const m = modelOf(c);
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: m.modelTopology, weightSpecs: m.weightSpecs as tf.io.WeightsManifestEntry[], weightData: m.weightData.buffer }));
  const feeds: Record<string, tf.Tensor> = {};
  for (const o of c.operands.filter((o) => !o.constant)) feeds[o.name] = tf.tensor(o.data, o.shape, o.dtype);
  const result = await model.executeAsync(feeds, m.outputs);
  const list = Array.isArray(result) ? result : [result];
  return Promise.all(list.map(async (t) => ({ shape: t.shape, data: Array.from(await t.data()) })));
}

async function engineOutputs(c: Case): Promise<Tensor[]> {
  const m = modelOf(c);
  const json = { modelTopology: m.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: m.weightSpecs }] };
  const imported = await importTfjsModelJson(json, async () => m.weightData, c.name);
  const feeds: Record<string, Tensor> = {};
  for (const o of c.operands.filter((o) => !o.constant)) feeds[o.name] = new Tensor(o.dtype, o.shape, o.dtype === 'int32' ? Int32Array.from(o.data) : o.dtype === 'bool' ? Uint8Array.from(o.data) : Float32Array.from(o.data));
  const out = new ReferenceSession(imported).run(feeds);
  return m.outputs.map((name) => out[name]!);
}

const image = f32('x', [1, 5, 6, 3]);
const CASES: Case[] = [
  { name: 'StridedSlice with begin/end masks and a negative stride', op: 'StridedSlice', operands: [f32('x', [3, 4, 5]), i32('b', [3], [1, 0, 4]), i32('e', [3], [3, 3, 0]), i32('s', [3], [1, 2, -2])], attr: { begin_mask: int(2), end_mask: int(1), Index: { type: 'DT_INT32' } } },
  { name: 'StridedSlice shrinking an axis', op: 'StridedSlice', operands: [f32('x', [3, 4, 5]), i32('b', [2], [-1, 1]), i32('e', [2], [0, 3]), i32('s', [2], [1, 1])], attr: { shrink_axis_mask: int(1), Index: { type: 'DT_INT32' } } },
  { name: 'StridedSlice with an ellipsis and a new axis', op: 'StridedSlice', operands: [f32('x', [3, 4, 5]), i32('b', [3], [0, 0, 1]), i32('e', [3], [0, 0, 4]), i32('s', [3], [1, 1, 2])], attr: { ellipsis_mask: int(1), new_axis_mask: int(2), Index: { type: 'DT_INT32' } } },
  { name: 'FloorDiv on negative integers', op: 'FloorDiv', operands: [i32('a', [6], [7, -7, 7, -7, 0, -1], false), i32('d', [6], [2, 2, -2, -2, 3, 4])] },
  { name: 'FloorMod on negative floats', op: 'FloorMod', operands: [f32('a', [4], [5.5, -5.5, 5.5, -5.5]), c32('d', [4], [2, 2, -2, -2])] },
  ...[[false, false], [true, false], [false, true]].flatMap(([alignCorners, halfPixel]) =>
    (['ResizeBilinear', 'ResizeNearestNeighbor'] as const).map((op) => ({
      name: `${op} align_corners=${alignCorners} half_pixel_centers=${halfPixel}`, op, operands: [image, i32('size', [2], [8, 4])],
      attr: { align_corners: bool(alignCorners!), half_pixel_centers: bool(halfPixel!) },
    }))),
  { name: '_FusedConv2D with BiasAdd and Relu, SAME, stride 2', op: '_FusedConv2D', operands: [image, c32('w', [3, 3, 3, 4]), c32('bias', [4])], attr: { strides: ints(1, 2, 2, 1), padding: str('SAME'), data_format: str('NHWC'), dilations: ints(1, 1, 1, 1), fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu')] } }, num_args: int(1) } },
  { name: 'FusedDepthwiseConv2dNative with BiasAdd and Relu6, VALID', op: 'FusedDepthwiseConv2dNative', operands: [image, c32('w', [2, 2, 3, 2]), c32('bias', [6])], attr: { strides: ints(1, 1, 1, 1), padding: str('VALID'), data_format: str('NHWC'), dilations: ints(1, 1, 1, 1), fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } }, num_args: int(1) } },
  { name: 'Conv2DBackpropInput, SAME, stride 2', op: 'Conv2DBackpropInput', operands: [i32('sizes', [4], [1, 9, 11, 2]), c32('w', [3, 3, 2, 3]), f32('dy', [1, 5, 6, 3])], attr: { strides: ints(1, 2, 2, 1), padding: str('SAME'), data_format: str('NHWC'), dilations: ints(1, 1, 1, 1) } },
  { name: 'MaxPool 3x3 stride 2 SAME', op: 'MaxPool', operands: [image], attr: { ksize: ints(1, 3, 3, 1), strides: ints(1, 2, 2, 1), padding: str('SAME'), data_format: str('NHWC') } },
  { name: 'AvgPool 2x2 SAME excludes the padding', op: 'AvgPool', operands: [image], attr: { ksize: ints(1, 2, 2, 1), strides: ints(1, 2, 2, 1), padding: str('SAME'), data_format: str('NHWC') } },
  { name: 'TopKV2', op: 'TopKV2', operands: [f32('x', [2, 7]), i32('k', [], [3])], outputs: 2 },
  { name: 'NonMaxSuppressionV3', op: 'NonMaxSuppressionV3', operands: [c32('boxes', [5, 4], [0, 0, 1, 1, 0, 0.1, 1, 1.1, 0, -0.1, 1, 0.9, 0, 10, 1, 11, 0, 10.1, 1, 11.1]), f32('scores', [5], [0.9, 0.75, 0.6, 0.95, 0.5]), i32('max', [], [3]), c32('iou', [], [0.5]), c32('score', [], [0.55])] },
  { name: 'Pack on axis 1', op: 'Pack', operands: [f32('a', [2, 3]), c32('b', [2, 3])], attr: { axis: int(1), N: int(2) } },
  { name: 'Unpack on axis 1', op: 'Unpack', operands: [f32('x', [2, 3])], attr: { axis: int(1), num: int(3) }, outputs: 3 },
  { name: 'SplitV', op: 'SplitV', operands: [f32('x', [2, 6]), i32('sizes', [3], [1, 2, 3]), i32('axis', [], [1])], attr: { num_split: int(3) }, outputs: 3 },
  { name: 'MirrorPad REFLECT', op: 'MirrorPad', operands: [f32('x', [3, 4]), i32('p', [2, 2], [1, 2, 2, 1])], attr: { mode: str('REFLECT') } },
  { name: 'Mean with keep_dims', op: 'Mean', operands: [f32('x', [2, 3, 4]), i32('axes', [2], [0, 2])], attr: { keep_dims: bool(true) } },
  { name: 'ArgMax', op: 'ArgMax', operands: [f32('x', [3, 4]), i32('axis', [], [1])], attr: { output_type: { type: 'DT_INT32' } } },
  { name: 'OneHot', op: 'OneHot', operands: [i32('i', [4], [0, 2, -1, 1], false), i32('depth', [], [3]), c32('on', [], [5]), c32('off', [], [-1])], attr: { axis: int(-1) } },
  { name: 'GatherV2 on axis 1', op: 'GatherV2', operands: [f32('x', [2, 4]), i32('i', [3], [3, 0, 3]), i32('axis', [], [1])], attr: { batch_dims: int(0) } },
  { name: 'Cumsum exclusive reverse', op: 'Cumsum', operands: [f32('x', [2, 4]), i32('axis', [], [1])], attr: { exclusive: bool(true), reverse: bool(true) } },
  { name: 'SquaredDifference', op: 'SquaredDifference', operands: [f32('a', [2, 3]), c32('b', [3])] },
  { name: 'Select with a condition of the operands\' shape', op: 'Select', operands: [{ name: 'c', dtype: 'bool', shape: [3, 2], data: [1, 0, 1, 1, 0, 0] }, f32('a', [3, 2]), c32('b', [3, 2])] },
  { name: 'Rsqrt', op: 'Rsqrt', operands: [f32('x', [4], [0.25, 1, 4, 9])] },
];

describe('TF ops lowered to the IR agree with TF.js 4.22 (CPU backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const expected = await tfjsOutputs(c);
      const actual = await engineOutputs(c);
      expected.forEach((e, i) => {
        expect(actual[i]!.shape).toEqual(e.shape);
        const got = Array.from(actual[i]!.numeric as ArrayLike<number>, Number);
        got.forEach((v, k) => expect(Math.abs(v - e.data[k]!), `element ${k}: ${v} vs ${e.data[k]}`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(e.data[k]!)));
      });
    });
  }
});

describe('TF ops TF.js does not implement as TF does', () => {
  it('Select with a vector condition picks whole rows (tf.raw_ops.Select: "x and y must have the same shape; condition may be a vector of their first dim")', async () => {
    const c: Case = { name: 'Select rows', op: 'Select', operands: [{ name: 'c', dtype: 'bool', shape: [3], data: [1, 0, 1] }, f32('a', [3, 2], [1, 2, 3, 4, 5, 6]), c32('b', [3, 2], [10, 20, 30, 40, 50, 60])] };
    const [out] = await engineOutputs(c);
    expect(out!.shape).toEqual([3, 2]);
    expect(Array.from(out!.numeric as Float32Array)).toEqual([1, 2, 30, 40, 5, 6]);
  });
});
