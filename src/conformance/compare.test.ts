import { describe, expect, it } from 'vitest';
import { Optional, Sequence } from '../graph/value.js';
import { Tensor } from '../tensor/tensor.js';
import { compareValues, ONNX_NODE_TOLERANCE, ORT_WEB_TOLERANCE } from './compare.js';

const f32 = (values: number[], shape = [values.length]): Tensor => new Tensor('float32', shape, Float32Array.from(values));

describe('compareValues', () => {
  it('accepts floats within numpy allclose (rtol 1e-3, atol 1e-7) and NaN against NaN', () => {
    // |1000.9 - 1000| = 0.9 <= 1e-7 + 1e-3 * 1000
    expect(compareValues(f32([1000.9, NaN, -Infinity]), f32([1000, NaN, -Infinity]), ONNX_NODE_TOLERANCE)).toBeNull();
  });

  it('reports the largest error and its index', () => {
    expect(compareValues(f32([1, 2.5, 3.01]), f32([1, 2, 3]), ONNX_NODE_TOLERANCE)).toBe(
      '2 of 3 values differ; max abs err 0.5 at index 1 (got 2.5, expected 2)',
    );
  });

  it('uses onnxruntime-web thresholds for op tests: abs 1e-4, or ratio 1.000001', () => {
    const cpu = ORT_WEB_TOLERANCE.cpu!;
    expect(compareValues(f32([0.00009]), f32([0]), cpu)).toBeNull();
    expect(compareValues(f32([0.0002]), f32([0]), cpu)).toMatch(/^1 of 1 values differ/);
    expect(compareValues(new Tensor('float64', [1], Float64Array.from([1000.0009])), new Tensor('float64', [1], Float64Array.from([1000])), cpu)).toBeNull();
  });

  it('compares integers, bools and strings exactly', () => {
    const i64 = (v: bigint[]): Tensor => new Tensor('int64', [v.length], BigInt64Array.from(v));
    expect(compareValues(i64([2n ** 62n + 1n]), i64([2n ** 62n]), ONNX_NODE_TOLERANCE)).toBe(
      '1 of 1 values differ; first at index 0 (got 4611686018427387905, expected 4611686018427387904)',
    );
    expect(compareValues(new Tensor('string', [1], ['a']), new Tensor('string', [1], ['b']), ONNX_NODE_TOLERANCE)).toMatch(/got "a", expected "b"/);
  });

  it('requires the same dtype and shape', () => {
    expect(compareValues(new Tensor('float64', [1], Float64Array.from([1])), f32([1]), ONNX_NODE_TOLERANCE)).toBe('dtype float64, expected float32');
    expect(compareValues(f32([1, 2], [2, 1]), f32([1, 2], [2]), ONNX_NODE_TOLERANCE)).toBe('shape [2, 1], expected [2]');
  });

  it('decodes float16 bits before comparing', () => {
    // 0x3c00 is 1.0 and 0x3c01 is 1.0009765625: within rtol 1e-3 of 1 only by atol+rtol = 0.0010001
    const half = (bits: number): Tensor => new Tensor('float16', [1], Uint16Array.from([bits]));
    expect(compareValues(half(0x3c01), half(0x3c00), ONNX_NODE_TOLERANCE)).toBeNull();
    expect(compareValues(half(0x3c02), half(0x3c00), ONNX_NODE_TOLERANCE)).not.toBeNull();
  });

  it('walks sequences and optionals', () => {
    expect(compareValues(new Sequence([f32([1])]), new Sequence([f32([1]), f32([2])]), ONNX_NODE_TOLERANCE)).toBe('sequence length 1, expected 2');
    expect(compareValues(new Optional(undefined), new Optional(f32([1])), ONNX_NODE_TOLERANCE)).toBe('the optional is empty, expected a value');
    expect(compareValues(new Optional(new Sequence([])), new Optional(new Sequence([])), ONNX_NODE_TOLERANCE)).toBeNull();
    expect(compareValues(undefined, f32([1]), ONNX_NODE_TOLERANCE)).toBe('no value was produced');
  });
});
