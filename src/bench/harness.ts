import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../testing/chromium.js';
import { repoRoot } from '../testing/shared-fixtures.js';
import { startStaticServer } from '../testing/static-server.js';
import { gemmGflops, type GemmProblem } from './gemm.js';
import type { BenchModel, BenchTensor } from './models.js';
import { peakModules } from './peak.js';

/** An engine to run: ours on one of our backends, or a peer package on one of its own. */
export interface EngineChoice {
  engine: 'neuropod-web' | 'ort' | 'tfjs';
  backend: string;
  /** The name in tables and JSON: 'neuropod-web', 'onnxruntime-web', '@tensorflow/tfjs'. */
  label: string;
  /** Peer key as given on the command line (ort-wasm, tfjs-webgpu), for ratios. */
  peer?: string;
}

export const PEERS: Record<string, EngineChoice> = {
  'ort-wasm': { engine: 'ort', backend: 'wasm', label: 'onnxruntime-web', peer: 'ort-wasm' },
  'ort-webgpu': { engine: 'ort', backend: 'webgpu', label: 'onnxruntime-web', peer: 'ort-webgpu' },
  'tfjs-wasm': { engine: 'tfjs', backend: 'wasm', label: '@tensorflow/tfjs', peer: 'tfjs-wasm' },
  'tfjs-webgpu': { engine: 'tfjs', backend: 'webgpu', label: '@tensorflow/tfjs', peer: 'tfjs-webgpu' },
};

export interface BenchOptions {
  backends: string[];
  peers: string[];
  threads: number;
  runs: number;
  warmup: number;
  /** Relative tolerance for output agreement with the reference (absolute floor atol). */
  rtol: number;
  atol: number;
  /** Run WebGPU on SwiftShader (no GPU here) or on the machine's GPU. */
  realGpu: boolean;
  /** Also run the GEMM micro-benchmark (a 512x512x512 MatMul model) and measure the WASM SIMD peak. */
  gemm?: boolean;
  /** Sample peak memory (default true); measureUserAgentSpecificMemory waits for a GC, up to 15 s a sample. */
  memory?: boolean;
}

/** GEMM throughput of each engine on the micro-benchmark's MatMul, against the page's measured WASM SIMD peak. */
export interface GemmReport {
  problem: GemmProblem;
  peakGflops: number;
  rows: { engine: string; backend: string; threads: number; gflops: number; fractionOfPeak: number }[];
}

export interface BenchResult {
  model: string;
  engine: string;
  backend: string;
  threads: number;
  ok: boolean;
  error?: string;
  coldStartMs?: number;
  loadMs?: number;
  /** Ours on webgpu: the part of loadMs spent creating compute pipelines (Model.pipelineMs); else undefined. */
  pipelineMs?: number;
  medianMs?: number;
  minMs?: number;
  maxMs?: number;
  runs?: number;
  peakMemoryBytes?: number;
  memorySource?: string;
  /** Largest |ours - reference| over every compared output element, and whether all were within tolerance. */
  maxAbsError?: number;
  agrees?: boolean;
}

export interface BenchRatio {
  model: string;
  backend: string;
  peer: string;
  ratio: number;
}

export interface BenchReport {
  machine: Record<string, unknown>;
  browser: string;
  gpu?: Record<string, unknown> | null;
  date: string;
  options: BenchOptions;
  results: BenchResult[];
  ratios: BenchRatio[];
  gemm?: GemmReport;
}

/** Which peers can open which model: ONNX peers need an .onnx file, TF.js peers a model.json. */
function peerApplies(choice: EngineChoice, model: BenchModel): string | undefined {
  if (choice.engine === 'ort') return model.onnx;
  if (choice.engine === 'tfjs') return model.tfjs;
  return model.ours;
}

function agreement(outputs: Record<string, number[]>, reference: Record<string, BenchTensor> | undefined, rtol: number, atol: number) {
  if (!reference) return {};
  const got = Object.entries(outputs);
  let maxAbsError = 0;
  let agrees = true;
  Object.entries(reference).forEach(([name, want], i) => {
    // Named references (TF.js) match by name; .npy references carry none and match the first output.
    const actual = outputs[name] ?? got[i]?.[1];
    if (!actual || actual.length !== want.data.length) {
      agrees = false;
      return;
    }
    for (let k = 0; k < actual.length; k++) {
      const err = Math.abs(actual[k]! - want.data[k]!);
      if (!(err <= maxAbsError)) maxAbsError = Number.isNaN(err) ? Infinity : Math.max(maxAbsError, err);
      if (!(err <= atol + rtol * Math.abs(want.data[k]!))) agrees = false;
    }
  });
  return { maxAbsError, agrees };
}

async function runOne(page: Page, model: BenchModel, choice: EngineChoice, options: BenchOptions): Promise<BenchResult> {
  const file = peerApplies(choice, model);
  const base = { model: model.name, engine: choice.label, backend: choice.backend, threads: options.threads };
  if (!file) return { ...base, ok: false, error: `${choice.label} cannot open this model's format` };
  const raw = (await page.evaluate(
    (args) => (window as unknown as { bench: { runEngine(a: unknown): Promise<unknown> } }).bench.runEngine(args),
    { engine: choice.engine, modelUrl: `/model/${file}`, backend: choice.backend, threads: options.threads, inputs: model.inputs, runs: options.runs, warmup: options.warmup, memory: options.memory ?? true },
  )) as { ok: boolean; error?: string; outputs?: Record<string, number[]> } & Partial<BenchResult>;
  if (!raw.ok) return { ...base, ok: false, error: raw.error };
  const { outputs, ...timings } = raw;
  return { ...base, ...timings, backend: choice.backend, ok: true, ...agreement(outputs ?? {}, model.reference, options.rtol, options.atol) };
}

