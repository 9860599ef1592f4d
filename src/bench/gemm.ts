import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeOnnxModel } from '../formats/onnx/encode.js';
import type { Graph } from '../graph/ir.js';
import { writeNpy } from '../testing/npy.js';
import { tensor } from '../tensor/tensor.js';

/** The GEMM problem of the micro-benchmark: Y[m,n] = A[m,k] · B[k,n], B a constant weight as in a model. */
export interface GemmProblem {
  m: number;
  k: number;
  n: number;
}

export const GEMM_512: GemmProblem = { m: 512, k: 512, n: 512 };

/** Seeded values in [-1, 1): the same model on every run and machine. */
function seeded(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Y = A·B accumulated in float64: the reference every engine's output is checked against. */
function referenceGemm(a: Float32Array, b: Float32Array, { m, k, n }: GemmProblem): Float32Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      for (let j = 0; j < n; j++) y[i * n + j]! += av * b[p * n + j]!;
    }
  }
  return Float32Array.from(y);
}

/**
 * Writes a bench folder for one MatMul (model.onnx, input.npy, output.npy) so the GEMM micro-benchmark runs
 * through the same harness as whole models: every engine loads the same file, and the timing includes what a
 * user pays (input copy in, output back).
 */
export function writeGemmBenchFolder(problem: GemmProblem = GEMM_512): string {
  const { m, k, n } = problem;
  const dir = join(mkdtempSync(join(tmpdir(), 'neuropod-web-bench-')), `gemm${m}x${k}x${n}`);
  mkdirSync(dir);
  const a = seeded(m * k, 1);
  const b = seeded(k * n, 2);
  const graph: Graph = {
    name: `gemm_${m}x${k}x${n}`,
    nodes: [{ name: 'matmul', opType: 'MatMul', domain: '', inputs: ['A', 'B'], outputs: ['Y'], attributes: new Map() }],
    inputs: [{ name: 'A', type: { kind: 'tensor', dtype: 'float32', shape: [m, k] } }],
    outputs: [{ name: 'Y', type: { kind: 'tensor', dtype: 'float32', shape: [m, n] } }],
    initializers: new Map([['B', tensor(b, [k, n])]]),
  };
  writeFileSync(join(dir, 'model.onnx'), encodeOnnxModel({ graph, opsets: new Map([['', 13]]) }));
  writeFileSync(join(dir, 'input.npy'), writeNpy(tensor(a, [m, k])));
  writeFileSync(join(dir, 'output.npy'), writeNpy(tensor(referenceGemm(a, b, problem), [m, n])));
  return dir;
}

/** GFLOP/s of one GEMM of `problem` (2·m·n·k floating-point operations) done in `ms`. */
export function gemmGflops({ m, k, n }: GemmProblem, ms: number): number {
  return (2 * m * n * k) / (ms * 1e6);
}
