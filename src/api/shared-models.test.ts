import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readTensorProto } from '../formats/onnx/decode.js';
import { sharedOrSkip, sharedPath } from '../testing/shared-fixtures.js';
import { DTYPES } from '../tensor/dtype.js';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { load, type Model } from './model.js';

const hasNeuropod = sharedOrSkip('Neuropod fixture packages');
const NEUROPOD_DIR = hasNeuropod ? sharedPath('models/neuropod') : '';
const PACKAGES = hasNeuropod ? readdirSync(NEUROPOD_DIR).sort() : [];

const f32 = (values: number[], shape: number[]) => tensor(new Float32Array(values), shape);
const strings = (values: string[]) => tensor(values, [values.length], 'string');

/** NEUROPOD-FORMAT.md section 7: inputs and expected outputs of each conformance case. */
interface Case {
  inputs: Record<string, Tensor>;
  outputs?: string[];
  expected: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
}
const ADDITION: Case = {
  inputs: { x: f32([1, 2, 3, 4], [2, 2]), y: f32([7, 8, 9, 10], [2, 2]) },
  expected: { out: { dtype: 'float32', shape: [2, 2], values: [8, 10, 12, 14] } },
};
const STRINGS: Case = {
  inputs: { x: strings(['apple', 'banana', 'carrot']), y: strings(['sauce', 'pudding', 'cake']) },
  outputs: ['out'],
  expected: { out: { dtype: 'string', shape: [3], values: ['apple sauce', 'banana pudding', 'carrot cake'] } },
};
const CASES: Record<string, Case> = {
  tf_addition_model: ADDITION,
  torchscript_addition_model: ADDITION,
  torchscript_addition_model_single_output: ADDITION,
  tf_strings_model: STRINGS,
  torchscript_strings_model: STRINGS,
  torchscript_dict_with_union_value_type_model: {
    inputs: { a: strings(['a', 'b', 'c']), b: f32([1, 2, 3], [3, 1]) },
    expected: { c: { dtype: 'float32', shape: [3, 2], values: [1, 1, 2, 2, 0, 3] } },
  },
};

function rawConfig(name: string): { name: string; platform: string; input_spec: unknown[]; output_spec: unknown[] } {
  return JSON.parse(readFileSync(join(NEUROPOD_DIR, name, 'config.json'), 'utf8'));
}

describe.skipIf(!hasNeuropod)('Neuropod fixture packages (../shared/models/neuropod)', () => {
  it('has the eight packages of NEUROPOD-FORMAT.md section 7', () => {
    expect(PACKAGES).toHaveLength(8);
  });

  describe.each(PACKAGES)('%s', (name) => {
    const path = join(NEUROPOD_DIR, name);

    it('opens and reports the spec of its config.json exactly', async () => {
      const model = await load(path);
      const raw = rawConfig(name);
      expect([model.name, model.platform]).toEqual([raw.name, raw.platform]);
      expect(model.inputs).toEqual(raw.input_spec.map((s) => ({ ...(s as object) })));
      expect(model.outputs).toEqual(raw.output_spec.map((s) => ({ ...(s as object) })));
    });

    const c = CASES[name];
    // torchscript_addition_model_single_output's spec has an input `optional` the model never takes: it is not fed.
    // Spec-only packages (the dummy detectors): zeros shaped by the input spec (a symbol or free dim as 1), and
    // infer() checks every output against the output spec, symbols included.
    if (!c) {
      it('runs on zeros shaped by its input spec, its outputs passing the output spec', async () => {
        const model = await load(path);
        const inputs = Object.fromEntries(model.inputs.map((s) => {
          const shape = s.shape.map((d) => (typeof d === 'number' ? d : 1));
          const size = shape.reduce((a, b) => a * b, 1);
          return [s.name, tensor(s.dtype === 'string' ? Array.from({ length: size }, () => '') : new (DTYPES[s.dtype].array!)(size), shape, s.dtype)];
        }));
        const out = await model.infer(inputs);
        expect(Object.keys(out).sort()).toEqual(model.outputs.map((o) => o.name).sort());
      });
    } else {
      it('gives the section 7 outputs', async () => {
        const model = await load(path);
        const out = await model.infer(c.inputs, { outputs: c.outputs });
        for (const [key, want] of Object.entries(c.expected)) {
          const t = out[key]!;
          expect([t.dtype, t.shape, Array.from(t.data as ArrayLike<number | string>)]).toEqual([want.dtype, want.shape, want.values]);
        }
      });
    }
  });
});

describe.skipIf(!hasNeuropod)('a Neuropod fixture zipped as Neuropod packagers zip it', () => {
  it('runs tf_addition_model from zip bytes with upper-cased entry names', async () => {
    const root = join(NEUROPOD_DIR, 'tf_addition_model');
    const entries = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    // Files only, no directory entries, DEFLATE; names upper-cased to exercise case-insensitive lookup.
    const zip = zipSync(Object.fromEntries(entries.map((e) => [relative(root, join(e.parentPath, e.name)).toUpperCase(), readFileSync(join(e.parentPath, e.name))])));
    const model = await load(zip);
    const out = await model.infer(ADDITION.inputs);
    expect(Array.from(out.out!.numeric as Float32Array)).toEqual([8, 10, 12, 14]);
  });
});

const MNIST = 'models/onnx/mnist-cntk-opset8';
const hasMnist = sharedOrSkip('ONNX model mnist-cntk-opset8');

describe.skipIf(!hasMnist)('mnist-cntk-opset8 through load() + infer()', () => {
  it('gives test_data_set_0 output_0 within 1e-4', async () => {
    const model = await load(sharedPath(MNIST, 'model.onnx'));
    const input = readTensorProto(readFileSync(sharedPath(MNIST, 'test_data_set_0/input_0.pb')), 'input_0.pb');
    const expected = readTensorProto(readFileSync(sharedPath(MNIST, 'test_data_set_0/output_0.pb')), 'output_0.pb');
    const out = await model.infer({ [model.inputs[0]!.name]: input });
    const got = out[model.outputs[0]!.name]!;
    expect(got.shape).toEqual(expected.shape);
    const worst = Array.from(got.numeric as Float32Array).reduce((m, v, i) => Math.max(m, Math.abs(v - (expected.numeric[i] as number))), 0);
    expect(worst).toBeLessThanOrEqual(1e-4);
  });
});

const IRIS = 'models/tfjs/iris';
const hasIris = sharedOrSkip('TF.js model iris');

describe.skipIf(!hasIris)('a bare TF.js model.json through load() + infer()', () => {
  it('is named after its folder, reports its signature spec, and matches the tfjs 4.22 reference within 1e-4', async () => {
    const model = await load(sharedPath(IRIS, 'model.json'));
    expect([model.name, model.platform, model.inputs.map((s) => s.name), model.outputs.map((s) => s.name)]).toEqual(['iris', 'tfjs', ['input_1'], ['Identity']]);
    // reference/inputs.json: "ramp: data[i]=i/n (row-major)" over float32 [1, 64, 64, 3].
    const n = 64 * 64 * 3;
    const input = tensor(Float32Array.from({ length: n }, (_, i) => i / n), [1, 64, 64, 3]);
    const got = (await model.infer({ input_1: input })).Identity!;
    const raw = readFileSync(sharedPath(IRIS, 'reference/output_0.bin'));
    const expected = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(got.shape).toEqual([1, 1, 1, 228]);
    const worst = Array.from(got.numeric as Float32Array).reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i]!)), 0);
    expect(worst).toBeLessThanOrEqual(1e-4);
  });
});
