import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel } from '../formats/onnx/decode.js';
import { GraphDefType } from '../formats/tensorflow/schema.js';
import { sharedOrSkip, sharedPath } from '../testing/shared-fixtures.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { convert } from './convert.js';
import { load } from './model.js';

const hasShared = sharedOrSkip('convert on the shared TensorFlow and TorchScript packages');

/** A folder's files as zip entries under `prefix`. */
function entriesOf(dir: string, prefix: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[prefix + relative(dir, p)] = new Uint8Array(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

/** One of TF.js's SavedModel fixtures packaged as Neuropod packages it: 0/data/savedmodel plus config.json. */
function savedModelPackage(name: string, inputs: object[], outputs: object[]): Uint8Array {
  const config = { name, platform: 'tensorflow', input_spec: inputs, output_spec: outputs };
  return zipSync({ 'config.json': text(JSON.stringify(config)), ...entriesOf(sharedPath('models/savedmodel', name), '0/data/savedmodel/') });
}

interface Case {
  name: string;
  source: () => Uint8Array | string;
  feeds: Record<string, Tensor>;
}

const f32 = (v: number[], shape: number[]) => tensor(new Float32Array(v), shape);
const i32 = (v: number[], shape: number[]) => tensor(new Int32Array(v), shape);

const TF_CASES: Case[] = [
  { name: 'tf_addition_model', source: () => sharedPath('models/neuropod/tf_addition_model'), feeds: { x: f32([1, 2, 3, 4], [2, 2]), y: f32([7, 8, 9, 10], [2, 2]) } },
  { name: 'times_three_float', source: () => savedModelPackage('times_three_float', [{ name: 'x', dtype: 'float32', shape: [] }], [{ name: 'output_0', dtype: 'float32', shape: [] }]), feeds: { x: f32([-2.5], []) } },
  { name: 'times_two_int', source: () => savedModelPackage('times_two_int', [{ name: 'x', dtype: 'int32', shape: [] }], [{ name: 'output_0', dtype: 'int32', shape: [] }]), feeds: { x: i32([-7], []) } },
  {
    name: 'model_multi_output',
    source: () => savedModelPackage('model_multi_output', [{ name: 'x', dtype: 'int32', shape: [] }, { name: 'y', dtype: 'int32', shape: [] }], [{ name: 'output_0', dtype: 'int32', shape: [] }, { name: 'output_1', dtype: 'int32', shape: [] }]),
    feeds: { x: i32([3], []), y: i32([11], []) },
  },
];

/** TF.js has no StringJoin kernel, so the strings model converts to ONNX only. */
const TF_STRINGS: Case = { name: 'tf_strings_model', source: () => sharedPath('models/neuropod/tf_strings_model'), feeds: { x: tensor(['apple', 'banana', 'carrot'], [3]), y: tensor(['sauce', 'pudding', 'cake'], [3]) } };

const TORCHSCRIPT_CASES: Case[] = [
  { name: 'torchscript_addition_model', source: () => sharedPath('models/neuropod/torchscript_addition_model'), feeds: { x: f32([1, 2, 3, 4], [2, 2]), y: f32([7, 8, 9, 10], [2, 2]) } },
  { name: 'torchscript_strings_model', source: () => sharedPath('models/neuropod/torchscript_strings_model'), feeds: { x: tensor(['apple', 'banana', 'carrot'], [3]), y: tensor(['sauce', 'pudding', 'cake'], [3]) } },
  { name: 'torchscript_dict_with_union_value_type_model', source: () => sharedPath('models/neuropod/torchscript_dict_with_union_value_type_model'), feeds: { a: tensor(['a', 'b', 'c'], [3]), b: f32([1, 2, 3], [3, 1]) } },
];

/** What our engine gives for the original package: the expected values of every converted form. */
async function ours(c: Case): Promise<Record<string, unknown[]>> {
  const model = await load(c.source());
  const out = await model.infer(c.feeds);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v))]));
}

async function onOnnxRuntime(c: Case): Promise<Record<string, unknown[]>> {
  const session = await ort.InferenceSession.create((await convert(c.source(), 'onnx')).get('model.onnx')!);
  const feeds = Object.fromEntries(Object.entries(c.feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.shape])]));
  const out = await session.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v))]));
}

describe.skipIf(!hasShared)('convert --to onnx: onnxruntime-node gives what our engine gives', () => {
  for (const c of [...TF_CASES, TF_STRINGS, ...TORCHSCRIPT_CASES]) {
    it(c.name, async () => {
      expect(await onOnnxRuntime(c)).toEqual(await ours(c));
    });
  }
});

