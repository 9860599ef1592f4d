import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { encodeOnnxModel } from '../onnx/encode.js';
import { importTfjsModelJson } from './importer.js';

const hasShared = sharedOrSkip('TF.js models with tfjs 4.22 reference outputs');

/** A converted TF model is a standard ONNX file: onnxruntime-node runs it to the tfjs 4.22 reference. */
describe.skipIf(!hasShared)('TF.js models exported to ONNX run on onnxruntime-node', () => {
  for (const [name, atol] of [['emotion', 1e-5], ['iris', 1e-5], ['tfjs-examples-abalone', 1e-5]] as const) {
    it(`${name} matches its reference (rtol 1e-4, atol ${atol})`, async () => {
      const dir = sharedPath('models/tfjs', name);
      const imported = await importTfjsModelJson(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')), async (p) => readFileSync(join(dir, p)), name);
      const session = await ort.InferenceSession.create(encodeOnnxModel(imported.model));
      const input = imported.spec.inputs[0]!;
      const ref = JSON.parse(readFileSync(join(dir, 'reference/inputs.json'), 'utf8'))[input.name] as { shape: number[] };
      const n = ref.shape.reduce((a, b) => a * b, 1);
      const feeds = { [input.name]: new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => i / n), ref.shape) };
      const out = await session.run(feeds);
      const got = out[imported.spec.outputs[0]!.name]!.data as Float32Array;
      const bytes = readFileSync(join(dir, 'reference/output_0.bin'));
      const expected = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      expect(got.length).toBe(expected.length);
      expected.forEach((e, i) => expect(Math.abs(got[i]! - e)).toBeLessThanOrEqual(atol + 1e-4 * Math.abs(e)));
    });
  }
});
