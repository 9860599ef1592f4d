import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Tensor } from '../../tensor/tensor.js';
import { importTfjsModelJson } from './importer.js';

/**
 * The TF.js fixtures' references (../shared/models/tfjs/<name>/reference, computed by @tensorflow/tfjs 4.22 on
 * its CPU backend): the inputs they were run on and a check of outputs against them. Shared by the tests that run
 * the models on the reference kernels and the tests that run their ONNX conversion on onnxruntime-node.
 */
interface ReferenceInput { dtype: 'float32' | 'int32'; shape: number[]; data?: number[] }
interface ReferenceOutput { dtype: string; shape: number[]; file: string }

/** inputs.json: explicit data, or the ramp data[i] = i / n its generator field names. */
export function referenceFeeds(dir: string, dtypes: Record<string, string>): Record<string, Tensor> {
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
export function expectMatches(dir: string, actual: Tensor[], atol: number): void {
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

export async function importModel(dir: string) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  return importTfjsModelJson(json, async (path) => readFileSync(join(dir, path)), `${dir}/model.json`);
}


/**
 * atol 1e-5 except where outputs reach |ref| 133 (blazeface) and 293 (facemesh): there float32 sums taken in
 * another order than TF.js's leave up to 9.4e-5 and 4.0e-4 absolute on values near zero (3 ulp of the
 * output's scale), so those two are held to atol 1e-4 and 5e-4.
 */
export const GRAPH_MODELS: Record<string, number> = {
  blazeface: 1e-4, emotion: 1e-5, 'facemesh-detection-short': 5e-4, iris: 1e-5, 'movenet-lightning': 1e-5,
  'nsfwjs-mobilenet_v2_mid': 1e-5, selfie: 1e-5, 'tfjs-examples-predictive-prefetching': 1e-5,
};