describe.skipIf(!hasShared)('convert --to tfjs: @tensorflow/tfjs 4.22 (CPU) runs the graph model to our outputs', () => {
  for (const c of TF_CASES) {
    it(c.name, async () => {
      const files = await convert(c.source(), 'tfjs');
      const json = JSON.parse(new TextDecoder().decode(files.get('model.json')!));
      const tf = await import('@tensorflow/tfjs');
      await tf.setBackend('cpu');
      const shard = files.get(json.weightsManifest[0].paths[0])!;
      const model = await tf.loadGraphModel(
        tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: shard.slice().buffer, signature: json.signature }),
      );
      const feeds = Object.fromEntries(Object.entries(c.feeds).map(([k, t]) => [k, tf.tensor(t.data as Float32Array, [...t.shape], t.dtype as 'float32')]));
      const names = Object.keys(json.signature.outputs);
      let out = await model.executeAsync(feeds, names.map((n) => json.signature.outputs[n].name));
      if (!Array.isArray(out)) out = [out];
      const got = Object.fromEntries(await Promise.all(names.map(async (n, i) => [n, Array.from(await (out as { data(): Promise<ArrayLike<unknown>> }[])[i]!.data())])));
      expect(got).toEqual(await ours(c));
    });
  }

  it('our engine loads its own export back with the same spec and outputs', async () => {
    const c = TF_CASES[3]!;
    const files = await convert(c.source(), 'tfjs');
    const config = { name: 'roundtrip', platform: 'tfjs', input_spec: [{ name: 'x', dtype: 'int32', shape: [] }, { name: 'y', dtype: 'int32', shape: [] }], output_spec: [{ name: 'output_0', dtype: 'int32', shape: [] }, { name: 'output_1', dtype: 'int32', shape: [] }] };
    const pkg = zipSync({ 'config.json': text(JSON.stringify(config)), ...Object.fromEntries([...files].map(([p, b]) => [`0/data/${p}`, b])) });
    const model = await load(pkg);
    expect(model.outputs.map((o) => o.name)).toEqual(['output_0', 'output_1']);
    expect(await ours({ ...c, source: () => pkg })).toEqual(await ours(c));
  });

  it('refuses a TorchScript package, pointing at --to onnx', async () => {
    await expect(convert(sharedPath('models/neuropod/torchscript_addition_model'), 'tfjs')).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(/is a 'torchscript' package \(convert it --to onnx\)$/),
    });
  });
});

describe('convert of a graph with a variable (Neuropod accumulator)', () => {
  const float = { type: 'DT_FLOAT' };
  const scalar = (v: number) => ({ tensor: { dtype: 'DT_FLOAT', tensorShape: {}, floatVal: [v] } });
  const nodes = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float } },
    { name: 'acc', op: 'VariableV2', attr: { dtype: float, shape: { shape: {} } } },
    { name: 'acc/initial_value', op: 'Const', attr: { dtype: float, value: scalar(2) } },
    { name: 'acc/Assign', op: 'Assign', input: ['acc', 'acc/initial_value'], attr: { T: float } },
    { name: 'init', op: 'NoOp', input: ['^acc/Assign'] },
    { name: 'out', op: 'AssignAdd', input: ['acc', 'x'], attr: { T: float } },
  ];
  const pkg = () =>
    zipSync({
      'config.json': text(JSON.stringify({ name: 'accumulator', platform: 'tensorflow', input_spec: [{ name: 'x', dtype: 'float32', shape: [] }], output_spec: [{ name: 'out', dtype: 'float32', shape: [] }] })),
      '0/config.json': text(JSON.stringify({ node_name_mapping: { x: 'x:0', out: 'out:0' }, init_op_names: ['init'] })),
      '0/data/model.pb': GraphDefType.encode(GraphDefType.fromObject({ node: nodes })).finish(),
    });

  it('--to onnx keeps the variable as an input whose initializer is its value after init, and outputs its next value', async () => {
    const bytes = (await convert(pkg(), 'onnx')).get('model.onnx')!;
    const { graph } = await decodeOnnxModel(bytes, { source: 'accumulator.onnx' });
    expect(graph.inputs.map((i) => i.name)).toEqual(['x', 'state:acc']);
    expect(graph.outputs.map((o) => o.name)).toEqual(['out', 'state:acc:new']);
    expect(Array.from(graph.initializers.get('state:acc')!.numeric as Float32Array)).toEqual([2]);
    // onnxruntime runs it with the variable at its initial value: 2 + 4 = 6, the state after is 6.
    const session = await ort.InferenceSession.create(bytes);
    const first = await session.run({ x: new ort.Tensor('float32', new Float32Array([4]), []) });
    expect([first.out!.data, first['state:acc:new']!.data]).toEqual([new Float32Array([6]), new Float32Array([6])]);
  });

  it('--to tfjs refuses it, naming the node that assigns at run time', async () => {
    await expect(convert(pkg(), 'tfjs')).rejects.toMatchObject({ code: 'OP_UNSUPPORTED', message: expect.stringContaining("node 'out' (AssignAdd) assigns a variable at run time") });
  });
});
