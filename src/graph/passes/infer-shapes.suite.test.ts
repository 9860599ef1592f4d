import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadNodeTest } from '../../conformance/node-tests.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { Tensor } from '../../tensor/tensor.js';
import { inferShapes } from './infer-shapes.js';

/**
 * The ONNX backend node tests are the oracle: with the test's own input shapes, every dim inference claims must
 * be the dim the expected output has, and every dtype it claims must be the output's.
 */
describe.runIf(sharedOrSkip('onnx-node suite for shape inference'))('shape inference against the onnx-node suite', () => {
  it('never claims a wrong dim or dtype, and knows most outputs fully', async () => {
    const root = sharedPath('conformance', 'onnx-node');
    const wrong: string[] = [];
    let outputs = 0, fullyKnown = 0;
    for (const dir of readdirSync(root)) {
      const test = await loadNodeTest(`${root}/${dir}`).catch(() => undefined);
      if (!test) continue;
      const set = test.dataSets[0]!;
      const inputs = new Map([...set.feeds].filter((e): e is [string, Tensor] => e[1] instanceof Tensor).map(([k, t]) => [k, { dtype: t.dtype, dims: [...t.shape] }]));
      const { infos } = inferShapes(test.model, { inputs });
      for (const [name, t] of set.expected) {
        if (!(t instanceof Tensor)) continue;
        outputs++;
        const info = infos.get(name), dims = info?.dims;
        const bad = (info?.dtype && info.dtype !== t.dtype) || (dims && (dims.length !== t.rank || dims.some((d, i) => d !== null && d !== t.shape[i])));
        if (bad) wrong.push(`${dir}/${name}: inferred ${info?.dtype} [${dims}], expected ${t.dtype} [${t.shape}]`);
        else if (info?.dtype && dims?.every((d) => typeof d === 'number')) fullyKnown++;
      }
    }
    expect(wrong).toEqual([]);
    // 1315 of 1742 outputs when this test was written; the rest are data-dependent (shape inputs fed at run
    // time, NonZero, Unique) or ops without a shape function.
    expect(fullyKnown).toBeGreaterThan(1300);
    expect(outputs).toBeGreaterThan(1700);
  }, 120_000);
});
