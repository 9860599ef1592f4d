import { zipSync } from 'fflate';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOnnxModel } from '../formats/onnx/encode.js';
import type { Graph, Model as IrModel, Node } from '../graph/ir.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { load, LocalModel } from './model.js';
import { Session } from './session.js';
import { cpuBackend } from '../backends/cpu/cpu-backend.js';
import { chooseBackend } from '../backends/index.js';
import { sha256Hex } from '../archive/manifest.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const node = (opType: string, inputs: string[], outputs: string[]): Node => ({ name: `${opType}_0`, opType, domain: '', inputs, outputs, attributes: new Map() });
const f32 = (values: number[], shape: number[]): Tensor => tensor(new Float32Array(values), shape);
const values = (t: Tensor | undefined) => [t?.dtype, t?.shape, t ? Array.from(t.numeric as ArrayLike<number | bigint>) : undefined];

/** out = x + y and twice = out + out, on float32 [batch, 2]; the model of NEUROPOD-FORMAT.md section 7's addition case. */
function additionModel(): IrModel {
  const spec = { kind: 'tensor' as const, dtype: 'float32' as const, shape: ['batch', 2] };
  const graph: Graph = {
    name: 'addition_graph',
    nodes: [node('Add', ['x', 'y'], ['out']), node('Add', ['out', 'out'], ['twice'])],
    inputs: [{ name: 'x', type: spec }, { name: 'y', type: spec }],
    outputs: [{ name: 'out', type: spec }, { name: 'twice', type: spec }],
    initializers: new Map(),
  };
  return { graph, opsets: new Map([['', 13]]) };
}

// A copy: in Node the encoder hands back a Buffer, and sources are named after their class.
const ADDITION_ONNX = new Uint8Array(encodeOnnxModel(additionModel()));
const X = f32([1, 2, 3, 4], [2, 2]);
const Y = f32([7, 8, 9, 10], [2, 2]);
const CONFIG = {
  name: 'addition_model',
  platform: 'onnx',
  input_spec: [{ name: 'x', dtype: 'float32', shape: [null, 2] }, { name: 'y', dtype: 'float32', shape: [null, 2] }],
  output_spec: [{ name: 'out', dtype: 'float32', shape: [null, 2] }, { name: 'twice', dtype: 'float32', shape: [null, 2] }],
};

function neuropodZip(config: unknown, extra: Record<string, Uint8Array> = {}): Uint8Array {
  return zipSync({ 'config.json': text(typeof config === 'string' ? config : JSON.stringify(config)), '0/data/model.onnx': ADDITION_ONNX, ...extra });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'neuropod-web-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('load() of a bare ONNX model', () => {
  it('reports the spec from the graph: inputs, outputs, symbols kept', async () => {
    const model = await load(ADDITION_ONNX);
    expect([model.name, model.platform, model.backend]).toEqual(['addition_graph', 'onnx', (await chooseBackend('auto')).name]);
    expect(model.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 2] }, { name: 'y', dtype: 'float32', shape: ['batch', 2] }]);
    expect(model.outputs.map((o) => o.name)).toEqual(['out', 'twice']);
  });

  it('is named after its file when loaded by path', async () => {
    const path = join(dir, 'adder.onnx');
    await writeFile(path, ADDITION_ONNX);
    expect((await load(path)).name).toBe('adder');
  });

  it('adds x and y: out = [[8,10],[12,14]] (NEUROPOD-FORMAT.md section 7, addition)', async () => {
    const out = await (await load(ADDITION_ONNX)).infer({ x: X, y: Y });
    expect(values(out.out)).toEqual(['float32', [2, 2], [8, 10, 12, 14]]);
    expect(values(out.twice)).toEqual(['float32', [2, 2], [16, 20, 24, 28]]);
  });

  it('takes inputs as a Map', async () => {
    const out = await (await load(ADDITION_ONNX)).infer(new Map([['x', X], ['y', Y]]));
    expect(values(out.out)).toEqual(['float32', [2, 2], [8, 10, 12, 14]]);
  });

  it('returns only the requested outputs', async () => {
    const out = await (await load(ADDITION_ONNX)).infer({ x: X, y: Y }, { outputs: ['twice'] });
    expect(Object.keys(out)).toEqual(['twice']);
  });

  it('rejects an unknown requested output with Neuropod\'s message', async () => {
    await expect((await load(ADDITION_ONNX)).infer({ x: X, y: Y }, { outputs: ['bogus'] })).rejects.toMatchObject({
      code: 'OUTPUT_UNKNOWN',
      message: 'Neuropod Error: Tried to request a tensor that does not exist: bogus',
    });
  });

  it('says which input is missing when the graph needs it', async () => {
    await expect((await load(ADDITION_ONNX)).infer({ x: X })).rejects.toMatchObject({ code: 'USAGE', message: "infer(): Uint8Array needs input(s) 'y' to compute 'out', 'twice'" });
  });

  it('profiles the last run per operator', async () => {
    const model = await load(ADDITION_ONNX, { backend: 'cpu' });
    expect(model.profile()).toEqual([]);
    await model.infer({ x: X, y: Y });
    expect(model.profile().map((t) => [t.node, t.op, t.backend])).toEqual([['Add_0', 'Add', 'cpu'], ['Add_0', 'Add', 'cpu']]);
    expect(model.profile().every((t) => t.ms >= 0)).toBe(true);
  });

  it('rejects bytes that are neither a zip nor a model', async () => {
    await expect(load(text('this is not a package'))).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
      message: expect.stringMatching(/^Uint8Array is not a Neuropod package \(not a zip: it does not start with PK\\x03\\x04, and not a directory\) nor a model file this engine reads bare \(ONNX, TF\.js model\.json\): /),
    });
  });
});

