import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { runKernel } from './kernel-harness.js';
import { mlKernels } from './ml.js';

const str = (v: string[]) => new Tensor('string', [v.length], v);
const i64 = (v: number[]) => new Tensor('int64', [v.length], BigInt64Array.from(v, BigInt));

describe('LabelEncoder (ONNX-ML Operators-ml.md)', () => {
  it('maps strings to int64 with a default for unknown keys (the doc example: Amy -> 5, Sally -> 6, default -1)', () => {
    const y = runKernel(mlKernels, 'LabelEncoder', [str(['Dori', 'Amy', 'Amy', 'Sally', 'Sally'])], {
      keys_strings: { type: 'strings', value: ['Amy', 'Sally'] }, values_int64s: { type: 'ints', value: [5, 6] }, default_int64: -1,
    }, 2)[0]!;
    expect([y.dtype, [...y.numeric]]).toEqual(['int64', [-1n, 5n, 5n, 6n, 6n]]);
  });

  it("maps int64 to strings, '_Unused' by default", () => {
    const y = runKernel(mlKernels, 'LabelEncoder', [i64([2, 7])], {
      keys_int64s: { type: 'ints', value: [1, 2] }, values_strings: { type: 'strings', value: ['one', 'two'] },
    }, 2)[0]!;
    expect(y.data).toEqual(['two', '_Unused']);
  });

  it('compares float keys at float32 precision and finds NaN', () => {
    const y = runKernel(mlKernels, 'LabelEncoder', [new Tensor('float32', [3], Float32Array.from([0.1, NaN, 3]))], {
      keys_floats: { type: 'floats', value: [0.1, NaN] }, values_floats: { type: 'floats', value: [10, 20] }, default_float: -5,
    }, 2)[0]!;
    expect([...y.numeric]).toEqual([10, 20, -5]);
  });

  it('opset 1: classes_strings turns strings into their index, unknown into default_int64', () => {
    const y = runKernel(mlKernels, 'LabelEncoder', [str(['b', 'z', 'a'])], { classes_strings: { type: 'strings', value: ['a', 'b'] }, default_int64: 9 }, 1)[0]!;
    expect([...y.numeric]).toEqual([1n, 9n, 0n]);
  });

  it('rejects keys and values of different lengths, naming the node', () => {
    expect(() => runKernel(mlKernels, 'LabelEncoder', [str(['a'])], { keys_strings: { type: 'strings', value: ['a', 'b'] }, values_int64s: { type: 'ints', value: [1] } }, 2)).toThrow(
      "LabelEncoder 'LabelEncoder_test': 2 keys but 1 values",
    );
  });
});
