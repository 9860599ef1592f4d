import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench, type BenchOptions, type BenchReport } from '../src/bench/harness.js';
import { resolveBenchModel } from '../src/bench/models.js';
import { perfChartSvg, perfMarkdown } from '../src/bench/report.js';
import { gemmGflops } from '../src/bench/gemm.js';
import { encodeOnnxModel } from '../src/formats/onnx/encode.js';
import type { Graph } from '../src/graph/ir.js';
import { chromiumOrSkip } from '../src/testing/chromium.js';
import { readNpy, writeNpy } from '../src/testing/npy.js';
import { tensor } from '../src/tensor/tensor.js';

/** A bench folder holding y = x + 1 on float32 [2, 3], with input.npy and output.npy as ../shared/bench lays them out. */
function tinyBenchFolder(root: string, outputShift = 0, opType = 'Add'): string {
  const dir = join(root, 'add_one');
  mkdirSync(dir, { recursive: true });
  const type = { kind: 'tensor' as const, dtype: 'float32' as const, shape: [2, 3] };
  const graph: Graph = {
    name: 'add_one',
    nodes: [{ name: 'add', opType, domain: '', inputs: ['x', 'one'], outputs: ['y'], attributes: new Map() }],
    inputs: [{ name: 'x', type }],
    outputs: [{ name: 'y', type }],
    initializers: new Map([['one', tensor(new Float32Array([1]), [1])]]),
  };
  writeFileSync(join(dir, 'model.onnx'), encodeOnnxModel({ graph, opsets: new Map([['', 13]]) }));
  writeFileSync(join(dir, 'input.npy'), writeNpy(tensor(new Float32Array([0, 1, 2, 3, 4, 5]), [2, 3])));
  writeFileSync(join(dir, 'output.npy'), writeNpy(tensor(new Float32Array([1, 2, 3, 4, 5, 6].map((v) => v + outputShift)), [2, 3])));
  return dir;
}

const options: BenchOptions = { backends: ['cpu'], peers: ['ort-wasm'], threads: 1, runs: 3, warmup: 1, rtol: 1e-3, atol: 1e-4, realGpu: false, memory: false };
const inputNames = async () => ['x'];

describe.skipIf(!chromiumOrSkip('the bench harness end to end'))('neuropod-web bench on a tiny model', () => {
  const root = mkdtempSync(join(tmpdir(), 'neuropod-web-bench-test-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let report: BenchReport;

  it('runs our engine and onnxruntime-web in one page and reports every field the JSON promises', async () => {
    const model = await resolveBenchModel(tinyBenchFolder(root), readNpy, inputNames);
    report = await runBench([model], options);
    expect(report.browser).toMatch(/^Chromium \d+/);
    expect(report.results.map((r) => [r.engine, r.backend, r.ok, r.agrees])).toEqual([
      ['neuropod-web', 'cpu', true, true],
      ['onnxruntime-web', 'wasm', true, true],
    ]);
    for (const r of report.results) {
      expect(r.minMs!).toBeLessThanOrEqual(r.medianMs!);
      expect(r.medianMs!).toBeLessThanOrEqual(r.maxMs!);
      expect(r.coldStartMs!).toBeGreaterThan(0);
      expect(r.runs).toBe(3);
    }
    expect(report.ratios).toEqual([{ model: 'add_one', backend: 'cpu', peer: 'ort-wasm', ratio: report.results[0]!.medianMs! / report.results[1]!.medianMs! }]);
  });

  it('says an engine disagrees with the reference when the reference is off', async () => {
    const model = await resolveBenchModel(tinyBenchFolder(join(root, 'shifted'), 0.5), readNpy, inputNames);
    const shifted = await runBench([model], { ...options, peers: [] });
    expect(shifted.results[0]).toMatchObject({ ok: true, agrees: false, maxAbsError: 0.5 });
  });

  it('reports an engine that cannot run a model as failed, with its error', async () => {
    const model = await resolveBenchModel(tinyBenchFolder(join(root, 'unknown-op'), 0, 'NoSuchOp'), readNpy, inputNames);
    const failed = await runBench([model], options);
    expect(failed.results.map((r) => [r.engine, r.ok])).toEqual([['neuropod-web', false], ['onnxruntime-web', false]]);
    expect(failed.results[0]!.error).toContain("Unsupported operator NoSuchOp (domain ai.onnx, opset 13) at node 'add'");
    expect(failed.results[1]!.error).toMatch(/NoSuchOp/);
    expect(failed.ratios).toEqual([]);
  });

  it('turns the report into docs/perf.md text and an SVG chart naming every engine', () => {
    const md = perfMarkdown(report, undefined, 'perf.svg');
    expect(md).toContain(`- Browser: ${report.browser}`);
    expect(md).toMatch(/\| add_one \| neuropod-web \| cpu \| 1 \|/);
    expect(md).toMatch(/\| add_one \| cpu \| ort-wasm \| \d+\.\d\d \|/);
    const svg = perfChartSvg(report);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('neuropod-web cpu');
    expect(svg).toContain('onnxruntime-web wasm');
  });
});

describe('bench arithmetic', () => {
  it('counts 2·m·n·k operations for a GEMM: 512³ in 10 ms is 26.8 GFLOP/s', () => {
    expect(gemmGflops({ m: 512, k: 512, n: 512 }, 10)).toBeCloseTo(26.8435456, 6);
  });
});

describe('WASM SIMD peak loop', () => {
  it('does every multiply-add it counts: peak(1) returns the float32 sum of one step of each accumulator', async () => {
    const { peakAfterOneIteration, peakModules } = await import('../src/bench/peak.js');
    for (const { accumulators, bytes } of await peakModules()) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes)));
      expect((instance.exports.peak as (n: number) => number)(1)).toBe(peakAfterOneIteration(accumulators));
    }
  });
});
