import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../../kernels/index.js';
import type { Model } from '../../graph/ir.js';
import { GraphExecutor } from '../../runtime/executor.js';
import type { TensorSpec } from '../../spec/types.js';
import { Tensor, tensor } from '../../tensor/tensor.js';
import { readNpy } from '../../testing/npy.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { archiveWithCode } from '../../testing/torchscript-archive.js';
import { encodeOnnxModel } from '../onnx/encode.js';
import { readNeuropodTestData } from '../pickle/test-data.js';
import { lowerTorchScript } from './importer.js';

const shared = sharedOrSkip('TorchScript Neuropod fixtures');

interface RawConfig { name: string; input_spec: TensorSpec[]; output_spec: TensorSpec[] }

function lowerFixture(name: string): Model {
  const dir = sharedPath('models/neuropod', name);
  const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')) as RawConfig;
  return lowerTorchScript(new Uint8Array(readFileSync(`${dir}/0/data/model.pt`)), name, { name: config.name, inputSpec: config.input_spec, outputSpec: config.output_spec });
}

/** Runs on the reference kernels; a node without a kernel fails the test (OP_UNSUPPORTED). */
function runReference(model: Model, feeds: Record<string, Tensor>): Map<string, unknown> {
  const executor = new GraphExecutor(model, referenceKernels);
  executor.checkSupported();
  return executor.run(new Map(Object.entries(feeds)));
}

const f32 = (v: number[], shape: number[]) => tensor(new Float32Array(v), shape);

describe.runIf(shared)('TorchScript Neuropod fixtures (NEUROPOD-FORMAT.md section 7)', () => {
  for (const name of ['torchscript_addition_model', 'torchscript_addition_model_single_output']) {
    it(`${name}: adds x and y (out = [8, 10, 12, 14])`, () => {
      const model = lowerFixture(name);
      expect(model.graph.inputs.map((i) => i.name)).toEqual(['x', 'y']);
      const out = runReference(model, { x: f32([1, 2, 3, 4], [2, 2]), y: f32([7, 8, 9, 10], [2, 2]) });
      expect(out).toBeDefined();
      expect([...(out.get('out') as Tensor).numeric]).toEqual([8, 10, 12, 14]);
    });
  }

  it('leaves the never-used `optional` input out of the graph', () => {
    expect(lowerFixture('torchscript_addition_model_single_output').graph.inputs.map((i) => i.name)).not.toContain('optional');
  });

  it('reproduces test_data.pkl of the single-output model', () => {
    const data = readNeuropodTestData(readFileSync(sharedPath('models/neuropod/torchscript_addition_model_single_output/test_data.pkl')));
    const out = runReference(lowerFixture('torchscript_addition_model_single_output'), data.inputs);
    expect([...(out.get('out') as Tensor).numeric].map(Number)).toEqual([...data.outputs.out!.numeric].map(Number));
  });

  it('strings: joins x and y element-wise with a space (StringConcat over the list)', () => {
    const model = lowerFixture('torchscript_strings_model');
    expect(model.graph.nodes.filter((n) => n.opType === 'StringConcat')).toHaveLength(2);
    const out = runReference(model, { x: tensor(['apple', 'banana', 'carrot'], [3]), y: tensor(['sauce', 'pudding', 'cake'], [3]) });
    expect((out.get('out') as Tensor).data).toEqual(['apple sauce', 'banana pudding', 'carrot cake']);
  });

  it('union dict: looks a up in the vocab {a: 1, b: 2} (default 0) and concatenates b (c = [1,1, 2,2, 0,3])', () => {
    const model = lowerFixture('torchscript_dict_with_union_value_type_model');
    const lookup = model.graph.nodes.find((n) => n.opType === 'LabelEncoder')!;
    expect(lookup.attributes.get('keys_strings')?.value).toEqual(['a', 'b']);
    expect(lookup.attributes.get('values_int64s')?.value).toEqual([1, 2]);
    expect(lookup.attributes.get('default_int64')?.value).toBe(0);
    const out = runReference(model, { a: tensor(['a', 'b', 'c'], [3]), b: f32([1, 2, 3], [3, 1]) });
    expect([...(out.get('c') as Tensor).numeric]).toEqual([1, 1, 2, 2, 0, 3]);
  });

});

