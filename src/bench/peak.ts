/**
 * The machine's WASM SIMD peak, measured: a loop of independent f32x4 multiply-adds (mul then add, as SIMD128
 * without relaxed FMA does it) and no memory traffic, so no GEMM can beat it; GEMM throughput is reported as a
 * fraction of it. How many independent accumulators hide the instructions' latency without spilling registers
 * depends on the CPU (x86-64 has 16 vector registers), so the peak is the best over several loop widths.
 */
export const PEAK_WIDTHS = [8, 10, 12, 14, 16] as const;

/** Floating-point operations of one loop iteration: accumulators × 4 lanes × (mul + add). */
export const flopsPerIteration = (accumulators: number): number => accumulators * 4 * 2;

const MUL = 0.999;
const ADD = 0.001;

/** a_i = (i + 1) / n, then each iteration a_i = a_i · 0.999 + 0.001; returns lane 0 of the sum of all a_i. */
export function peakWat(accumulators: number): string {
  const acc = Array.from({ length: accumulators }, (_, i) => `$a${i}`);
  return `(module
  (func (export "peak") (param $iterations i32) (result f32)
    (local $m v128) (local $c v128) ${acc.map((a) => `(local ${a} v128)`).join(' ')}
    (local.set $m (f32x4.splat (f32.const ${MUL})))
    (local.set $c (f32x4.splat (f32.const ${ADD})))
    ${acc.map((a, i) => `(local.set ${a} (f32x4.splat (f32.const ${(i + 1) / accumulators})))`).join('\n    ')}
    (loop $next
      ${acc.map((a) => `(local.set ${a} (f32x4.add (f32x4.mul (local.get ${a}) (local.get $m)) (local.get $c)))`).join('\n      ')}
      (local.set $iterations (i32.sub (local.get $iterations) (i32.const 1)))
      (br_if $next (i32.gt_s (local.get $iterations) (i32.const 0))))
    ;; Sum every accumulator into the result so none of the work can be dropped as dead.
    (f32x4.extract_lane 0 ${acc.slice(1).reduce((sum, a) => `(f32x4.add ${sum} (local.get ${a}))`, `(local.get ${acc[0]})`)})))`;
}

/** What peak(1) must return for `accumulators`: float32 arithmetic step by step, as the module does it. */
export function peakAfterOneIteration(accumulators: number): number {
  const f = Math.fround;
  let sum = 0;
  for (let i = 0; i < accumulators; i++) {
    const a = f(f(f(f((i + 1) / accumulators) * f(MUL))) + f(ADD));
    sum = i === 0 ? a : f(sum + a);
  }
  return sum;
}

export interface PeakModule {
  accumulators: number;
  bytes: Uint8Array;
}

/** The peak modules, assembled with wabt (a devDependency: the bench is a development tool). */
export async function peakModules(): Promise<PeakModule[]> {
  const wabt = await (await import('wabt')).default();
  return PEAK_WIDTHS.map((accumulators) => {
    const module = wabt.parseWat('peak.wat', peakWat(accumulators), { simd: true });
    try {
      return { accumulators, bytes: module.toBinary({}).buffer };
    } finally {
      module.destroy();
    }
  });
}
