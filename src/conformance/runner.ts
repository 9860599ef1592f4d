import { discoverTests } from './discover.js';
import { runInWorkers } from './pool.js';
import type { TestRef } from './cases.js';
import type { TestResult } from './run-test.js';

export interface ConformanceOptions {
  /** Folders to search for tests (see discoverTests). */
  roots: readonly string[];
  /** Only tests whose id matches. */
  filter?: RegExp;
  backend: string;
  jobs?: number;
  /** Per-test cap in milliseconds. */
  timeoutMs?: number;
  onResult?: (result: TestResult, done: number, total: number) => void;
}

/** Generous: the slowest reference-kernel tests (light densenet121) take seconds, a hung kernel takes forever. */
export const DEFAULT_TEST_TIMEOUT_MS = 120_000;

export async function listTests(roots: readonly string[], filter?: RegExp): Promise<TestRef[]> {
  const refs = (await Promise.all(roots.map(discoverTests))).flat();
  return filter ? refs.filter((r) => filter.test(r.id)) : refs;
}

export async function runConformance(opts: ConformanceOptions): Promise<TestResult[]> {
  const refs = await listTests(opts.roots, opts.filter);
  let done = 0;
  return runInWorkers(refs, { backend: opts.backend, jobs: opts.jobs ?? 1, timeoutMs: opts.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS }, (r) =>
    opts.onResult?.(r, ++done, refs.length),
  );
}
