/** The bench's tables (terminal and docs/perf.md) report load, WebGPU pipeline creation and first run apart. */
import { describe, expect, it } from 'vitest';
import type { BenchOptions, BenchReport, BenchResult } from './harness.js';
import { perfMarkdown } from './report.js';
import { resultsTable } from './table.js';

const options: BenchOptions = { backends: ['webgpu', 'wasm'], peers: ['ort-webgpu'], threads: 1, runs: 3, warmup: 1, rtol: 1e-3, atol: 1e-4, realGpu: false };
const timed = { ok: true, medianMs: 20, minMs: 18, maxMs: 25, runs: 3, agrees: true, maxAbsError: 1e-6 };
const results: BenchResult[] = [
  { model: 'm', engine: 'neuropod-web', backend: 'webgpu', threads: 1, ...timed, loadMs: 900, pipelineMs: 612.5, coldStartMs: 1000 },
  { model: 'm', engine: 'neuropod-web', backend: 'wasm', threads: 1, ...timed, loadMs: 300, coldStartMs: 340 },
  { model: 'm', engine: 'onnxruntime-web', backend: 'webgpu', threads: 1, ...timed, loadMs: 700, coldStartMs: 790 },
];
const report: BenchReport = { machine: { cpus: 'cpu', cores: 2, memoryBytes: 2 ** 33, platform: 'linux', arch: 'x64' }, browser: 'Chromium 1', date: '2026-12-02T00:00:00Z', options, results, ratios: [] };

describe('bench tables', () => {
  it('put pipeline creation in its own column of docs/perf.md, beside load and first run', () => {
    const md = perfMarkdown(report, undefined, 'perf.svg');
    expect(md).toContain('| model | engine | backend | threads | median ms | min | max | load ms | pipelines ms | first run ms | cold start ms | peak MiB | agrees with reference |');
    expect(md).toContain('| m | neuropod-web | webgpu | 1 | 20.0 | 18.0 | 25.0 | 900.0 | 612.5 | 100.0 | 1000.0 | — | yes (1.0e-6) |');
    expect(md).toContain('| m | neuropod-web | wasm | 1 | 20.0 | 18.0 | 25.0 | 300.0 | — | 40.0 | 340.0 | — | yes (1.0e-6) |');
  });

  it('print them in the terminal table too', () => {
    const lines = resultsTable(report).split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(lines[0]!.slice(7, 11)).toEqual(['load ms', 'pipelines ms', 'first run ms', 'cold start ms']);
    expect(lines[1]!.slice(7, 11)).toEqual(['900.0', '612.5', '100.0', '1000.0']);
    expect(lines[3]!.slice(7, 11)).toEqual(['700.0', '—', '90.0', '790.0']);
  });
});
