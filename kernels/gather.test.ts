import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { gatherKernels } from './gather.js';
import { f32, numbers, runKernel } from './kernel-harness.js';

const run = (op: string, inputs: (Tensor | undefined)[], attrs = {}, opset = 21) => runKernel(gatherKernels, op, inputs, attrs, opset);
const i64 = (shape: number[], values: number[]) => new Tensor('int64', shape, BigInt64Array.from(values, BigInt));
const i32 = (shape: number[], values: number[]) => new Tensor('int32', shape, Int32Array.from(values));
const ints = (t: Tensor) => Array.from(t.data as BigInt64Array, Number);

describe('Gather family', () => {
  it('gathers rows with negative indices wrapped (Gather doc example 1, indices [[0,1],[-2,2]])', () => {
    const y = run('Gather', [f32([3, 2], [1, 1.5, 2.3, 3.4, 4.5, 5.7]), i64([2, 2], [0, 1, -2, 2])])[0]!;
    expect(y.shape).toEqual([2, 2, 2]);
    expect(numbers(y).map((v) => Math.round(v * 10) / 10)).toEqual([1, 1.5, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7]);
  });
  it('gathers elements along axis 1 (GatherElements doc example 1: [[1,2],[3,4]], [[0,0],[1,0]] gives [[1,1],[4,3]])', () => {
    expect(numbers(run('GatherElements', [f32([2, 2], [1, 2, 3, 4]), i32([2, 2], [0, 0, 1, 0])], { axis: 1 })[0]!)).toEqual([1, 1, 4, 3]);
  });
  it('gathers index tuples per batch (GatherND doc example 5, batch_dims=1: [[1],[0]] gives [[2,3],[4,5]])', () => {
    const y = run('GatherND', [f32([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]), i64([2, 1], [1, 0])], { batch_dims: 1 })[0]!;
    expect(y.shape).toEqual([2, 2]);
    expect(numbers(y)).toEqual([2, 3, 4, 5]);
  });
  it('gathers strings', () => {
    expect(run('Gather', [new Tensor('string', [3], ['a', 'b', 'c']), i64([2], [2, 0])])[0]!.data).toEqual(['c', 'a']);
  });
});

describe('Scatter family', () => {
  it('lets the last duplicate win without reduction and adds with reduction=add (ScatterElements doc example 3)', () => {
    const data = f32([1, 5], [1, 2, 3, 4, 5]);
    const idx = i64([1, 2], [1, 1]);
    const upd = f32([1, 2], [1.1, 2.1]);
    expect(numbers(run('ScatterElements', [data, idx, upd], { axis: 1 })[0]!).map((v) => Math.round(v * 10) / 10)).toEqual([1, 2.1, 3, 4, 5]);
    expect(numbers(run('ScatterElements', [data, idx, upd], { axis: 1, reduction: 'add' })[0]!).map((v) => Math.round(v * 10) / 10)).toEqual([1, 5.2, 3, 4, 5]);
  });
  it('takes the max of data and updates with reduction=max', () => {
    const y = run('ScatterElements', [f32([3], [5, 1, 5]), i64([2], [0, 1]), f32([2], [3, 4])], { reduction: 'max' })[0]!;
    expect(numbers(y)).toEqual([5, 4, 5]);
  });
  it('writes whole slices (ScatterND doc example 1: indices [[4],[3],[1],[7]] into 1..8 gives [1,11,3,10,9,6,7,12])', () => {
    const y = run('ScatterND', [f32([8], [1, 2, 3, 4, 5, 6, 7, 8]), i64([4, 1], [4, 3, 1, 7]), f32([4], [9, 10, 11, 12])])[0]!;
    expect(numbers(y)).toEqual([1, 11, 3, 10, 9, 6, 7, 12]);
  });
  it('multiplies exactly on int64 with reduction=mul', () => {
    const y = run('ScatterND', [i64([2], [3, 2 ** 40]), i64([2, 1], [1, 1]), i64([2], [2 ** 10, 2])], { reduction: 'mul' })[0]!;
    expect((y.data as BigInt64Array)[1]).toBe(2n ** 51n);
  });
  it('writes a KV-cache update from each batch row\'s start, wrapping in circular mode (TensorScatter-24)', () => {
    const past = f32([1, 4, 1], [0, 0, 0, 0]);
    const y = run('TensorScatter', [past, f32([1, 2, 1], [7, 8]), i64([1], [3])], { mode: 'circular' }, 24)[0]!;
    expect(numbers(y)).toEqual([8, 0, 0, 7]);
  });
});

describe('OneHot / NonZero', () => {
  it('wraps negative indices and leaves out-of-range ones off (OneHot doc: indices [-1, 3] with depth 3)', () => {
    const y = run('OneHot', [i64([2], [-1, 3]), f32([], [3]), f32([2], [0, 1])])[0]!;
    expect(y.shape).toEqual([2, 3]);
    expect(numbers(y)).toEqual([0, 0, 1, 0, 0, 0]);
  });
  it('lists nonzero coordinates per axis (NonZero doc: [[1,0],[1,1]] gives [[0,1,1],[0,0,1]])', () => {
    const y = run('NonZero', [new Tensor('bool', [2, 2], Uint8Array.of(1, 0, 1, 1))])[0]!;
    expect(y.shape).toEqual([2, 3]);
    expect(ints(y)).toEqual([0, 1, 1, 0, 0, 1]);
  });
});

describe('TopK', () => {
  it('keeps the lower index first among equal values (TopK-11: "the element with the lower index appears first")', () => {
    const [values, indices] = run('TopK', [f32([5], [3, 7, 7, 1, 7]), i64([1], [3])]);
    expect(numbers(values!)).toEqual([7, 7, 7]);
    expect(ints(indices!)).toEqual([1, 2, 4]);
  });
  it('takes the smallest with largest=0 along axis 0', () => {
    const [values, indices] = run('TopK', [f32([3, 1], [2, 0, 1]), i64([1], [2])], { largest: 0, axis: 0 });
    expect(numbers(values!)).toEqual([0, 1]);
    expect(ints(indices!)).toEqual([1, 2]);
  });
});

describe('Unique', () => {
  it('returns sorted uniques with first indices, inverse and counts (Unique doc example 2: [2,1,1,3,4,3])', () => {
    const [y, first, inverse, counts] = run('Unique', [f32([6], [2, 1, 1, 3, 4, 3])]);
    expect(numbers(y!)).toEqual([1, 2, 3, 4]);
    expect(ints(first!)).toEqual([1, 0, 3, 4]);
    expect(ints(inverse!)).toEqual([1, 0, 0, 2, 3, 2]);
    expect(ints(counts!)).toEqual([2, 1, 2, 1]);
  });
  it('keeps first-occurrence order with sorted=0 (Unique doc example 1)', () => {
    const [y] = run('Unique', [f32([6], [2, 1, 1, 3, 4, 3])], { sorted: 0 });
    expect(numbers(y!)).toEqual([2, 1, 3, 4]);
  });
  it('finds unique rows along axis 0 (Unique doc example 3: [[1,0,0],[1,0,0],[2,3,4]])', () => {
    const [y, , inverse, counts] = run('Unique', [f32([3, 3], [1, 0, 0, 1, 0, 0, 2, 3, 4])], { axis: 0 });
    expect(numbers(y!)).toEqual([1, 0, 0, 2, 3, 4]);
    expect(ints(inverse!)).toEqual([0, 0, 1]);
    expect(ints(counts!)).toEqual([2, 1]);
  });
});
