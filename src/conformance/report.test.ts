import { describe, expect, it } from 'vitest';
import { conformanceMarkdown } from './report.js';
import type { TestResult } from './run-test.js';

const op = (id: string, status: TestResult['status'], domains: string[]): TestResult => ({ id, suite: 'ort-web-ops', kind: 'op', status, domains, ms: 1 });

describe('docs/conformance.md', () => {
  it('splits onnxruntime-web op cases into ai.onnx and com.microsoft rows, a case with any com.microsoft node in the second', () => {
    const md = conformanceMarkdown(
      [op('a', 'passed', ['ai.onnx']), op('b', 'failed', ['ai.onnx']), op('c', 'passed', ['com.microsoft']), op('d', 'passed', ['ai.onnx', 'com.microsoft'])],
      { backend: 'cpu', command: 'test', date: '2026-12-02' },
    );
    expect(md).toContain('| ai.onnx | 1 | 1 | 2 | 50.0% |');
    expect(md).toContain('| com.microsoft | 2 | 0 | 2 | 100.0% |');
  });
});
