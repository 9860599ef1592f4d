/**
 * A self-contained GEMM run on the raw kernel modules (wasm/gemm.wat's exports: pack_a, pack_b, gemm), as the
 * source of a plain JS async function, so the same code runs in a page (page.evaluate), in a `node` child started
 * with other V8 flags, and here. `(modules, m, n, k, timed)`: modules maps a name to base64 module bytes; each is
 * instantiated on its own memory, C = A·B computed once on A, B from `probeValues` (seeds 1 and 2), and, when
 * `timed` > 0, the best of `timed` gemm calls on the packed operands timed. Returns {name: {c, ms}} (c omitted
 * above 65536 elements).
 */
export const GEMM_PROBE_SOURCE = `async (modules, m, n, k, timed) => {
  const values = ${probeValuesSource()};
  const out = {};
  for (const [name, base64] of Object.entries(modules)) {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    const pa4 = Math.ceil(m / 4) * 4 * k, pb8 = Math.ceil(n / 8) * 8 * k;
    const a = 1024, b = a + m * k * 4, pa = b + k * n * 4, pb = pa + pa4 * 4, c = pb + pb8 * 4, tile = c + m * n * 4;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((tile + 1024) / 65536) });
    const g = (await WebAssembly.instantiate(bytes, { env: { memory } })).instance.exports;
    const f32 = new Float32Array(memory.buffer);
    f32.set(values(m * k, 1), a / 4);
    f32.set(values(k * n, 2), b / 4);
    g.pack_a(a, k, 1, m, k, pa, 1);
    g.pack_b(b, n, 1, k, n, pb);
    g.gemm(m, n, k, pa, pb, c, n, -Infinity, Infinity, tile, 0, 3);
    let ms = Infinity;
    for (let r = 0; r < timed; r++) {
      const t0 = performance.now();
      g.gemm(m, n, k, pa, pb, c, n, -Infinity, Infinity, tile, 0, 3);
      ms = Math.min(ms, performance.now() - t0);
    }
    out[name] = { c: m * n <= 65536 ? Array.from(f32.subarray(c / 4, c / 4 + m * n)) : undefined, ms };
  }
  return out;
}`;

/** `count` float32 values in [-1, 1) from a 32-bit LCG seeded with `seed` (the probe's operands). */
export function probeValues(count: number, seed: number): Float32Array {
  return (new Function(`return ${probeValuesSource()}`)() as (count: number, seed: number) => Float32Array)(count, seed);
}

function probeValuesSource(): string {
  return `(count, seed) => {
    const v = new Float32Array(count);
    let x = seed >>> 0;
    for (let i = 0; i < count; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      v[i] = x / 2147483648 - 1;
    }
    return v;
  }`;
}

/** What the probe returns for one module. */
export interface ProbeResult {
  c?: number[];
  ms: number;
}

/**
 * The largest error of `c` against A·B in float64, in units of its rounding bound k·2^-23·Σ_p |a_ip·b_pj| (twice
 * the first-order bound of a length-k float32 dot product, fused or not): at most 1 for any correct GEMM.
 */
export function probeErrorInBounds(c: readonly number[], m: number, n: number, k: number): number {
  const a = probeValues(m * k, 1), b = probeValues(k * n, 2);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let exact = 0, magnitude = 0;
      for (let p = 0; p < k; p++) {
        exact += a[i * k + p]! * b[p * n + j]!;
        magnitude += Math.abs(a[i * k + p]! * b[p * n + j]!);
      }
      worst = Math.max(worst, Math.abs(c[i * n + j]! - exact) / (k * 2 ** -23 * magnitude));
    }
  }
  return worst;
}
