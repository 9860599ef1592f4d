import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NeuropodError } from '../api/errors.js';
import { BACKENDS } from '../conformance/backends.js';
import { conformanceMarkdown, failureLines, finalLine } from '../conformance/report.js';
import { DEFAULT_TEST_TIMEOUT_MS, runConformance } from '../conformance/runner.js';

const USAGE = `usage: neuropod-web conformance <dir>... [--filter regex] [--backend ${Object.keys(BACKENDS).join('|')}]
       [--json results.json] [--markdown docs/conformance.md] [--timeout seconds] [--jobs n] [--progress]`;

interface CliOptions {
  roots: string[];
  filter?: RegExp;
  backend: string;
  json?: string;
  markdown?: string;
  timeoutMs: number;
  jobs: number;
  progress: boolean;
}

/** Flags that take a value, and where each goes. */
const VALUE_FLAGS: Record<string, (o: CliOptions, v: string) => void> = {
  '--filter': (o, v) => (o.filter = new RegExp(v)),
  '--backend': (o, v) => (o.backend = v),
  '--json': (o, v) => (o.json = v),
  '--markdown': (o, v) => (o.markdown = v),
  '--timeout': (o, v) => (o.timeoutMs = positive(v, '--timeout') * 1000),
  '--jobs': (o, v) => (o.jobs = positive(v, '--jobs')),
};

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new NeuropodError('USAGE', `${flag} needs a positive number, got '${v}'`);
  return n;
}

export function parseConformanceArgs(args: readonly string[]): CliOptions {
  const o: CliOptions = { roots: [], backend: 'cpu', timeoutMs: DEFAULT_TEST_TIMEOUT_MS, jobs: 1, progress: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const set = VALUE_FLAGS[flag];
    if (set) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new NeuropodError('USAGE', `${flag} needs a value\n${USAGE}`);
      set(o, value);
    } else if (flag === '--progress') o.progress = true;
    else if (flag.startsWith('--')) throw new NeuropodError('USAGE', `unknown option ${flag}\n${USAGE}`);
    else o.roots.push(arg);
  }
  if (o.roots.length === 0) throw new NeuropodError('USAGE', `name at least one folder of tests\n${USAGE}`);
  if (!BACKENDS[o.backend]) throw new NeuropodError('USAGE', `no backend '${o.backend}'\n${USAGE}`);
  return o;
}

/** `neuropod-web conformance`: prints failures, then `N passed, M failed, K skipped`; exit code 1 when any failed. */
export async function runConformanceCli(args: string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseConformanceArgs(args);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  let results;
  try {
    results = await runConformance({
      roots: opts.roots,
      filter: opts.filter,
      backend: opts.backend,
      jobs: opts.jobs,
      timeoutMs: opts.timeoutMs,
      onResult: opts.progress ? (r, done, total) => process.stderr.write(`[${done}/${total}] ${r.status} ${r.id} (${r.ms} ms)\n`) : undefined,
    });
  } catch (e) {
    console.error(`conformance run failed before its tests could run: ${(e as Error).message}`);
    return 2;
  }
  for (const line of failureLines(results)) console.log(line);
  const summary = finalLine(results);
  if (opts.json) await writeOut(opts.json, `${JSON.stringify({ backend: opts.backend, roots: opts.roots, summary, results }, null, 1)}\n`);
  if (opts.markdown) {
    const command = `npx tsx src/cli/conformance.ts ${args.join(' ')}`;
    await writeOut(opts.markdown, conformanceMarkdown(results, { backend: opts.backend, command, date: new Date().toISOString().slice(0, 10), unclassified: results.filter((r) => r.kind === 'node' && !r.class).length }));
  }
  console.log(summary);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

async function writeOut(path: string, text: string): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, text);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await runConformanceCli(process.argv.slice(2));
}
