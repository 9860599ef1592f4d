import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, rounded, runKernel, type LooseAttribute } from './kernel-harness.js';
import { reduceKernels } from './reduce.js';

const run = (op: string, inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute> = {}, opset = 21) =>
  runKernel(reduceKernels, op, inputs, attrs, opset)[0]!;
const axes = (...v: number[]) => new Tensor('int64', [v.length], BigInt64Array.from(v.map(BigInt)));
// ReduceSum doc example data, shape [3, 2, 2].
const data = f32([3, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

describe('reductions', () => {
  it('ReduceSum over axis 1 keeping dims (ReduceSum doc: [[[4,6]],[[12,14]],[[20,22]]])', () => {
    const y = run('ReduceSum', [data, axes(1)]);
    expect(y.shape).toEqual([3, 1, 2]);
    expect(numbers(y)).toEqual([4, 6, 12, 14, 20, 22]);
  });

  it('reads axes from the attribute before opset 18 and from the input from 18 (ReduceMean, keepdims 0)', () => {
    const old = run('ReduceMean', [data], { axes: [1], keepdims: 0 }, 13);
    const now = run('ReduceMean', [data, axes(1)], { keepdims: 0 }, 18);
    expect(old.shape).toEqual([3, 2]);
    expect(numbers(old)).toEqual([2, 3, 6, 7, 10, 11]);
    expect(numbers(now)).toEqual(numbers(old));
  });

  it('reduces everything without axes, and nothing with noop_with_empty_axes (ReduceSum-13)', () => {
    expect(numbers(run('ReduceSum', [data]))).toEqual([78]);
    expect(run('ReduceSum', [data, axes()], { noop_with_empty_axes: 1 })).toBe(data);
  });

  it('gives each reduction\'s identity over an empty set (ReduceSum 0, ReduceProd 1, ReduceMax -inf, ReduceLogSum -inf)', () => {
    const empty = f32([2, 0, 4], []);
    const sum = run('ReduceSum', [empty, axes(1)]);
    expect(sum.shape).toEqual([2, 1, 4]);
    expect(numbers(sum)).toEqual(new Array(8).fill(0));
    expect(numbers(run('ReduceProd', [empty, axes(1)]))).toEqual(new Array(8).fill(1));
    expect(numbers(run('ReduceMax', [empty, axes(1)]))).toEqual(new Array(8).fill(-Infinity));
    expect(numbers(run('ReduceLogSum', [empty, axes(1)]))).toEqual(new Array(8).fill(-Infinity));
  });

  it('ReduceMin over nothing in int32 is the int32 maximum', () => {
    expect(numbers(run('ReduceMin', [new Tensor('int32', [0], new Int32Array(0))], { keepdims: 0 }))).toEqual([2147483647]);
  });

  it('ReduceLogSumExp stays finite for large values (log(e^1000 + e^1000) = 1000 + ln 2)', () => {
    expect(numbers(run('ReduceLogSumExp', [new Tensor('float64', [2], Float64Array.of(1000, 1000))], { keepdims: 0 }))).toEqual([1000 + Math.LN2]);
  });

  it('ReduceSum on int64 is exact past 2^53', () => {
    const y = run('ReduceSum', [new Tensor('int64', [2], BigInt64Array.of(2n ** 53n, 1n))], { keepdims: 0 });
    expect([...(y.numeric as BigInt64Array)]).toEqual([2n ** 53n + 1n]);
  });

  it('ReduceL2 and ReduceSumSquare of [3, 4] are 5 and 25', () => {
    expect(numbers(run('ReduceL2', [f32([2], [3, 4])], { keepdims: 0 }))).toEqual([5]);
    expect(numbers(run('ReduceSumSquare', [f32([2], [3, 4])], { keepdims: 0 }))).toEqual([25]);
  });
});

describe('ArgMax and ArgMin', () => {
  const x = f32([2, 2], [2, 2, 3, 10]);

  it('picks the first extreme, or the last with select_last_index (ArgMax doc example)', () => {
    const first = run('ArgMax', [x], { axis: 1 });
    expect(first.dtype).toBe('int64');
    expect(first.shape).toEqual([2, 1]);
    expect([...(first.numeric as BigInt64Array)]).toEqual([0n, 1n]);
    expect([...(run('ArgMax', [x], { axis: 1, select_last_index: 1 }).numeric as BigInt64Array)]).toEqual([1n, 1n]);
    expect([...(run('ArgMin', [x], { axis: 0, keepdims: 0 }).numeric as BigInt64Array)]).toEqual([0n, 0n]);
  });
});

describe('softmax family', () => {
  const zeros = f32([2, 2], [0, 0, 0, 0]);

  it('coerces to 2-D at axis before opset 13 and runs along the axis from 13', () => {
    expect(numbers(run('Softmax', [zeros], { axis: 0 }, 11))).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(numbers(run('Softmax', [zeros], { axis: 0 }, 13))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('Softmax and LogSoftmax of [1, 2] along the last axis (e/(e+e^2) = 0.2689414)', () => {
    expect(rounded(run('Softmax', [f32([1, 2], [1, 2])]), 6)).toEqual([0.268941, 0.731059]);
    expect(rounded(run('LogSoftmax', [f32([1, 2], [1, 2])]), 6)).toEqual([-1.313262, -0.313262]);
  });

  it('Softmax survives large inputs (Softmax doc: [10000, 10001, 10002] like [0, 1, 2])', () => {
    expect(rounded(run('Softmax', [f32([3], [10000, 10001, 10002])]), 6)).toEqual([0.090031, 0.244728, 0.665241]);
  });

  it('Hardmax marks the first maximum of each row', () => {
    expect(numbers(run('Hardmax', [f32([2, 3], [3, 0, 3, 1, 2, 2])]))).toEqual([1, 0, 0, 0, 1, 0]);
  });
});

describe('CumSum', () => {
  const x = f32([5], [1, 2, 3, 4, 5]);
  const axis = new Tensor('int32', [], Int32Array.of(0));

  it('runs forward, exclusive, reverse and both (CumSum doc examples)', () => {
    expect(numbers(run('CumSum', [x, axis]))).toEqual([1, 3, 6, 10, 15]);
    expect(numbers(run('CumSum', [x, axis], { exclusive: 1 }))).toEqual([0, 1, 3, 6, 10]);
    expect(numbers(run('CumSum', [x, axis], { reverse: 1 }))).toEqual([15, 14, 12, 9, 5]);
    expect(numbers(run('CumSum', [x, axis], { exclusive: 1, reverse: 1 }))).toEqual([14, 12, 9, 5, 0]);
  });

  it('sums along axis 1 of a [2, 3] matrix (CumSum doc: [[1,3,6],[4,9,15]])', () => {
    expect(numbers(run('CumSum', [f32([2, 3], [1, 2, 3, 4, 5, 6]), new Tensor('int64', [], BigInt64Array.of(1n))]))).toEqual([1, 3, 6, 4, 9, 15]);
  });
});