describe('infer() validates against the spec', () => {
  it('rejects a wrong dtype', async () => {
    const model = await load(ADDITION_ONNX);
    await expect(model.infer({ x: tensor(new Int32Array(4), [2, 2]), y: Y })).rejects.toMatchObject({
      code: 'SPEC_DTYPE',
      message: "Neuropod Error: Tensor 'x' in the input spec is expected to be of type FLOAT_TENSOR, but was of type INT32_TENSOR",
    });
  });

  it('rejects a wrong shape', async () => {
    const model = await load(ADDITION_ONNX);
    await expect(model.infer({ x: X, y: f32([1, 2], [2]) })).rejects.toMatchObject({
      code: 'SPEC_RANK',
      message: "Neuropod Error: Tensor 'y' in the input spec is expected to have 2 dimensions, but had 1",
    });
    await expect(model.infer({ x: X, y: f32([1, 2, 3, 4, 5, 6], [2, 3]) })).rejects.toMatchObject({
      code: 'SPEC_DIM',
      message: "Neuropod Error: Dim 1 of tensor 'y' in the input spec is expected to be of size 2, but was of size 3",
    });
  });

  it('rejects sizes that break a symbol', async () => {
    await expect((await load(ADDITION_ONNX)).infer({ x: X, y: f32([1, 2], [1, 2]) })).rejects.toMatchObject({ code: 'SPEC_SYMBOL' });
  });

  it('rejects a name not in the spec', async () => {
    await expect((await load(ADDITION_ONNX)).infer({ x: X, y: Y, z: X })).rejects.toMatchObject({
      code: 'SPEC_UNKNOWN_NAME',
      message: "Neuropod Error: Tensor name(s) '[z]' are not found in the input spec",
    });
  });

  it('skips the checks with validate: false, still refusing names that mean nothing', async () => {
    const model = await load(ADDITION_ONNX, { validate: false });
    const out = await model.infer({ x: f32([1, 2], [1, 2]), y: Y });
    expect(values(out.out)).toEqual(['float32', [2, 2], [8, 10, 10, 12]]);
    await expect(model.infer({ x: X, y: Y, z: X })).rejects.toMatchObject({ code: 'SPEC_UNKNOWN_NAME' });
  });

  it('refuses an input that is not a Tensor', async () => {
    await expect((await load(ADDITION_ONNX)).infer({ x: [1, 2] as never, y: Y })).rejects.toMatchObject({
      code: 'USAGE',
      message: "infer(): input 'x' is not a Tensor (make one with tensor(data, shape, dtype))",
    });
  });
});

