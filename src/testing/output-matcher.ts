import { compareOutputs, type CompareOptions, type TensorMap } from './compare.js';
import { formatReport } from './format-report.js';

/** The result `expect.extend` wants: `pass` and a `message` (the report), so @playwright/test and vitest both take it. */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * `expect.extend({ toMatchOutputs })`, then `expect(browserOutputs).toMatchOutputs(serverOutputs, { rtol, atol })`:
 * fails with formatReport()'s text, which names each differing output, its worst element and the tolerance.
 */
export function toMatchOutputs(this: { isNot?: boolean } | void, received: TensorMap, expected: TensorMap, options: CompareOptions = {}): MatcherResult {
  const report = compareOutputs(received, expected, options);
  const negated = !!(this && (this as { isNot?: boolean }).isNot);
  return { pass: report.pass, message: () => (negated ? `expected the outputs not to match, but they do:\n${formatReport(report)}` : formatReport(report)) };
}

export const outputMatchers = { toMatchOutputs };

/**
 * The matcher's type, to merge into your expect's: for vitest,
 * `declare module 'vitest' { interface Matchers<T = any> extends OutputMatchers<T> {} }`;
 * for @playwright/test, `expect.extend(outputMatchers)` types itself.
 */
export interface OutputMatchers<R = unknown> {
  toMatchOutputs(expected: TensorMap, options?: CompareOptions): R;
}
