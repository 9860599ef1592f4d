import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { Tensor } from '../../tensor/tensor.js';
import { ReferenceSession } from '../tensorflow/reference-session.js';
import { importTfjsModelJson } from './importer.js';

const hasShared = sharedOrSkip('TF.js models with tfjs 4.22 reference outputs');

interface ReferenceInput { dtype: 'float32' | 'int32'; shape: number[]; data?: number[] }
interface ReferenceOutput { dtype: string; shape: number[]; file: string }

/** inputs.json: explicit data, or the ramp data[i] = i / n its generator field names. */
function referenceFeeds(dir: string, dtypes: Record<string, string>): Record<string, Tensor> {
  const inputs = JSON.parse(readFileSync(join(dir, 'reference/inputs.json'), 'utf8')) as Record<string, ReferenceInput>;
  const feeds: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(inputs)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = spec.data ?? Array.from({ length: n }, (_, i) => i / n);
    const dtype = dtypes[name] ?? spec.dtype;
    const data = dtype === 'int64' ? BigInt64Array.from(values, (v) => BigInt(v)) : dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
    feeds[name] = new Tensor(dtype as Tensor['dtype'], spec.shape, data);
  }
  return feeds;
}

/** The reference names outputs by tensor name (":0" dropped); the spec by signature key. */
function expectMatches(dir: string, actual: Tensor[], atol: number): void {
  const outputs = Object.values(JSON.parse(readFileSync(join(dir, 'reference/outputs.json'), 'utf8')) as Record<string, ReferenceOutput>);
  expect(actual).toHaveLength(outputs.length);
  outputs.forEach((ref, i) => {
    const bytes = readFileSync(join(dir, 'reference', ref.file));
    const expected = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const got = actual[i]!;
    expect(got.shape).toEqual(ref.shape);
    const values = got.numeric as Float32Array;
    let worst = 0;
    for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(values[k]! - expected[k]!) - 1e-4 * Math.abs(expected[k]!));
    expect(worst, `output ${i}: max excess over atol+rtol*|ref|`).toBeLessThanOrEqual(atol);
  });
}

async function importModel(dir: string) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  return importTfjsModelJson(json, async (path) => readFileSync(join(dir, path)), `${dir}/model.json`);
}

/**
 * atol 1e-5 except where outputs reach |ref| 133 (blazeface) and 293 (facemesh): there float32 sums taken in
 * another order than TF.js's leave up to 9.4e-5 and 4.0e-4 absolute on values near zero (3 ulp of the
 * output's scale), so those two are held to atol 1e-4 and 5e-4.
 */
const GRAPH_MODELS: Record<string, number> = {
  blazeface: 1e-4, emotion: 1e-5, 'facemesh-detection-short': 5e-4, iris: 1e-5, 'movenet-lightning': 1e-5,
  'nsfwjs-mobilenet_v2_mid': 1e-5, selfie: 1e-5, 'tfjs-examples-predictive-prefetching': 1e-5,
};

describe.skipIf(!hasShared)('TF.js graph models match tfjs 4.22 CPU outputs (rtol 1e-4, atol 1e-5)', () => {
  for (const [name, atol] of Object.entries(GRAPH_MODELS)) {
    it(name, async () => {
      const dir = sharedPath('models/tfjs', name);
      const imported = await importModel(dir);
      const session = new ReferenceSession(imported);
      const missing = session.missingKernels();
      if (missing.length) console.warn(`${name}: no reference kernel yet for ${missing.join(', ')}`);
      const dtypes = Object.fromEntries(imported.spec.inputs.map((s) => [s.name, s.dtype]));
      const out = session.run(referenceFeeds(dir, dtypes));
      expectMatches(dir, imported.spec.outputs.map((s) => out[s.name]!), atol);
    });
  }
});

describe.skipIf(!hasShared)('TF.js layers models match tfjs 4.22 CPU outputs (rtol 1e-4, atol 1e-5)', () => {
  for (const name of ['nsfwjs-mobilenet_v2', 'tfjs-examples-abalone']) {
    it(name, async () => {
      const dir = sharedPath('models/tfjs', name);
      const imported = await importModel(dir);
      const out = new ReferenceSession(imported).run(referenceFeeds(dir, {}));
      expectMatches(dir, imported.spec.outputs.map((s) => out[s.name]!), 1e-5);
    });
  }
});

describe.skipIf(!hasShared)('TF.js repository models give the values load_predict_test.ts expects (EXPECTED.json)', () => {
  const root = sharedPath('models/tfjs-repo/e2e/integration_tests/load_predict_data');
  const expected = JSON.parse(readFileSync(join(root, 'EXPECTED.json'), 'utf8'));

  it('layers_model (Embedding + GRU with go_backwards and hard_sigmoid)', async () => {
    const imported = await importModel(join(root, 'layers_model'));
    const { inputs, expected_output } = expected['layers_model/model.json'];
    const feed = inputs['embedding input'];
    const out = new ReferenceSession(imported).run({ [imported.spec.inputs[0]!.name]: new Tensor('float32', feed.shape, Float32Array.from(feed.data)) });
    const got = out[imported.spec.outputs[0]!.name]!;
    expect(got.shape).toEqual(expected_output.shape);
    (expected_output.data as number[]).forEach((v, i) => expect(Math.abs((got.numeric as Float32Array)[i]! - v)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(v)));
  });

  for (const file of ['model.json', 'model_new.json']) {
    it(`graph_model/${file} (MatMul)`, async () => {
      const dir = join(root, 'graph_model');
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      const imported = await importTfjsModelJson(json, async (path) => readFileSync(join(dir, path)), file);
      const { expected_output } = expected['graph_model/model.json and graph_model/model_new.json'];
      const out = new ReferenceSession(imported).run({ Placeholder: new Tensor('float32', [2, 2], new Float32Array([1, 1, 1, 1])) });
      expect(Array.from(out[imported.spec.outputs[0]!.name]!.numeric as Float32Array)).toEqual(expected_output.data);
    });
  }
});
