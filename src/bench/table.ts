import type { BenchReport, GemmReport } from './harness.js';
import { firstRunMs } from './report.js';
import type { BundleSize } from './sizes.js';

const ms = (v: number | undefined) => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const mib = (v: number | undefined) => (v === undefined ? '—' : (v / 2 ** 20).toFixed(1));

/** Fixed-width rows for a terminal. */
function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

export function resultsTable(report: BenchReport): string {
  const rows = [['model', 'engine', 'backend', 'threads', 'median ms', 'min', 'max', 'load ms', 'pipelines ms', 'first run ms', 'cold start ms', 'peak MiB', 'agrees', 'error']];
  for (const r of report.results) {
    rows.push([r.model, r.engine, r.backend, String(r.threads), ms(r.medianMs), ms(r.minMs), ms(r.maxMs), ms(r.loadMs), ms(r.pipelineMs), ms(firstRunMs(r)), ms(r.coldStartMs), mib(r.peakMemoryBytes), r.agrees === undefined ? '—' : r.agrees ? 'yes' : 'NO', r.error ? r.error.slice(0, 80) : '']);
  }
  return pad(rows);
}

export function ratiosTable(report: BenchReport): string {
  if (!report.ratios.length) return 'no ratios: no model ran on both neuropod-web and a peer of the same kind';
  return pad([['model', 'our backend', 'peer', 'ours / peer (median)'], ...report.ratios.map((r) => [r.model, r.backend, r.peer, r.ratio.toFixed(2)])]);
}

export function sizesTable(sizes: BundleSize[]): string {
  return pad([
    ['engine', 'backend', 'bytes', 'gzipped', 'missing'],
    ...sizes.map((s) => [s.engine, s.backend, String(s.bytes), String(s.gzipBytes), s.missing.join(' ')]),
  ]);
}

export function gemmTable(gemm: GemmReport): string {
  const { m, k, n } = gemm.problem;
  const head = `GEMM ${m}x${k}x${n}; WASM SIMD peak measured in the page: ${gemm.peakGflops.toFixed(1)} GFLOP/s (one thread)`;
  const rows = gemm.rows.map((r) => [r.engine, r.backend, String(r.threads), r.gflops.toFixed(2), `${(100 * r.fractionOfPeak).toFixed(1)}%`]);
  return `${head}\n${pad([['engine', 'backend', 'threads', 'GFLOP/s', 'of peak'], ...rows])}`;
}
