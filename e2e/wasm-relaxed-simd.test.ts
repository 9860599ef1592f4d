import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GEMM_PROBE_SOURCE, probeErrorInBounds, type ProbeResult } from '../src/testing/gemm-probe.js';
import { chromiumOrSkip } from '../src/testing/chromium.js';
import { WASM_MODULES } from '../src/backends/wasm/wasm-modules.js';
import { BrowserSession } from './browser-session.js';

// 37×45 around the 4×8 tile, k = 300 across two 256-deep blocks; then 512³ for the throughput figure.
const [M, N, K] = [37, 45, 300];

describe.skipIf(!chromiumOrSkip('relaxed SIMD GEMM'))('relaxed SIMD GEMM in Chromium', () => {
  const session = new BrowserSession();
  beforeAll(() => session.start({ webgpu: false }));
  afterAll(() => session.stop());

  it('validates the relaxed builds, picks them for the backend, and stays within k·2^-23·Σ|a·b| of float64 (plain: the same bits as in Node)', async () => {
    const page = await session.page();
    const modules = { gemm: WASM_MODULES.gemm!, 'gemm-relaxed': WASM_MODULES['gemm-relaxed']! };
    const got = await page.evaluate(`(async () => {
      const instance = await import('/dist/src/backends/wasm/wasm-modules-instance.js');
      const probe = ${GEMM_PROBE_SOURCE};
      return { accepted: instance.relaxedSimdAccepted(), picked: (await instance.wasmKernelModules()).relaxed,
        small: await probe(${JSON.stringify(modules)}, ${M}, ${N}, ${K}, 0), big: await probe(${JSON.stringify(modules)}, 512, 512, 512, 10) };
    })()`) as { accepted: boolean; picked: boolean; small: Record<string, ProbeResult>; big: Record<string, ProbeResult> };
    expect([got.accepted, got.picked]).toEqual([true, true]);
    const node = await (new Function(`return ${GEMM_PROBE_SOURCE}`)() as (...a: unknown[]) => Promise<Record<string, ProbeResult>>)({ gemm: modules.gemm }, M, N, K, 0);
    const plain = got.small.gemm!.c!, fused = got.small['gemm-relaxed']!.c!;
    expect(plain).toEqual(node.gemm!.c);
    expect(probeErrorInBounds(fused, M, N, K)).toBeLessThanOrEqual(1);
    expect(fused.filter((v, i) => v !== plain[i]).length).toBeGreaterThan(0);
    // Reported, not asserted (speed is for the bench).
    for (const [name, r] of Object.entries(got.big)) console.log(`[relaxed simd] ${name} 512³ best of 10: ${r.ms.toFixed(2)} ms, ${(2 * 512 ** 3 / r.ms / 1e6).toFixed(1)} GFLOP/s`);
  });
});
