import { readFileSync } from 'node:fs';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { load } from '../api/model.js';
import { repoRoot, sharedOrSkip, sharedPath } from './shared-fixtures.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));

// Python 3.11 + numpy 2.4.6, pickle.dumps(d, protocol=2) with x = float32 [[1, 2], [3, 4]], y = [[7, 8], [9, 10]]:
// MATCHING: {'test_input': {'x': x, 'y': y}, 'test_output': {'out': x + y}};
// OFF_BY_HALF: the same with out = [[8, 10], [12, 14.5]] (the last element 0.5 off).
const MATCHING = hex('80027d710028580a000000746573745f696e70757471017d7102285801000000787103636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7104636e756d70790a6e6461727261790a71054b00857106635f636f646563730a656e636f64650a7107580100000062710858060000006c6174696e31710986710a52710b87710c52710d284b014b024b0286710e636e756d70790a64747970650a710f5802000000663471108988877111527112284b0358010000003c71134e4e4e4affffffff4affffffff4b007471146289680758120000000000c2803f00000040000040400000c2804071156809867116527117747118625801000000797119680468054b0085711a680b87711b52711c284b014b024b0286711d681289680758110000000000c3a040000000410000104100002041711e680986711f5271207471216275580b000000746573745f6f757470757471227d712358030000006f75747124680468054b00857125680b877126527127284b014b024b0286712868128968075810000000000000410000204100004041000060417129680986712a52712b74712c6273752e');
const OFF_BY_HALF = hex('80027d710028580a000000746573745f696e70757471017d7102285801000000787103636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7104636e756d70790a6e6461727261790a71054b00857106635f636f646563730a656e636f64650a7107580100000062710858060000006c6174696e31710986710a52710b87710c52710d284b014b024b0286710e636e756d70790a64747970650a710f5802000000663471108988877111527112284b0358010000003c71134e4e4e4affffffff4affffffff4b007471146289680758120000000000c2803f00000040000040400000c2804071156809867116527117747118625801000000797119680468054b0085711a680b87711b52711c284b014b024b0286711d681289680758110000000000c3a040000000410000104100002041711e680986711f5271207471216275580b000000746573745f6f757470757471227d712358030000006f75747124680468054b00857125680b877126527127284b014b024b0286712868128968075810000000000000410000204100004041000068417129680986712a52712b74712c6273752e');

/** The bundled addition package (x + y) with a test_data.pkl added. */
function additionWithTestData(pickle: Uint8Array): Uint8Array {
  const files = unzipSync(readFileSync(`${repoRoot}/examples/addition.neuropod`));
  return zipSync({ ...files, 'test_data.pkl': pickle });
}

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