describe('Model lifecycle and options', () => {
  it('refuses infer after dispose', async () => {
    const model = await load(ADDITION_ONNX);
    await model.dispose();
    await expect(model.infer({ x: X, y: Y })).rejects.toMatchObject({ code: 'DISPOSED', message: "model 'addition_graph' was disposed; load it again to run it" });
  });

  it('keeps its spec safe from callers', async () => {
    const model = await load(ADDITION_ONNX);
    expect(() => (model.inputs[0]!.shape as unknown[]).push(3)).toThrow(TypeError);
  });

  it('rejects a backend that does not exist', async () => {
    await expect(load(ADDITION_ONNX, { backend: 'gpu' as never })).rejects.toMatchObject({
      code: 'USAGE',
      message: 'load(): backend must be one of auto, cpu, wasm, webgpu; got "gpu"',
    });
  });

  it('accepts worker and threads, and checks them', async () => {
    // 'auto' takes the best backend that starts here: webgpu where an adapter exists (SwiftShader in CI), else wasm.
    expect((await load(ADDITION_ONNX, { worker: false, threads: 2 })).backend).toBe((await chooseBackend('auto')).name);
    await expect(load(ADDITION_ONNX, { threads: 0 })).rejects.toMatchObject({ code: 'USAGE', message: 'load(): threads must be a positive integer; got 0' });
  });

  it('stops when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(load(ADDITION_ONNX, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED', message: 'load() was cancelled' });
    const model = await load(ADDITION_ONNX);
    await expect(model.infer({ x: X, y: Y }, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED', message: 'infer() was cancelled' });
  });
});

describe('load() of a Neuropod package', () => {
  it('reports name, platform and spec from config.json', async () => {
    const model = await load(neuropodZip(CONFIG));
    expect([model.name, model.platform]).toEqual(['addition_model', 'onnx']);
    expect(model.inputs).toEqual(CONFIG.input_spec);
    expect(model.outputs).toEqual(CONFIG.output_spec);
  });

  it('runs an onnx package: out = [[8,10],[12,14]]', async () => {
    const out = await (await load(neuropodZip(CONFIG))).infer({ x: X, y: Y }, { outputs: ['out'] });
    expect(values(out.out)).toEqual(['float32', [2, 2], [8, 10, 12, 14]]);
  });

  it.each([
    ['not a zip', text('PK but not a zip'), 'ARCHIVE_INVALID'],
    ['a truncated zip', neuropodZip(CONFIG).subarray(0, 60), 'ARCHIVE_INVALID'],
    ['a zip without config.json', zipSync({ '0/data/model.onnx': ADDITION_ONNX }), 'CONFIG_INVALID'],
    ['a config that is not JSON', neuropodZip('{"name": "addition_model",'), 'CONFIG_INVALID'],
    ['a config with a non-string name', neuropodZip({ ...CONFIG, name: true }), 'CONFIG_INVALID'],
    ['a config with dtype complex128', neuropodZip({ ...CONFIG, input_spec: [{ name: 'x', dtype: 'complex128', shape: [2] }] }), 'CONFIG_INVALID'],
    ['a config with shape "123"', neuropodZip({ ...CONFIG, input_spec: [{ name: 'x', dtype: 'float32', shape: '123' }] }), 'CONFIG_INVALID'],
    ['a config with device TPU', neuropodZip({ ...CONFIG, input_tensor_device: { x: 'TPU' } }), 'CONFIG_INVALID'],
    ['a config with dim 0', neuropodZip({ ...CONFIG, input_spec: [{ name: 'x', dtype: 'float32', shape: [0, 2] }] }), 'CONFIG_INVALID'],
    ['custom ops', neuropodZip({ ...CONFIG, custom_ops: ['addition_op.so'] }), 'CUSTOM_OPS_UNSUPPORTED'],
  ])('rejects %s', async (_, bytes, code) => {
    await expect(load(bytes)).rejects.toMatchObject({ code });
  });

  it('loads a package whose platform cannot run here, reporting its spec; infer() says why', async () => {
    const model = await load(neuropodZip({ ...CONFIG, platform: 'python' }));
    expect([model.name, model.platform, model.inputs]).toEqual(['addition_model', 'python', CONFIG.input_spec]);
    await expect(model.infer({ x: X, y: Y })).rejects.toMatchObject({ code: 'PLATFORM_UNSUPPORTED', message: expect.stringMatching(/^platform 'python' runs arbitrary Python and needs a Python interpreter/) });
  });

  it('rejects a platform nobody knows at infer, naming the ones it reads', async () => {
    const model = await load(neuropodZip({ ...CONFIG, platform: 'caffe' }));
    await expect(model.infer({ x: X, y: Y })).rejects.toMatchObject({ code: 'PLATFORM_UNSUPPORTED', message: expect.stringMatching(/^platform 'caffe' is not one this engine reads; supported: /) });
  });

  it('names the file that does not match manifest.json', async () => {
    const config = text(JSON.stringify(CONFIG));
    const manifest = { files: { 'config.json': await sha256Hex(text('something else')) }, manifest_version: 1 };
    const bytes = zipSync({ 'config.json': config, 'manifest.json': text(JSON.stringify(manifest)), '0/data/model.onnx': ADDITION_ONNX });
    const actual = await sha256Hex(config); // before load() starts, so its rejection is handled at once
    await expect(load(bytes)).rejects.toMatchObject({
      code: 'MANIFEST_MISMATCH',
      message: `'config.json' in Uint8Array does not match manifest.json: its sha256 is ${actual}, the manifest says ${manifest.files['config.json']}`,
    });
  });

  it('explains custom ops', async () => {
    await expect(load(neuropodZip({ ...CONFIG, custom_ops: ['addition_op.so'] }))).rejects.toThrowError(
      'Uint8Array needs native custom ops (addition_op.so in 0/ops), which cannot be loaded in a browser or by this engine. Package the model without custom ops, or export it to ONNX with those ops expressed in standard operators.',
    );
  });
});

