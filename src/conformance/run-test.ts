import { isNeuropodError } from '../api/errors.js';
import type { Model } from '../graph/ir.js';
import type { ConformanceBackend } from './backends.js';
import type { LoadedTest, TestKind, TestRef } from './cases.js';
import { compareValues } from './compare.js';
import { classifyModel, loadLightModel, loadNodeTest, type NodeTestClass } from './node-tests.js';
import { buildOpTest, readOpTestFile } from './ort-web-ops.js';

/** Why a test failed, for grouping in reports. */
export type FailureCategory = 'load' | 'unsupported' | 'error' | 'mismatch' | 'shape' | 'dtype' | 'missing' | 'timeout' | 'crash';

export interface TestResult {
  id: string;
  suite: string;
  kind: TestKind;
  status: 'passed' | 'failed' | 'skipped';
  category?: FailureCategory;
  reason?: string;
  /** The operator the failure is filed under (the unsupported or failing op, or the op the test is about). */
  op?: string;
  ms: number;
  /** Node tests: domains and opset, for the "default domain, opset <= 21" figure. */
  class?: NodeTestClass;
  /** The operator domains the test's model uses ('ai.onnx' for the default), for per-domain figures. */
  domains?: string[];
}

type Outcome = Pick<TestResult, 'status' | 'category' | 'reason' | 'op' | 'class' | 'domains'>;

/** Loads, runs and checks one test; never throws (every failure becomes a result with its reason). */
export async function runTest(ref: TestRef, backend: ConformanceBackend): Promise<TestResult> {
  const started = performance.now();
  const outcome = await runChecked(ref, backend);
  return { id: ref.id, suite: ref.suite, kind: ref.kind, ...outcome, ms: Math.round(performance.now() - started) };
}

async function runChecked(ref: TestRef, backend: ConformanceBackend): Promise<Outcome> {
  let test: LoadedTest;
  try {
    test = await loadTest(ref, backend.name);
  } catch (e) {
    return { status: 'failed', category: 'load', reason: `cannot load the test: ${messageOf(e)}` };
  }
  const op = subjectOp(test.model);
  const cls = ref.kind === 'node' ? classifyModel(test.model) : undefined;
  const domains = [...new Set(test.model.graph.nodes.map((n) => n.domain || 'ai.onnx'))].sort();
  const failed = (category: FailureCategory, reason: string, failingOp = op): Outcome => ({ status: 'failed', category, reason, op: failingOp, class: cls, domains });
  for (const set of test.dataSets) {
    const wanted = test.model.graph.outputs.map((o) => o.name).filter((name) => set.expected.has(name));
    let actual;
    try {
      actual = await backend.run(test.model, set.feeds, wanted);
    } catch (e) {
      const message = messageOf(e);
      if (isNeuropodError(e) && e.code === 'OP_UNSUPPORTED') return failed('unsupported', message, /operator (\S+)/.exec(message)?.[1] ?? op);
      return failed('error', message, /^(\w+) node '/.exec(message)?.[1] ?? op);
    }
    for (const [k, name] of wanted.entries()) {
      const why = compareValues(actual.get(name), set.expected.get(name)!, test.tolerance);
      if (why) return failed(categoryOf(why), `${set.name}: output ${k} '${name}': ${why}`);
    }
  }
  return { status: 'passed', op, class: cls, domains };
}

async function loadTest(ref: TestRef, backend: string): Promise<LoadedTest> {
  if (ref.kind === 'node') return loadNodeTest(ref.path);
  if (ref.kind === 'light') return loadLightModel(ref.path);
  const test = (await readOpTestFile(ref.path))[ref.test!]!;
  return buildOpTest(test, test.cases[ref.case!]!, backend);
}

function categoryOf(why: string): FailureCategory {
  if (why.startsWith('shape')) return 'shape';
  if (why.startsWith('dtype')) return 'dtype';
  if (why.startsWith('no value')) return 'missing';
  return 'mismatch';
}

/** The op a test is about: its only operator (Constant aside), else the distinct ops of a small graph. */
function subjectOp(model: Model): string {
  const ops = [...new Set(model.graph.nodes.filter((n) => n.opType !== 'Constant').map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)))];
  if (ops.length === 0) return model.graph.nodes.length ? 'Constant' : '(no nodes)';
  return ops.length <= 3 ? ops.join('+') : `(model of ${ops.length} ops)`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
