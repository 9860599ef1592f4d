/**
 * The machine's WASM SIMD peak, measured: a loop of independent f32x4 multiply-adds (mul then add, as SIMD128
 * without relaxed FMA does it) over enough accumulators to hide the instructions' latency. No memory traffic, so
 * no GEMM can beat it; GEMM throughput is reported as a fraction of it.
 */
export const PEAK_ACCUMULATORS = 16;

/** Floating-point operations of one iteration of the loop: accumulators × 4 lanes × (mul + add). */
export const PEAK_FLOPS_PER_ITERATION = PEAK_ACCUMULATORS * 4 * 2;

export function peakWat(accumulators = PEAK_ACCUMULATORS): string {
  const acc = Array.from({ length: accumulators }, (_, i) => `$a${i}`);
  return `(module
  (func (export "peak") (param $iterations i32) (result f32)
    (local $m v128) (local $c v128) ${acc.map((a) => `(local ${a} v128)`).join(' ')}
    (local.set $m (f32x4.splat (f32.const 0.999)))
    (local.set $c (f32x4.splat (f32.const 0.001)))
    ${acc.map((a, i) => `(local.set ${a} (f32x4.splat (f32.const ${(i + 1) / accumulators})))`).join('\n    ')}
    (loop $next
      ${acc.map((a) => `(local.set ${a} (f32x4.add (f32x4.mul (local.get ${a}) (local.get $m)) (local.get $c)))`).join('\n      ')}
      (local.set $iterations (i32.sub (local.get $iterations) (i32.const 1)))
      (br_if $next (i32.gt_s (local.get $iterations) (i32.const 0))))
    ;; Sum every accumulator into the result so none of the work can be dropped as dead.
    (f32x4.extract_lane 0 ${acc.slice(1).reduce((sum, a) => `(f32x4.add ${sum} (local.get ${a}))`, `(local.get ${acc[0]})`)})))`;
}

/** The peak module's bytes, assembled with wabt (a devDependency: the bench is a development tool). */
export async function peakWasm(): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const module = wabt.parseWat('peak.wat', peakWat(), { simd: true });
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}