/** Our backends pair with the peers of the same kind of hardware: cpu and wasm with *-wasm, webgpu with *-webgpu. */
function ratiosOf(results: BenchResult[]): BenchRatio[] {
  const ratios: BenchRatio[] = [];
  for (const ours of results.filter((r) => r.engine === 'neuropod-web' && r.ok)) {
    const kind = ours.backend === 'webgpu' ? 'webgpu' : 'wasm';
    for (const peer of results.filter((r) => r.engine !== 'neuropod-web' && r.ok && r.model === ours.model && r.backend === kind)) {
      const key = Object.entries(PEERS).find(([, c]) => c.label === peer.engine && c.backend === peer.backend)?.[0] ?? peer.engine;
      ratios.push({ model: ours.model, backend: ours.backend, peer: key, ratio: ours.medianMs! / peer.medianMs! });
    }
  }
  return ratios;
}

/**
 * Runs every engine on every model in one Chromium, one page a model, engines one after another in that page,
 * so all figures of a model come from the same browser session.
 */
export async function runBench(models: BenchModel[], options: BenchOptions, log: (line: string) => void = () => {}, gemm?: { model: BenchModel; problem: GemmProblem }): Promise<BenchReport> {
  const browser = await launchChromium({ swiftshader: !options.realGpu, extraArgs: ['--enable-precise-memory-info'] });
  const results: BenchResult[] = [];
  let browserVersion = browser.version();
  let gpu: Record<string, unknown> | null = null;
  let environment: Record<string, unknown> = {};
  let peakGflops: number | undefined;
  try {
    for (const model of gemm ? [...models, gemm.model] : models) {
      const server = await startStaticServer({ mounts: { '/': repoRoot, '/model/': model.dir } });
      try {
        const page = await browser.newPage();
        await page.goto(`${server.url}/bench/page/index.html`);
        await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true);
        environment = (await page.evaluate(() => (window as unknown as { bench: { environment(): unknown } }).bench.environment())) as Record<string, unknown>;
        gpu ??= (await page.evaluate(() => (window as unknown as { bench: { gpuAdapter(): Promise<unknown> } }).bench.gpuAdapter())) as Record<string, unknown> | null;
        if (model === gemm?.model) peakGflops = await measurePeak(page, log);
        const choices: EngineChoice[] = [
          ...options.backends.map((backend) => ({ engine: 'neuropod-web' as const, backend, label: 'neuropod-web' })),
          ...options.peers.map((p) => {
            const c = PEERS[p];
            if (!c) throw new Error(`bench: unknown peer '${p}'; known: ${Object.keys(PEERS).join(', ')}`);
            return c;
          }),
        ];
        // A peer that cannot open this model's format (TF.js on .onnx) is not run; one that can and fails is reported.
        for (const choice of choices.filter((c) => peerApplies(c, model))) {
          log(`${model.name}: ${choice.label} ${choice.backend} ...`);
          const r = await runOne(page, model, choice, options);
          log(r.ok ? `  median ${r.medianMs!.toFixed(2)} ms, cold start ${r.coldStartMs!.toFixed(1)} ms${r.agrees === false ? ', OUTPUTS DISAGREE' : ''}` : `  failed: ${r.error}`);
          results.push(r);
        }
        await page.close();
      } finally {
        await server.close();
      }
    }
  } finally {
    browserVersion = browser.version();
    await browser.close();
  }
  const gemmReport = gemm && peakGflops !== undefined ? gemmRows(results.filter((r) => r.model === gemm.model.name), gemm.problem, peakGflops) : undefined;
  return {
    gemm: gemmReport,
    machine: { cpus: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem(), platform: process.platform, arch: process.arch, ...environment },
    browser: `Chromium ${browserVersion}`,
    gpu,
    date: new Date().toISOString(),
    options,
    results,
    ratios: ratiosOf(results),
  };
}

async function measurePeak(page: Page, log: (line: string) => void): Promise<number> {
  const modules = (await peakModules()).map((m) => ({ accumulators: m.accumulators, bytes: Array.from(m.bytes) }));
  const { gflops, accumulators } = (await page.evaluate(
    (args) => (window as unknown as { bench: { measurePeak(a: unknown): Promise<unknown> } }).bench.measurePeak(args),
    { modules },
  )) as { gflops: number; accumulators: number };
  log(`WASM SIMD peak (one thread, multiply-add loop, best width ${accumulators}): ${gflops.toFixed(1)} GFLOP/s`);
  return gflops;
}

function gemmRows(results: BenchResult[], problem: GemmProblem, peakGflops: number): GemmReport {
  const rows = results
    .filter((r) => r.ok)
    .map((r) => {
      const gflops = gemmGflops(problem, r.medianMs!);
      return { engine: r.engine, backend: r.backend, threads: r.threads, gflops, fractionOfPeak: gflops / peakGflops };
    });
  return { problem, peakGflops, rows };
}

export const benchPagePath = join(repoRoot, 'bench/page/index.html');
