import type { BenchReport, BenchResult } from './harness.js';
import type { BundleSize } from './sizes.js';

const COLORS: Record<string, string> = {
  'neuropod-web': '#1f77b4',
  'onnxruntime-web': '#ff7f0e',
  '@tensorflow/tfjs': '#2ca02c',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Median latency per model as horizontal bars, one group a model, each bar scaled to the slowest engine of its
 * model (models differ by orders of magnitude, so a shared axis would flatten the small ones). Failed engines show
 * as a labelled gap, never as a zero-length bar.
 */
export function perfChartSvg(report: BenchReport): string {
  const models = [...new Set(report.results.map((r) => r.model))];
  const barH = 16;
  const gap = 4;
  const labelW = 260;
  const plotW = 420;
  const rows: string[] = [];
  let y = 30;
  for (const model of models) {
    const rs = report.results.filter((r) => r.model === model);
    const worst = Math.max(...rs.filter((r) => r.ok).map((r) => r.medianMs!), 1e-9);
    rows.push(`<text x="4" y="${y + 12}" font-weight="bold">${esc(model)}</text>`);
    y += barH + gap;
    for (const r of rs) {
      const label = `${r.engine} ${r.backend}`;
      rows.push(`<text x="16" y="${y + 12}">${esc(label)}</text>`);
      if (r.ok) {
        const w = Math.max(1, (r.medianMs! / worst) * plotW);
        rows.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[r.engine] ?? '#888'}"/>`);
        rows.push(`<text x="${labelW + w + 6}" y="${y + 12}">${r.medianMs!.toFixed(r.medianMs! < 10 ? 2 : 1)} ms</text>`);
      } else {
        rows.push(`<text x="${labelW}" y="${y + 12}" fill="#b00">failed</text>`);
      }
      y += barH + gap;
    }
    y += gap * 2;
  }
  const width = labelW + plotW + 110;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="4" y="16" font-size="14">Median latency, lower is better (${esc(report.browser)}; bars scaled per model)</text>`,
    ...rows,
    '</svg>',
  ].join('\n');
}

/** From load() resolving to the first output in JS memory. */
export function firstRunMs(r: BenchResult): number | undefined {
  return r.coldStartMs === undefined || r.loadMs === undefined ? undefined : r.coldStartMs - r.loadMs;
}

function cell(r: BenchResult): string[] {
  const f = (v: number | undefined, d = 1) => (v === undefined ? '—' : v.toFixed(v < 10 ? 2 : d));
  return [
    r.model, r.engine, r.backend, String(r.threads),
    r.ok ? f(r.medianMs) : `failed: ${(r.error ?? '').replace(/\|/g, '\\|').slice(0, 120)}`,
    f(r.minMs), f(r.maxMs), f(r.loadMs), f(r.pipelineMs), f(firstRunMs(r)), f(r.coldStartMs),
    r.peakMemoryBytes === undefined ? '—' : (r.peakMemoryBytes / 2 ** 20).toFixed(1),
    r.agrees === undefined ? '—' : r.agrees ? `yes (${r.maxAbsError!.toExponential(1)})` : `NO (${r.maxAbsError!.toExponential(1)})`,
  ];
}

const table = (head: string[], rows: string[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** docs/perf.md from a bench JSON: machine and browser named, every result (failures included), ratios, sizes. */
export function perfMarkdown(report: BenchReport, sizes: BundleSize[] | undefined, svgName: string): string {
  const m = report.machine;
  return [
    '# Performance',
    '',
    `Measured by \`neuropod-web bench\` on ${report.date.slice(0, 10)}; regenerate with \`npm run bench\` then \`npm run bench:report\`.`,
    '',
    `- Machine: ${m.cpus ?? '?'} (${m.cores ?? '?'} cores), ${((Number(m.memoryBytes) || 0) / 2 ** 30).toFixed(0)} GiB, ${m.platform}/${m.arch}`,
    `- Browser: ${report.browser}, headless; cross-origin isolated: ${m.crossOriginIsolated ? 'yes' : 'no'}`,
    `- WebGPU adapter: ${report.gpu ? Object.values(report.gpu).filter(Boolean).join(' / ') || 'present (no info)' : 'none'}${report.options.realGpu ? '' : ' (SwiftShader: a CPU emulation of a GPU, so WebGPU figures here say nothing about real GPUs)'}`,
    `- Runs: ${report.options.runs} timed after ${report.options.warmup} warm-up, ${report.options.threads} thread(s) for every engine; agreement: |x - ref| <= ${report.options.atol} + ${report.options.rtol}·|ref|`,
    '- Load: until the engine\'s load/create resolves (fetch, import, kernel and pipeline compilation: WebGPU pipelines are compiled at load). Pipelines: the part of our WebGPU load spent creating compute pipelines (`Model.pipelineMs`; — for other backends and for peers, whose APIs do not report it). First run: from load to the first output in JS memory. Cold start: load and first run together.',
    '- Peak memory: the largest of two samples (after the first run, after the timed runs) of `performance.measureUserAgentSpecificMemory()` where available, else the JS heap.',
    '',
    `![median latency](${svgName})`,
    '',
    '## Results',
    '',
    table(['model', 'engine', 'backend', 'threads', 'median ms', 'min', 'max', 'load ms', 'pipelines ms', 'first run ms', 'cold start ms', 'peak MiB', 'agrees with reference'], report.results.map(cell)),
    '',
    '## Ratios (our median / peer median; below 1 means we are faster)',
    '',
    report.ratios.length ? table(['model', 'our backend', 'peer', 'ratio'], report.ratios.map((r) => [r.model, r.backend, r.peer, r.ratio.toFixed(2)])) : 'No model ran on both neuropod-web and a peer of the same kind.',
    '',
    ...(report.gemm ? gemmSection(report) : []),
    ...(sizes
      ? ['## Download size', '', table(['engine', 'backend', 'bytes', 'gzipped', 'files'], sizes.map((s) => [s.engine, s.backend, String(s.bytes), String(s.gzipBytes), (s.files.length > 4 ? `index.js and ${s.files.length - 1} chunks` : s.files.map((f) => f.split('/').pop()).join(', ')) + (s.missing.length ? ` (missing: ${s.missing.join(', ')})` : '')])), '']
      : []),
  ].join('\n');
}

function gemmSection(report: BenchReport): string[] {
  const g = report.gemm!;
  const { m, k, n } = g.problem;
  return [
    `## GEMM ${m}x${k}x${n}`,
    '',
    `A single MatMul model (B a constant weight) through each engine's public API, so the time includes the input copy and the output readback. ` +
      `WASM SIMD peak, measured in the same page with a loop of independent f32x4 multiply-adds on one thread: **${g.peakGflops.toFixed(1)} GFLOP/s** ` +
      `(with N threads the peak is at most N times that).`,
    '',
    table(['engine', 'backend', 'threads', 'GFLOP/s', 'of one-thread peak'], g.rows.map((r) => [r.engine, r.backend, String(r.threads), r.gflops.toFixed(2), `${(100 * r.fractionOfPeak).toFixed(1)}%`])),
    '',
  ];
}
