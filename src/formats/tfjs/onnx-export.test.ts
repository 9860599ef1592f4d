import * as ort from 'onnxruntime-node';
import { describe, it } from 'vitest';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { Tensor } from '../../tensor/tensor.js';
import { encodeOnnxModel } from '../onnx/encode.js';
import { expectMatches, GRAPH_MODELS, importModel, referenceFeeds } from './reference-fixtures.js';

const hasShared = sharedOrSkip('TF.js models with tfjs 4.22 reference outputs');

/** Every TF.js fixture, graph and layers models, with the tolerance its reference-kernel test holds it to. */
const MODELS: Record<string, number> = { ...GRAPH_MODELS, 'nsfwjs-mobilenet_v2': 1e-5, 'tfjs-examples-abalone': 1e-5 };

/** A converted TF.js model is a standard ONNX file: onnxruntime-node runs it to the tfjs 4.22 reference. */
describe.skipIf(!hasShared)('TF.js models exported to ONNX run on onnxruntime-node to their tfjs references (rtol 1e-4)', () => {
  for (const [name, atol] of Object.entries(MODELS)) {
    it(`${name} (atol ${atol})`, async () => {
      const dir = sharedPath('models/tfjs', name);
      const imported = await importModel(dir);
      const session = await ort.InferenceSession.create(encodeOnnxModel(imported.model));
      const dtypes = Object.fromEntries(imported.spec.inputs.map((s) => [s.name, s.dtype]));
      const feeds = Object.fromEntries(Object.entries(referenceFeeds(dir, dtypes)).map(([k, t]) => [k, new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.shape])]));
      const out = await session.run(feeds);
      const tensors = imported.spec.outputs.map((s) => new Tensor('float32', out[s.name]!.dims as number[], out[s.name]!.data as Float32Array));
      expectMatches(dir, tensors, atol);
    }, 120_000);
  }
});
