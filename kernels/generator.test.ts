import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { generatorKernels } from './generator.js';
import { numbers, runKernel, type LooseAttribute } from './kernel-harness.js';

const run = (op: string, inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute> = {}) => runKernel(generatorKernels, op, inputs, attrs)[0]!;
const i64 = (shape: number[], values: number[]) => new Tensor('int64', shape, BigInt64Array.from(values, BigInt));

describe('Constant', () => {
  it('makes value_int an int64 scalar and value_floats a float32 vector (Constant-13 doc)', () => {
    const a = run('Constant', [], { value_int: 7 });
    expect([a.dtype, a.shape, a.data]).toEqual(['int64', [], BigInt64Array.of(7n)]);
    const b = run('Constant', [], { value_floats: { type: 'floats', value: [1, 2.5] } });
    expect([b.dtype, b.shape, numbers(b)]).toEqual(['float32', [2], [1, 2.5]]);
  });
  it('makes value_strings a string vector', () => {
    expect(run('Constant', [], { value_strings: { type: 'strings', value: ['a', 'b'] } }).data).toEqual(['a', 'b']);
  });
});

describe('ConstantOfShape / Range / EyeLike', () => {
  it('fills the shape with the value tensor\'s element, float32 zeros by default', () => {
    const y = run('ConstantOfShape', [i64([2], [2, 3])], { value: { type: 'tensor', value: new Tensor('int32', [1], Int32Array.of(5)) } });
    expect([y.dtype, y.shape, numbers(y)]).toEqual(['int32', [2, 3], [5, 5, 5, 5, 5, 5]]);
    expect(run('ConstantOfShape', [i64([1], [2])]).dtype).toBe('float32');
  });
  it('counts ceil((limit - start) / delta) steps (Range doc: 10, 4, -3 gives [10, 7])', () => {
    const scalar = (v: number) => new Tensor('int32', [], Int32Array.of(v));
    expect(numbers(run('Range', [scalar(10), scalar(4), scalar(-3)]))).toEqual([10, 7]);
  });
  it('puts ones on diagonal k in the dtype asked for (EyeLike, k=1, dtype 7 = int64)', () => {
    const y = run('EyeLike', [new Tensor('float32', [2, 3], new Float32Array(6))], { k: 1, dtype: 7 });
    expect(y.dtype).toBe('int64');
    expect(Array.from(y.data as BigInt64Array, Number)).toEqual([0, 1, 0, 0, 0, 1]);
  });
});