describe('Session state', () => {
  it('carries a variable from one infer to the next (TensorFlow variables after init)', async () => {
    const graph: Graph = {
      name: 'counter',
      nodes: [node('Add', ['total', 'x'], ['total_next']), node('Identity', ['total_next'], ['sum'])],
      inputs: [{ name: 'total' }, { name: 'x' }],
      outputs: [{ name: 'sum' }],
      initializers: new Map(),
    };
    const imported = { model: { graph, opsets: new Map([['', 13]]) }, state: [{ input: 'total', output: 'total_next', initial: f32([0], [1]) }] };
    const spec = [{ name: 'x', dtype: 'float32' as const, shape: [1] }];
    const opened = { source: 'counter', name: 'counter', platform: 'tensorflow', inputs: spec, outputs: [{ name: 'sum', dtype: 'float32' as const, shape: [1] }], imported };
    const model = new LocalModel(opened, await Session.open(imported, 'counter', cpuBackend, {}), 'cpu', true);
    const sums: number[] = [];
    for (const v of [5, 2, 10]) sums.push((await model.infer({ x: f32([v], [1]) })).sum!.numeric[0] as number);
    expect(sums).toEqual([5, 7, 17]);
  });
});

describe('Session.retains (what a Worker must copy rather than transfer)', () => {
  it('counts a constant that planning folded as retained, so an output that is that constant is not detached', async () => {
    // out = Identity(Cast(c)): Cast of a constant folds to a new initializer, and Identity hands that very tensor out.
    const graph: Graph = {
      name: 'folded',
      nodes: [
        { name: 'cast', opType: 'Cast', domain: '', inputs: ['c'], outputs: ['c_float'], attributes: new Map([['to', { type: 'int', value: 1 }]]) },
        node('Identity', ['c_float'], ['out']),
      ],
      inputs: [],
      outputs: [{ name: 'out', type: { kind: 'tensor', dtype: 'float32', shape: [2] } }],
      initializers: new Map([['c', tensor(new Int32Array([3, 4]), [2])]]),
    };
    const session = await Session.open({ model: { graph, opsets: new Map([['', 13]]) } }, 'folded', cpuBackend, {});
    const out = (await session.run(new Map(), ['out'], [])).get('out')!;
    expect(Array.from(out.numeric as Float32Array)).toEqual([3, 4]);
    expect(session.retains((out.numeric as Float32Array).buffer)).toBe(true);
    expect(session.retains(new ArrayBuffer(8))).toBe(false);
  });
});

