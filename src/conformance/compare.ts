import { Optional, Sequence, type Value } from '../graph/value.js';
import type { DType } from '../tensor/dtype.js';
import { bfloat16ToFloat, halfToFloat } from '../tensor/float16.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * How close a float result must be. 'allclose' is numpy.testing.assert_allclose, as the ONNX backend test runner
 * uses it: |a - e| <= atol + rtol * |e|. 'ort-web' is onnxruntime-web's TensorResultValidator.floatEqual:
 * |a - e| < abs, or both non-zero with a/e and e/a below ratio.
 */
export type Tolerance =
  | { kind: 'allclose'; rtol: number; atol: number }
  | { kind: 'ort-web'; abs: number; ratio: number };

/** onnx/backend/test/runner: rtol 1e-3, atol 1e-7. */
export const ONNX_NODE_TOLERANCE: Tolerance = { kind: 'allclose', rtol: 1e-3, atol: 1e-7 };

/** onnxruntime-web js/web/test/test-runner.ts thresholds, by backend. */
export const ORT_WEB_TOLERANCE: Record<string, Tolerance> = {
  cpu: { kind: 'ort-web', abs: 1e-4, ratio: 1.000001 },
  wasm: { kind: 'ort-web', abs: 1e-4, ratio: 1.000001 },
  webgpu: { kind: 'ort-web', abs: 1e-3, ratio: 1.00001 },
};

/** Why an output differs, or null when it matches. Floats within tolerance, everything else exactly; NaN equals NaN. */
export function compareValues(actual: Value | undefined, expected: Value, tol: Tolerance): string | null {
  if (actual === undefined) return 'no value was produced';
  if (expected instanceof Tensor) {
    return actual instanceof Tensor ? compareTensors(actual, expected, tol) : `a ${kindOf(actual)} was produced, expected a tensor`;
  }
  if (expected instanceof Sequence) {
    if (!(actual instanceof Sequence)) return `a ${kindOf(actual)} was produced, expected a sequence`;
    if (actual.items.length !== expected.items.length) return `sequence length ${actual.items.length}, expected ${expected.items.length}`;
    for (let i = 0; i < expected.items.length; i++) {
      const why = compareValues(actual.items[i], expected.items[i]!, tol);
      if (why) return `sequence item ${i}: ${why}`;
    }
    return null;
  }
  if (!(actual instanceof Optional)) return `a ${kindOf(actual)} was produced, expected an optional`;
  if (expected.value === undefined) return actual.value === undefined ? null : 'the optional holds a value, expected none';
  if (actual.value === undefined) return 'the optional is empty, expected a value';
  return compareValues(actual.value, expected.value, tol);
}

function kindOf(v: Value): string {
  return v instanceof Tensor ? 'tensor' : v instanceof Sequence ? 'sequence' : 'optional';
}

function compareTensors(actual: Tensor, expected: Tensor, tol: Tolerance): string | null {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return `shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`;
  }
  const decode = FLOAT_DECODERS[expected.dtype];
  if (decode) return compareFloats(decode(actual), decode(expected), tol);
  return compareExact(actual.data as ArrayLike<unknown>, expected.data as ArrayLike<unknown>);
}

/**
 * Float dtypes compared by value. float8 and float4 are compared bit for bit (below), which is what a tolerance of
 * 1e-3 amounts to at their precision, except that it tells -0 from +0 and NaN payloads apart.
 */
const FLOAT_DECODERS: Partial<Record<DType, (t: Tensor) => ArrayLike<number>>> = {
  float32: (t) => t.data as Float32Array,
  float64: (t) => t.data as Float64Array,
  float16: (t) => Array.from(t.data as Uint16Array, halfToFloat),
  bfloat16: (t) => Array.from(t.data as Uint16Array, bfloat16ToFloat),
};

function compareFloats(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): string | null {
  let worst = -1;
  let worstErr = -1;
  let bad = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (floatsMatch(a, e, tol)) continue;
    bad++;
    const err = Number.isNaN(a - e) ? Infinity : Math.abs(a - e);
    if (err > worstErr) [worst, worstErr] = [i, err];
  }
  if (bad === 0) return null;
  return `${bad} of ${expected.length} values differ; max abs err ${worstErr} at index ${worst} (got ${actual[worst]}, expected ${expected[worst]})`;
}

function floatsMatch(a: number, e: number, tol: Tolerance): boolean {
  if (a === e || (Number.isNaN(a) && Number.isNaN(e))) return true;
  if (!Number.isFinite(a) || !Number.isFinite(e)) return false;
  if (tol.kind === 'allclose') return Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
  return Math.abs(a - e) < tol.abs || (a !== 0 && e !== 0 && a / e < tol.ratio && e / a < tol.ratio);
}

function compareExact(actual: ArrayLike<unknown>, expected: ArrayLike<unknown>): string | null {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] === expected[i]) continue;
    if (first < 0) first = i;
    bad++;
  }
  if (bad === 0) return null;
  const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  return `${bad} of ${expected.length} values differ; first at index ${first} (got ${show(actual[first])}, expected ${show(expected[first])})`;
}

