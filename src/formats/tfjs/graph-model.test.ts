import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { Tensor } from '../../tensor/tensor.js';
import { ReferenceSession } from '../tensorflow/reference-session.js';
import { importTfjsModelJson } from './importer.js';
import { expectMatches, GRAPH_MODELS, importModel, referenceFeeds } from './reference-fixtures.js';

const hasShared = sharedOrSkip('TF.js models with tfjs 4.22 reference outputs');


describe.skipIf(!hasShared)('TF.js graph models match tfjs 4.22 CPU outputs (rtol 1e-4, atol 1e-5)', () => {
  for (const [name, atol] of Object.entries(GRAPH_MODELS)) {
    it(name, async () => {
      const dir = sharedPath('models/tfjs', name);
      const imported = await importModel(dir);
      const session = new ReferenceSession(imported);
      expect(session.missingKernels()).toEqual([]);
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
  // Read only when the suite runs: a skipped describe's body still runs to collect its tests.
  const expected = hasShared ? JSON.parse(readFileSync(join(root, 'EXPECTED.json'), 'utf8')) : {};

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
