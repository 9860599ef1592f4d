import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor/tensor.js';
import { formatTensor } from './format-tensor.js';

describe('formatTensor', () => {
  it('nests by the shape', () => {
    expect(formatTensor(tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3]))).toBe('[[1,2,3],[4,5,6]]');
  });

  it('prints float32 in the fewest digits that read back the same', () => {
    expect(formatTensor(tensor(new Float32Array([0.1, 1 / 3, 8]), [3]))).toBe('[0.1,0.33333334,8]');
  });

  it('prints a scalar bare and strings quoted', () => {
    expect(formatTensor(tensor(new Float64Array([2.5]), []))).toBe('2.5');
    expect(formatTensor(tensor(['apple sauce', 'a "b"'], [2], 'string'))).toBe('["apple sauce","a \\"b\\""]');
  });

  it('summarises a large tensor by its shape and first values', () => {
    expect(formatTensor(tensor(new Uint8Array(2000), [2, 1000]))).toBe('uint8[2,1000] [0,0,0,0,0,0,0,0,0,0,…]');
  });
});
