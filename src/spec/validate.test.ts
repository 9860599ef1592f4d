import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../tensor/tensor.js';
import { validateAgainstSpec } from './validate.js';
import type { TensorSpec } from './types.js';

/**
 * Neuropod's validation unit cases (source/neuropod/tests/test_tensor_validation.cc), with the messages of
 * NEUROPOD-FORMAT.md section 5. TEST_SPEC there: x (None, 2) float, y (None, 2) float.
 */
const TEST_SPEC: TensorSpec[] = [
  { name: 'x', dtype: 'float32', shape: [null, 2] },
  { name: 'y', dtype: 'float32', shape: [null, 2] },
];
const SYMBOL_SPEC: TensorSpec[] = [
  { name: 'x', dtype: 'float32', shape: ['some_symbol', 2] },
  { name: 'y', dtype: 'float32', shape: [null, 'some_symbol'] },
];

const f32 = (...shape: number[]): Tensor => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
const i32 = (...shape: number[]): Tensor => tensor(new Int32Array(shape.reduce((a, b) => a * b, 1)), shape);
const map = (entries: Record<string, Tensor>) => new Map(Object.entries(entries));
const fails = (tensors: Record<string, Tensor>, spec: TensorSpec[], code: string, message: string, kind: 'input' | 'output' = 'input') =>
  expect(() => validateAgainstSpec(map(tensors), spec, kind)).toThrowError(expect.objectContaining({ code, message: `Neuropod Error: ${message}` }));

describe('validateAgainstSpec (Neuropod test_spec_validation)', () => {
  it('passes correct inputs (test_correct_inputs)', () => {
    expect(() => validateAgainstSpec(map({ x: f32(2, 2), y: f32(2, 2) }), TEST_SPEC, 'input')).not.toThrow();
  });

  it('skips missing tensors: all are optional', () => {
    expect(() => validateAgainstSpec(map({ x: f32(2, 2) }), TEST_SPEC, 'input')).not.toThrow();
    expect(() => validateAgainstSpec(new Map(), TEST_SPEC, 'input')).not.toThrow();
  });

  it('rejects a tensor not in the spec (test_bogus_tensor_name)', () => {
    fails({ x: f32(2, 2), bogus: f32(2, 2) }, TEST_SPEC, 'SPEC_UNKNOWN_NAME', "Tensor name(s) '[bogus]' are not found in the input spec");
  });

  it('lists every name not in the spec', () => {
    fails({ a: f32(1), x: f32(2, 2), b: f32(1) }, TEST_SPEC, 'SPEC_UNKNOWN_NAME', "Tensor name(s) '[a, b]' are not found in the output spec", 'output');
  });

  it('rejects int32 for a float spec (test_incorrect_dtype)', () => {
    fails({ x: i32(2, 2), y: i32(2, 2) }, TEST_SPEC, 'SPEC_DTYPE', "Tensor 'x' in the input spec is expected to be of type FLOAT_TENSOR, but was of type INT32_TENSOR");
  });

  it('rejects a wrong rank (test_invalid_num_dims)', () => {
    fails({ x: f32(2, 2), y: f32(2) }, TEST_SPEC, 'SPEC_RANK', "Tensor 'y' in the input spec is expected to have 2 dimensions, but had 1");
  });

  it('rejects a wrong fixed dim (test_invalid_shape)', () => {
    fails({ x: f32(2, 2), y: f32(2, 1) }, TEST_SPEC, 'SPEC_DIM', "Dim 1 of tensor 'y' in the input spec is expected to be of size 2, but was of size 1");
  });

  it('passes consistent symbols (test_correct_symbol)', () => {
    expect(() => validateAgainstSpec(map({ x: f32(3, 2), y: f32(2, 3) }), SYMBOL_SPEC, 'input')).not.toThrow();
  });

  it('rejects inconsistent symbols (test_incorrect_symbol)', () => {
    fails({ x: f32(1, 2), y: f32(2, 3) }, SYMBOL_SPEC, 'SPEC_SYMBOL', "All dims with symbol 'some_symbol' should be the same size. Dim 1 of tensor 'y' in the input spec was expected to be of size 1, but was of size 3");
  });

  it('rejects a spec dim of 0 (test_invalid_shape_entry)', () => {
    const spec: TensorSpec[] = [{ name: 'x', dtype: 'float32', shape: [0, 2] }, TEST_SPEC[1]!];
    fails({ x: f32(2, 2), y: f32(2, 2) }, spec, 'CONFIG_INVALID', "Dim 0 of tensor 'x' in the input spec has the invalid expected size 0; a spec dim is null, a positive integer or a symbol");
  });

  it('passes a string tensor against a string spec (test_string_tensors)', () => {
    const x = tensor(['a', 'b', 'c'], [1, 3], 'string');
    expect(() => validateAgainstSpec(map({ x }), [{ name: 'x', dtype: 'string', shape: [1, 3] }], 'input')).not.toThrow();
  });

  it('checks tensors in spec order, not the order they were given', () => {
    fails({ y: i32(2), x: f32(2) }, TEST_SPEC, 'SPEC_RANK', "Tensor 'x' in the input spec is expected to have 2 dimensions, but had 1");
  });

  it('keeps symbols apart between separate calls (inputs and outputs are not cross-checked)', () => {
    validateAgainstSpec(map({ x: f32(3, 2) }), SYMBOL_SPEC, 'input');
    expect(() => validateAgainstSpec(map({ y: f32(2, 5) }), SYMBOL_SPEC, 'output')).not.toThrow();
  });

  it('names dtypes outside the eleven in the same pattern', () => {
    fails({ x: tensor([true, false, true, true], [2, 2], 'bool') }, TEST_SPEC, 'SPEC_DTYPE', "Tensor 'x' in the input spec is expected to be of type FLOAT_TENSOR, but was of type BOOL_TENSOR");
  });
});
