import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (works from src/ and from dist/src/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), existsSync(join(dirname(fileURLToPath(import.meta.url)), '../../package.json')) ? '../..' : '../../..');

/**
 * `../shared` beside the checkout holds conformance suites and real models. It exists in CI and on the team's
 * machines, not on a user's: tests that need it skip with one clear line when it is absent.
 */
export const sharedRoot = process.env.NEUROPOD_SHARED ?? resolve(repoRoot, '../shared');
export const hasShared = existsSync(join(sharedRoot, 'README.md'));

let warned = false;
/** Call at the top of a suite that needs ../shared: prints why it skips, once a process. */
export function sharedOrSkip(what: string): boolean {
  if (!hasShared && !warned) {
    warned = true;
    console.warn(`[neuropod-web] ${sharedRoot} not found: skipping tests that need it (${what}). Set NEUROPOD_SHARED to run them.`);
  }
  return hasShared;
}

export function sharedPath(...parts: string[]): string {
  return join(sharedRoot, ...parts);
}
