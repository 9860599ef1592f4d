import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load } from '../src/api/model.js';
import { decodeOnnxModel, readTensorProto } from '../src/formats/onnx/decode.js';
import { chromiumOrSkip } from '../src/testing/chromium.js';
import { compareOutputs, type TensorLike } from '../src/testing/compare.js';
import { formatReport } from '../src/testing/format-report.js';
import { sharedOrSkip, sharedPath } from '../src/testing/shared-fixtures.js';
import { tensor, type Tensor } from '../src/tensor/tensor.js';
import { BrowserSession } from './browser-session.js';

/**
 * Every real model under ../shared/models/onnx that ships test_data_set_0 (authored outputs, or onnxruntime
 * 1.30's), through the public load() + infer(), in Node and in Chromium. Tolerance rtol 1e-3 (the ONNX backend
 * runner's) with atol 1e-6 instead of its 1e-7: these outputs are sums of thousands of float32 products, and an
 * element that cancels to near zero keeps the rounding of a summation order other than the reference's (8 ulp at
 * 1.0); 1e-7 would demand onnxruntime's exact order. docs/conformance.md lists the largest errors seen.
 */
const TOLERANCE = { rtol: 1e-3, atol: 1e-6 };

interface Fixture {
  name: string;
  inputs: Record<string, Tensor>;
  expected: Record<string, Tensor>;
}

async function fixture(name: string): Promise<Fixture> {
  const dir = sharedPath('models/onnx', name);
  const model = await decodeOnnxModel(readFileSync(join(dir, 'model.onnx')), { source: name, externalData: async (p) => readFileSync(join(dir, p)) });
  const inputNames = model.graph.inputs.map((i) => i.name).filter((n) => !model.graph.initializers.has(n));
  const read = (file: string) => readTensorProto(readFileSync(join(dir, 'test_data_set_0', file)), file);
  const files = readdirSync(join(dir, 'test_data_set_0'));
  const inputs = Object.fromEntries(files.filter((f) => f.startsWith('input_')).sort().map((f, i) => [inputNames[i]!, read(f)]));
  const expected = Object.fromEntries(files.filter((f) => f.startsWith('output_')).sort().map((f, i) => [model.graph.outputs[i]!.name, read(f)]));
  return { name, inputs, expected };
}

const hasModels = sharedOrSkip('real ONNX models with test_data_set_0');
const MODELS = hasModels ? readdirSync(sharedPath('models/onnx')).filter((m) => existsSync(sharedPath('models/onnx', m, 'test_data_set_0'))).sort() : [];

function expectMatch(name: string, actual: Record<string, TensorLike>, expected: Record<string, Tensor>): void {
  const report = compareOutputs(actual, expected, TOLERANCE);
  expect(report.pass, `${name}\n${formatReport(report)}`).toBe(true);
}

describe.skipIf(!hasModels)('real ONNX models give their test_data_set_0 outputs in Node (rtol 1e-3, atol 1e-6)', () => {
  it('finds the fourteen models that ship test data', () => {
    expect(MODELS).toHaveLength(14);
  });
  for (const name of MODELS) {
    it(name, async () => {
      const f = await fixture(name);
      const model = await load(sharedPath('models/onnx', name, 'model.onnx'), { backend: 'cpu' });
      expectMatch(name, await model.infer(f.inputs), f.expected);
    });
  }
});

/** Plain data across page.evaluate: int64 as decimal strings, rebuilt as BigInt64Array in the page. */
const plain = (t: Tensor) => ({ dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? v.toString() : v)) });

describe.skipIf(!hasModels || !chromiumOrSkip('real ONNX models in a page'))('real ONNX models give their test_data_set_0 outputs in Chromium (rtol 1e-3, atol 1e-6)', () => {
  const session = new BrowserSession();
  beforeAll(() => session.start());
  afterAll(() => session.stop());

  for (const name of MODELS) {
    it(name, async () => {
      const f = await fixture(name);
      const page = await session.page();
      const feeds = Object.fromEntries(Object.entries(f.inputs).map(([k, t]) => [k, plain(t)]));
      // A string, not a function: vitest rewrites dynamic import() in functions it transforms.
      const got = (await page.evaluate(`(async ([url, feeds]) => {
        const { load, tensor } = await import('/dist/index.js');
        const model = await load(url, { backend: 'cpu', worker: false });
        const arrays = {
          float32: (v) => Float32Array.from(v), float64: (v) => Float64Array.from(v), int64: (v) => BigInt64Array.from(v, BigInt),
          int32: (v) => Int32Array.from(v), int8: (v) => Int8Array.from(v), uint8: (v) => Uint8Array.from(v), bool: (v) => Uint8Array.from(v),
        };
        const inputs = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, tensor(arrays[t.dtype](t.data), t.shape, t.dtype)]));
        const out = await model.infer(inputs);
        await model.dispose();
        const plain = (v) => (typeof v === 'bigint' ? v.toString() : v);
        return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data, plain) }]));
      })(${JSON.stringify([`/shared/models/onnx/${name}/model.onnx`, feeds])})`)) as Record<string, { dtype: string; shape: number[]; data: unknown[] }>;
      await page.close();
      const actual = Object.fromEntries(Object.entries(got).map(([k, t]) => [k, tensor(t.dtype === 'int64' ? BigInt64Array.from(t.data as string[], BigInt) : t.dtype === 'float32' ? Float32Array.from(t.data as number[]) : (t.data as never), t.shape, t.dtype as never)]));
      expectMatch(name, actual, f.expected);
    });
  }
});
