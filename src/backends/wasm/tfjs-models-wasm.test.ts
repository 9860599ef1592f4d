import { describe, expect, it } from 'vitest';
import { load } from '../../api/model.js';
import { expectMatches, GRAPH_MODELS, referenceFeeds } from '../../formats/tfjs/reference-fixtures.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';

const hasShared = sharedOrSkip('TF.js models on the wasm backend');

// The tfjs 4.22 CPU references of ../shared/models/tfjs, at each model's tolerance for the reference kernels.
describe.skipIf(!hasShared)('TF.js graph models on the wasm backend match tfjs 4.22 CPU outputs', () => {
  for (const [name, atol] of Object.entries(GRAPH_MODELS)) {
    it(name, async () => {
      const dir = sharedPath('models/tfjs', name);
      const model = await load(`${dir}/model.json`, { backend: 'wasm', worker: false });
      try {
        expect(model.backend).toBe('wasm');
        const dtypes = Object.fromEntries(model.inputs.map((s) => [s.name, s.dtype]));
        const out = await model.infer(referenceFeeds(dir, dtypes));
        expectMatches(dir, model.outputs.map((s) => out[s.name]!), atol);
      } finally {
        await model.dispose();
      }
    }, 120_000);
  }
});
