import { isNeuropodError, NeuropodError } from '../api/errors.js';
import type { Session } from '../api/session.js';
import { readNeuropodTestData } from '../formats/pickle/test-data.js';
import type { TensorSpec } from '../spec/types.js';
import { validateAgainstSpec } from '../spec/validate.js';
import type { Tensor } from '../tensor/tensor.js';
import { compareOutputs, type CompareReport } from './compare.js';
import { formatReport } from './format-report.js';

export interface SelfTestOptions {
  /** Default 1e-5, numpy.allclose's. */
  rtol?: number;
  /** Default 1e-8, numpy.allclose's. */
  atol?: number;
}

/** A comparison report plus what the test data breaks in the spec; plain data (it crosses from a Worker). */
export interface SelfTestReport extends CompareReport {
  source: string;
  /** Where the test inputs or the outputs break the package's spec: reported, not fatal, as the packager ran them. */
  specIssues: string[];
  /** formatReport() of the comparison, with the spec issues after it. */
  message: string;
}

export interface SelfTestTarget {
  source: string;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  /** test_data.pkl's bytes, undefined when the package has none; absent for a bare model. */
  readTestData?: () => Promise<Uint8Array | undefined>;
}

/**
 * Neuropod's packager test (neuropod/utils/eval_utils.py check_output_matches_expected): run test_input, and for
 * every name in test_output, strings must be equal and everything else np.allclose(expected, actual).
 */
export async function runSelfTest(session: Session, target: SelfTestTarget, options: SelfTestOptions = {}): Promise<SelfTestReport> {
  const data = readNeuropodTestData(await testDataBytes(target), `${target.source}/test_data.pkl`);
  if (Object.keys(data.outputs).length === 0) throw new NeuropodError('MODEL_INVALID', `${target.source}/test_data.pkl has no test_output to check against`);
  const inputs = new Map(Object.entries(data.inputs).filter(([name]) => session.takes(name)));
  const specIssues = specProblems(new Map(Object.entries(data.inputs)), target.inputs, 'input');
  const wanted = Object.keys(data.outputs).filter((name) => session.outputNames.includes(name));
  const produced = wanted.length ? await session.run(inputs, wanted, []) : new Map<string, Tensor>();
  specIssues.push(...specProblems(produced, target.outputs, 'output'));
  const report = compareOutputs(produced, data.outputs, { rtol: options.rtol ?? 1e-5, atol: options.atol ?? 1e-8, semantics: 'allclose' });
  const notes = specIssues.map((s) => `  note: ${s}`);
  return { ...report, source: target.source, specIssues, message: [formatReport(report), ...notes].join('\n') };
}

async function testDataBytes(target: SelfTestTarget): Promise<Uint8Array> {
  if (!target.readTestData) {
    throw new NeuropodError('ARCHIVE_ENTRY_MISSING', `selfTest(): ${target.source} is a bare model, not a Neuropod package; only packages carry test_data.pkl`);
  }
  const bytes = await target.readTestData();
  if (!bytes) {
    throw new NeuropodError(
      'ARCHIVE_ENTRY_MISSING',
      `selfTest(): ${target.source} has no test_data.pkl (Neuropod's packager writes it when given test_input_data and test_expected_out)`,
    );
  }
  return bytes;
}

function specProblems(tensors: ReadonlyMap<string, Tensor>, specs: readonly TensorSpec[], kind: 'input' | 'output'): string[] {
  try {
    validateAgainstSpec(tensors, specs, kind);
    return [];
  } catch (e) {
    if (isNeuropodError(e)) return [`${kind === 'input' ? 'the test inputs break the input spec' : 'the outputs break the output spec'}: ${e.message}`];
    throw e;
  }
}
