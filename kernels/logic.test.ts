import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, runKernel } from './kernel-harness.js';
import { logicKernels } from './logic.js';

const run = (op: string, inputs: Tensor[], attrs = {}, opset = 21) => runKernel(logicKernels, op, inputs, attrs, opset)[0]!;
const bool = (v: number[]) => new Tensor('bool', [v.length], Uint8Array.from(v));
const i64 = (v: bigint[]) => new Tensor('int64', [v.length], BigInt64Array.from(v));

describe('comparisons', () => {
  it('compares strings for Equal (Equal-19 doc: ["string1","string2"] vs ["string1","string3"])', () => {
    const y = run('Equal', [new Tensor('string', [2], ['string1', 'string2']), new Tensor('string', [2], ['string1', 'string3'])]);
    expect(y.dtype).toBe('bool');
    expect(numbers(y)).toEqual([1, 0]);
  });

  it('orders int64 values exactly where float64 would tie (2^60 + 1 > 2^60)', () => {
    expect(numbers(run('Greater', [i64([2n ** 60n + 1n]), i64([2n ** 60n])]))).toEqual([1]);
    expect(numbers(run('LessOrEqual', [i64([2n ** 60n + 1n]), i64([2n ** 60n])]))).toEqual([0]);
  });

  it('treats NaN as unequal and unordered (IEEE 754)', () => {
    const nan = f32([1], [NaN]);
    for (const op of ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual']) expect(numbers(run(op, [nan, nan]))).toEqual([0]);
  });

  it('broadcasts ([2,2] < [2]: [[1,5],[3,2]] < [2,4] is [[1,0],[0,1]] by hand)', () => {
    const y = run('Less', [f32([2, 2], [1, 5, 3, 2]), f32([2], [2, 4])]);
    expect(y.shape).toEqual([2, 2]);
    expect(numbers(y)).toEqual([1, 0, 0, 1]);
  });
});

describe('logical and bitwise ops', () => {
  it('And, Or, Xor and Not follow their truth tables', () => {
    const a = bool([0, 0, 1, 1]);
    const b = bool([0, 1, 0, 1]);
    expect(numbers(run('And', [a, b]))).toEqual([0, 0, 0, 1]);
    expect(numbers(run('Or', [a, b]))).toEqual([0, 1, 1, 1]);
    expect(numbers(run('Xor', [a, b]))).toEqual([0, 1, 1, 0]);
    expect(numbers(run('Not', [a]))).toEqual([1, 1, 0, 0]);
  });

  it('BitwiseNot stays in the dtype (uint8 ~0 = 255, ~5 = 250; int64 ~0 = -1)', () => {
    expect(numbers(run('BitwiseNot', [new Tensor('uint8', [2], Uint8Array.of(0, 5))]))).toEqual([255, 250]);
    expect([...(run('BitwiseNot', [i64([0n])]).numeric as BigInt64Array)]).toEqual([-1n]);
  });

  it('BitwiseAnd/Or/Xor on uint64 keep all 64 bits', () => {
    const a = new Tensor('uint64', [1], BigUint64Array.of(0xffff_0000_ffff_0000n));
    const b = new Tensor('uint64', [1], BigUint64Array.of(0x0f0f_0f0f_0f0f_0f0fn));
    expect([...(run('BitwiseAnd', [a, b]).numeric as BigUint64Array)]).toEqual([0x0f0f_0000_0f0f_0000n]);
    expect([...(run('BitwiseOr', [a, b]).numeric as BigUint64Array)]).toEqual([0xffff_0f0f_ffff_0f0fn]);
    expect([...(run('BitwiseXor', [a, b]).numeric as BigUint64Array)]).toEqual([0xf0f0_0f0f_f0f0_0f0fn]);
  });

  it('BitwiseAnd on int32 keeps the sign bit (-1 & 0x80000000 = -2147483648)', () => {
    const y = run('BitwiseAnd', [new Tensor('int32', [1], Int32Array.of(-1)), new Tensor('int32', [1], Int32Array.of(-2147483648))]);
    expect(numbers(y)).toEqual([-2147483648]);
  });
});
