import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILT_BACKENDS } from '../backends/index.js';
import { compareOutputs } from '../testing/compare.js';
import { formatReport } from '../testing/format-report.js';
import { readNpy } from '../testing/npy.js';
import { sharedOrSkip, sharedPath } from '../testing/shared-fixtures.js';
import { isNeuropodError } from './errors.js';
import { load } from './model.js';

const shared = sharedOrSkip('the four bench models on every backend');
const BENCH = ['mobilenet_v2', 'squeezenet1_1', 'encoder_mini', 'lstm_tagger'];
const npy = (name: string, file: string) => readNpy(new Uint8Array(readFileSync(sharedPath('bench', name, file))));

/**
 * ../shared/bench: torchvision / torch.nn models with seeded weights, as ONNX (opset 13) and as a traced
 * TorchScript Neuropod, and torch 1.13's output.npy. Each file on each backend this build has: within rtol 1e-4
 * with atol 1e-5 (float32 sums in another order than torch's differ by ulps on elements near zero).
 */
describe.runIf(shared)('bench models match torch 1.13 on every backend (rtol 1e-4, atol 1e-5)', () => {
  for (const backend of BUILT_BACKENDS) {
    for (const name of BENCH) {
      for (const file of ['model.onnx', `${name}.neuropod`]) {
        it(`${backend}: ${name}/${file}`, async (ctx) => {
          let model;
          try {
            model = await load(sharedPath('bench', name, file), { backend, worker: false });
          } catch (e) {
            if (isNeuropodError(e) && e.code === 'BACKEND_UNAVAILABLE') ctx.skip(`${backend} cannot start here: ${e.message}`);
            throw e;
          }
          try {
            const out = await model.infer({ [model.inputs[0]!.name]: npy(name, 'input.npy') });
            const report = compareOutputs({ out: Object.values(out)[0]! }, { out: npy(name, 'output.npy') }, { rtol: 1e-4, atol: 1e-5 });
            expect(report.pass, formatReport(report)).toBe(true);
          } finally {
            await model.dispose();
          }
        }, 300_000);
      }
    }
  }
});
