import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeOnnxModel } from '../formats/onnx/decode.js';
import { readNpy } from '../testing/npy.js';
import { repoRoot } from '../testing/shared-fixtures.js';
import { PEERS, runBench, type BenchOptions, type BenchReport } from './harness.js';
import { resolveBenchModel } from './models.js';
import { perfChartSvg, perfMarkdown } from './report.js';
import { bundleSizes } from './sizes.js';
import { gemmTable, ratiosTable, resultsTable, sizesTable } from './table.js';
import { GEMM_512, writeGemmBenchFolder } from './gemm.js';

const USAGE = `usage: neuropod-web bench <model.onnx | bench folder | tfjs model.json>... [--backends cpu,wasm,webgpu]
        [--peers ort-wasm,ort-webgpu,tfjs-wasm,tfjs-webgpu] [--threads N] [--runs N] [--warmup N] [--json out.json] [--real-gpu] [--no-gemm]
ONNX models run on the ONNX peers, TF.js models on the TF.js peers; a peer that fails on a model is reported as failed.
Unless --no-gemm, a 512x512x512 MatMul runs on the ONNX engines too, reported in GFLOP/s against the WASM SIMD peak
measured in the same page.`;

async function onnxInputNames(path: string): Promise<string[]> {
  const model = await decodeOnnxModel(readFileSync(path), { source: path, externalData: async (loc) => readFileSync(join(dirname(path), loc)) });
  return model.graph.inputs.map((i) => i.name).filter((n) => !model.graph.initializers.has(n));
}

/** `neuropod-web bench`: returns the process exit code. */
export async function runBenchCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      backends: { type: 'string', default: 'cpu' },
      peers: { type: 'string', default: Object.keys(PEERS).join(',') },
      threads: { type: 'string', default: '1' },
      runs: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      json: { type: 'string' },
      'real-gpu': { type: 'boolean', default: false },
      'no-gemm': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const options: BenchOptions = {
    backends: values.backends.split(',').filter(Boolean),
    peers: values.peers.split(',').filter(Boolean),
    threads: Number(values.threads),
    runs: Number(values.runs),
    warmup: Number(values.warmup),
    rtol: 1e-3,
    atol: 1e-4,
    realGpu: values['real-gpu'],
  };
  const models = [];
  for (const p of positionals) models.push(await resolveBenchModel(p, readNpy, onnxInputNames));
  const gemm = values['no-gemm'] ? undefined : { model: await resolveBenchModel(writeGemmBenchFolder(GEMM_512), readNpy, onnxInputNames), problem: GEMM_512 };
  const report = await runBench(models, options, (line) => console.error(line), gemm);
  const sizes = bundleSizes();
  console.log(resultsTable(report));
  console.log();
  console.log(ratiosTable(report));
  console.log();
  console.log(sizesTable(sizes));
  if (report.gemm) console.log(`\n${gemmTable(report.gemm)}`);
  if (values.json) {
    mkdirSync(dirname(values.json), { recursive: true });
    writeFileSync(values.json, JSON.stringify({ ...report, bundleSizes: sizes }, null, 1));
    console.error(`wrote ${values.json}`);
  }
  return 0;
}

/** `npm run bench:report [bench.json]`: docs/perf.md and docs/perf.svg from a bench JSON. */
export function runBenchReportCli(argv: string[]): number {
  const input = argv[0] ?? join(repoRoot, 'docs/bench.json');
  const report = JSON.parse(readFileSync(input, 'utf8')) as BenchReport & { bundleSizes?: ReturnType<typeof bundleSizes> };
  writeFileSync(join(repoRoot, 'docs/perf.svg'), perfChartSvg(report));
  // Sizes are the build's on disk now (they do not depend on the run), so a report follows the current dist/.
  writeFileSync(join(repoRoot, 'docs/perf.md'), perfMarkdown(report, bundleSizes(), 'perf.svg') + '\n');
  console.log(`wrote docs/perf.md and docs/perf.svg from ${input}`);
  return 0;
}
