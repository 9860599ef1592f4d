import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GEMM_PROBE_SOURCE, probeErrorInBounds, type ProbeResult } from '../../testing/gemm-probe.js';
import { relaxedSimdAccepted, wasmKernelModules } from './wasm-modules-instance.js';
import { WASM_MODULES } from './wasm-modules.js';

// 37×45 around the 4×8 tile, k = 300 across two 256-deep blocks.
const [M, N, K] = [37, 45, 300];
const probe = new Function(`return ${GEMM_PROBE_SOURCE}`)() as (modules: Record<string, string>, m: number, n: number, k: number, timed: number) => Promise<Record<string, ProbeResult>>;

/** The probe in a `node` child with extra V8 flags (Node 20's V8 11.3 validates relaxed SIMD only behind a flag). */
function probeInChild(flags: string[], modules: Record<string, string>): Record<string, ProbeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'neuropod-relaxed-'));
  try {
    const script = join(dir, 'probe.mjs');
    writeFileSync(script, `const probe = ${GEMM_PROBE_SOURCE};\nconsole.log(JSON.stringify(await probe(${JSON.stringify(modules)}, ${M}, ${N}, ${K}, 0)));\n`);
    return JSON.parse(execFileSync(process.execPath, [...flags, script], { encoding: 'utf8' })) as Record<string, ProbeResult>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const v8Major = Number(process.versions.v8.split('.')[0]), v8Minor = Number(process.versions.v8.split('.')[1]);
// Relaxed SIMD shipped unflagged in V8 11.4 (Chromium 114); Node 20 has 11.3.
const flagged = v8Major < 11 || (v8Major === 11 && v8Minor < 4);

describe('relaxed SIMD GEMM (gemm-relaxed, gemv-relaxed)', () => {
  it('is built from gemm.wat and gemv.wat with every multiply-add fused', () => {
    expect(Object.keys(WASM_MODULES).filter((n) => n.endsWith('-relaxed')).sort()).toEqual(['gemm-relaxed', 'gemv-relaxed']);
  });

  it.runIf(flagged)('falls back to the plain modules where the engine rejects relaxed SIMD (Node 20 unflagged), bit for bit', async () => {
    expect(relaxedSimdAccepted()).toBe(false);
    const modules = await wasmKernelModules();
    expect(modules.relaxed).toBe(false);
    // The runtime's gemm gives the plain module's bits.
    const plain = (await probe({ gemm: WASM_MODULES.gemm! }, M, N, K, 0)).gemm!.c!;
    const { heap, gemm, tile } = modules;
    const at = heap.alloc(4 * (M * K + K * N + Math.ceil(M / 4) * 4 * K + Math.ceil(N / 8) * 8 * K + M * N));
    try {
      const { probeValues } = await import('../../testing/gemm-probe.js');
      const a = at, b = a + M * K * 4, pa = b + K * N * 4, pb = pa + Math.ceil(M / 4) * 4 * K * 4, c = pb + Math.ceil(N / 8) * 8 * K * 4;
      heap.f32().set(probeValues(M * K, 1), a >> 2);
      heap.f32().set(probeValues(K * N, 2), b >> 2);
      gemm.pack_a(a, K, 1, M, K, pa, 1);
      gemm.pack_b(b, N, 1, K, N, pb);
      gemm.gemm(M, N, K, pa, pb, c, N, -Infinity, Infinity, tile, 0, 3);
      expect(Array.from(heap.f32().subarray(c >> 2, (c >> 2) + M * N))).toEqual(plain);
    } finally {
      heap.release(at);
    }
  });

  it.runIf(flagged)('runs under --experimental-wasm-relaxed-simd: within k·2^-23·Σ|a·b| of float64, and fused (not the plain bits)', () => {
    const out = probeInChild(['--experimental-wasm-relaxed-simd'], { gemm: WASM_MODULES.gemm!, 'gemm-relaxed': WASM_MODULES['gemm-relaxed']! });
    const plain = out.gemm!.c!, fused = out['gemm-relaxed']!.c!;
    expect(probeErrorInBounds(plain, M, N, K)).toBeLessThanOrEqual(1);
    expect(probeErrorInBounds(fused, M, N, K)).toBeLessThanOrEqual(1);
    // An x64 CPU with FMA3 fuses relaxed_madd: some sums round differently.
    expect(fused.filter((v, i) => v !== plain[i]).length).toBeGreaterThan(0);
  });
});
