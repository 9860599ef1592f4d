import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { load } from '../api/model.js';
import { additionWithTestData, MATCHING, OFF_BY_HALF } from './addition-test-data.js';
import { repoRoot, sharedOrSkip, sharedPath } from './shared-fixtures.js';

describe('model.selfTest()', () => {
  it('passes when the outputs match test_output (np.allclose) and reports each output', async () => {
    const model = await load(additionWithTestData(MATCHING));
    const report = await model.selfTest();
    expect(report.pass).toBe(true);
    expect(report.specIssues).toEqual([]);
    expect(report.outputs.map((o) => [o.name, o.status, o.maxAbsError])).toEqual([['out', 'match', 0]]);
    expect(report.message).toBe('PASS: 1 output match (allclose, rtol 0.00001, atol 1e-8)\n  ok    out  float32[2,2]  max abs 0, max rel 0');
    await model.dispose();
  });

  it('fails with a report naming the output, the worst element and the tolerance', async () => {
    const model = await load(additionWithTestData(OFF_BY_HALF));
    const report = await model.selfTest();
    expect(report.pass).toBe(false);
    expect(report.outputs[0]!.worst).toMatchObject({ position: [1, 1], actual: 14, expected: 14.5, absError: 0.5 });
    expect(report.message).toContain('FAIL  out  float32[2,2]  1 of 4 elements out of tolerance');
    expect(report.message).toContain('worst at [1,1] (flat 3): actual 14, expected 14.5, |diff| 0.5 > tolerance 0.00014001 = atol 1e-8 + rtol 0.00001 * |actual|');
    await model.dispose();
  });

  it('says a package without test_data.pkl has none', async () => {
    const model = await load(`${repoRoot}/examples/addition.neuropod`);
    await expect(model.selfTest()).rejects.toMatchObject({ code: 'ARCHIVE_ENTRY_MISSING', message: expect.stringMatching(/addition\.neuropod has no test_data\.pkl/) });
    await model.dispose();
  });

  it('says a bare model carries no test data', async () => {
    const files = unzipSync(readFileSync(`${repoRoot}/examples/addition.neuropod`));
    const model = await load(files['0/data/model.onnx']!);
    await expect(model.selfTest()).rejects.toMatchObject({ code: 'ARCHIVE_ENTRY_MISSING', message: expect.stringMatching(/is a bare model, not a Neuropod package/) });
    await model.dispose();
  });

  it.runIf(sharedOrSkip('Neuropod test_data.pkl'))("runs the test data Neuropod's packager wrote for torchscript_addition_model_single_output", async () => {
    const model = await load(sharedPath('models/neuropod/torchscript_addition_model_single_output'));
    const report = await model.selfTest();
    // test_output 'out' is int64 [0, 2, 4, 6, 8] (NEUROPOD-FORMAT.md section 7), the model adds float32 x + y:
    // np.allclose compares them as numbers. The pickled inputs are 1-D where the spec says [batch_size, null].
    expect(report.pass).toBe(true);
    expect(report.outputs.map((o) => [o.name, o.status, o.actual, o.expected])).toEqual([['out', 'match', { dtype: 'float32', shape: [5] }, { dtype: 'int64', shape: [5] }]]);
    expect(report.specIssues).toEqual([
      "the test inputs break the input spec: Neuropod Error: Tensor 'x' in the input spec is expected to have 2 dimensions, but had 1",
      "the outputs break the output spec: Neuropod Error: Tensor 'out' in the output spec is expected to have 2 dimensions, but had 1",
    ]);
    await model.dispose();
  });
});
