import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip } from '../src/testing/chromium.js';
import { sharedOrSkip, sharedPath } from '../src/testing/shared-fixtures.js';
import { BrowserSession } from './browser-session.js';

describe.skipIf(!chromiumOrSkip('load a package in a page'))('a page that imports dist/index.js', () => {
  const session = new BrowserSession();
  beforeAll(() => session.start());
  afterAll(() => session.stop());

  it('loads the bundled example package by URL and adds x and y', async () => {
    const page = await session.page();
    const out = await page.evaluate(`(async () => {
      const { load, tensor } = await import('/dist/index.js');
      const model = await load('/examples/addition.neuropod');
      const result = await model.infer({
        x: tensor(new Float32Array([1, 2, 3, 4]), [2, 2]),
        y: tensor(new Float32Array([7, 8, 9, 10]), [2, 2]),
      });
      const spec = { name: model.name, platform: model.platform, inputs: model.inputs.map((s) => s.name) };
      await model.dispose();
      return { spec, dtype: result.out.dtype, shape: result.out.shape, data: Array.from(result.out.data) };
    })()`);
    // NEUROPOD-FORMAT.md section 7, addition case.
    expect(out).toEqual({ spec: { name: 'addition_model', platform: 'onnx', inputs: ['x', 'y'] }, dtype: 'float32', shape: [2, 2], data: [8, 10, 12, 14] });
  });

  it.skipIf(!sharedOrSkip('mnist in a page'))('runs mnist-cntk-opset8 to its authored output within 1e-4', async () => {
    const { readTensorProto } = await import('../src/formats/onnx/decode.js');
    const dir = sharedPath('models/onnx/mnist-cntk-opset8');
    const input = readTensorProto(readFileSync(`${dir}/test_data_set_0/input_0.pb`));
    const expected = readTensorProto(readFileSync(`${dir}/test_data_set_0/output_0.pb`));
    const page = await session.page();
    const got = (await page.evaluate(
      `(async ([data, shape]) => {
        const { load, tensor } = await import('/dist/index.js');
        const model = await load('/shared/models/onnx/mnist-cntk-opset8/model.onnx');
        const name = model.inputs[0].name;
        const result = await model.infer({ [name]: tensor(new Float32Array(data), shape) });
        return Array.from(Object.values(result)[0].data);
      })(${JSON.stringify([Array.from(input.data as Float32Array), input.shape])})`,
    )) as number[];
    const want = Array.from(expected.data as Float32Array);
    expect(got).toHaveLength(want.length);
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i]!))));
  });
});