const spec = (name: string): TensorSpec => ({ name, dtype: 'float32', shape: [null] });

describe('lowering TorchScript code', () => {
  it('rejects an aten op with no lowering, naming the op and the source line', () => {
    const code = 'class M(Module):\n  def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n    y = torch.relu(x)\n    return torch.frobnicate(y, 2)\n';
    expect(() => lowerTorchScript(archiveWithCode(code), 'm.pt', { name: 'm', inputSpec: [spec('x')], outputSpec: [spec('out')] }))
      .toThrow(/operator aten::frobnicate has no lowering to ONNX \(TorchScript __torch__\.M\.forward:5\)/);
  });

  it('folds load-time Python values and unrolls loops over constant ranges', () => {
    const code = 'class M(Module):\n  def forward(self: __torch__.M,\n    x: Tensor) -> Dict[str, Tensor]:\n    y = x\n    for i in range(3):\n      y = torch.add(y, x, alpha=1)\n    n = 2 * 3 + 1\n    return {"out": torch.mul(y, n)}\n';
    const model = lowerTorchScript(archiveWithCode(code), 'm.pt', { name: 'm', inputSpec: [spec('x')], outputSpec: [spec('out')] });
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Add', 'Add', 'Add', 'Mul', 'Identity']);
    const out = runReference(model, { x: f32([1, 2], [2]) });
    if (out) expect([...(out.get('out') as Tensor).numeric]).toEqual([28, 56]);
  });
});

/** Largest |a - e| beyond a 1e-4 relative tolerance. */
function worstExcess(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) - 1e-4 * Math.abs(expected[i]!));
  return worst;
}

// Traced torchvision / torch.nn models; expected outputs computed by torch 1.13 (bench/<name>/output.npy).
// The lowered graph runs on onnxruntime-node (independent reference) and on the engine's reference kernels.
describe.runIf(shared)('TorchScript bench models match torch outputs', () => {
  for (const name of ['mobilenet_v2', 'squeezenet1_1', 'encoder_mini', 'lstm_tagger']) {
    it(`${name}: lowered graph on onnxruntime-node and on the reference kernels is within rtol 1e-4, atol 1e-6 of output.npy`, async () => {
      const zip = unzipSync(new Uint8Array(readFileSync(sharedPath('bench', name, `${name}.neuropod`))));
      const config = JSON.parse(new TextDecoder().decode(zip['config.json'])) as RawConfig;
      const model = lowerTorchScript(zip['0/data/model.pt']!, name, { name: config.name, inputSpec: config.input_spec, outputSpec: config.output_spec });
      // Copies: readFileSync may hand back a view into Node's buffer pool.
      const input = readNpy(new Uint8Array(readFileSync(sharedPath('bench', name, 'input.npy'))));
      const want = readNpy(new Uint8Array(readFileSync(sharedPath('bench', name, 'output.npy'))));
      const session = await ort.InferenceSession.create(encodeOnnxModel(model));
      const feeds = { [config.input_spec[0]!.name]: new ort.Tensor(input.dtype as 'float32', input.data as Float32Array, [...input.shape]) };
      const got = (await session.run(feeds))[config.output_spec[0]!.name]!;
      expect(got.dims).toEqual(want.shape);
      expect(worstExcess(got.data as Float32Array, want.numeric as Float32Array)).toBeLessThanOrEqual(1e-6);
      const reference = runReference(model, { [config.input_spec[0]!.name]: input });
      if (reference) {
        const out = reference.get(config.output_spec[0]!.name) as Tensor;
        expect(out.shape).toEqual(want.shape);
        expect(worstExcess(out.numeric as Float32Array, want.numeric as Float32Array)).toBeLessThanOrEqual(1e-6);
      }
    }, 300_000);
  }
});
