import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, runKernel } from './kernel-harness.js';
import { tensorKernels } from './tensor.js';

const run = (op: string, inputs: (Tensor | undefined)[], attrs = {}, opset = 21) => runKernel(tensorKernels, op, inputs, attrs, opset);
const i64 = (shape: number[], values: number[]) => new Tensor('int64', shape, BigInt64Array.from(values, BigInt));
const iota = (shape: number[]) => f32(shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i));

describe('Reshape', () => {
  it('copies a 0 dim and infers -1 (Reshape doc: [2,3,4] to [0,-1] gives [2,12])', () => {
    expect(run('Reshape', [iota([2, 3, 4]), i64([2], [0, -1])])[0]!.shape).toEqual([2, 12]);
  });
  it('keeps a literal 0 dim with allowzero=1 (Reshape-14 doc: [0,3,4] to [3,4,0] gives [3,4,0])', () => {
    expect(run('Reshape', [iota([0, 3, 4]), i64([3], [3, 4, 0])], { allowzero: 1 })[0]!.shape).toEqual([3, 4, 0]);
  });
});

describe('Transpose', () => {
  it('reverses the axes by default ([[0,1,2],[3,4,5]] becomes [[0,3],[1,4],[2,5]])', () => {
    const y = run('Transpose', [iota([2, 3])])[0]!;
    expect(y.shape).toEqual([3, 2]);
    expect(numbers(y)).toEqual([0, 3, 1, 4, 2, 5]);
  });
  it('moves strings like any dtype', () => {
    const y = run('Transpose', [new Tensor('string', [2, 2], ['a', 'b', 'c', 'd'])])[0]!;
    expect(y.data).toEqual(['a', 'c', 'b', 'd']);
  });
});

describe('Squeeze / Unsqueeze', () => {
  it('takes axes from the attribute before opset 13 and from input 1 after', () => {
    expect(run('Squeeze', [iota([1, 3, 1])], { axes: [0] }, 11)[0]!.shape).toEqual([3, 1]);
    expect(run('Squeeze', [iota([1, 3, 1]), i64([1], [-1])])[0]!.shape).toEqual([1, 3]);
  });
  it('places unsorted negative axes in the output rank (Unsqueeze doc: [3,4,5] with axes [5,4,2] is [3,4,1,5,1,1])', () => {
    expect(run('Unsqueeze', [iota([3, 4, 5]), i64([3], [5, 4, 2])])[0]!.shape).toEqual([3, 4, 1, 5, 1, 1]);
  });
});

describe('Split', () => {
  it('makes the last part smaller with num_outputs (Split-18 doc: 7 into 3 is 3,3,1)', () => {
    const parts = run('Split', [iota([7])], { num_outputs: 3 }, 18);
    expect(parts.map((p) => numbers(p))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });
  it('reads split sizes from input 1 at opset 13', () => {
    const parts = run('Split', [iota([6]), i64([2], [2, 4])]);
    expect(parts.map((p) => p.shape)).toEqual([[2], [4]]);
  });
});

describe('Slice', () => {
  it('clamps INT64_MAX ends and walks negative steps (Slice doc: [[1,2,3,4],[5,6,7,8]], starts [1,-1], steps [1,-2] gives [[8,6]])', () => {
    const x = f32([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const big = new Tensor('int64', [2], BigInt64Array.of(1000n, -9223372036854775807n));
    const y = run('Slice', [x, i64([2], [1, -1]), big, i64([2], [0, 1]), i64([2], [1, -2])])[0]!;
    expect(y.shape).toEqual([1, 2]);
    expect(numbers(y)).toEqual([8, 6]);
  });
  it('reads starts/ends/axes attributes at opset 1', () => {
    const y = run('Slice', [iota([2, 4])], { starts: [0, 1], ends: [1, 3], axes: [0, 1] }, 1)[0]!;
    expect(numbers(y)).toEqual([1, 2]);
  });
});

describe('Pad', () => {
  const x = f32([3, 2], [1, 1.2, 2.3, 3.4, 4.5, 5.7]);
  it('reflects (Pad doc example 2: [[1,1.2],[2.3,3.4],[4.5,5.7]] padded [0,2,0,0] is [[1,1.2,1,1.2],...])', () => {
    const y = run('Pad', [x, i64([4], [0, 2, 0, 0])], { mode: 'reflect' })[0]!;
    expect(numbers(y).map((v) => Math.round(v * 10) / 10)).toEqual([1, 1.2, 1, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7]);
  });
  it('repeats the edge (Pad doc example 3)', () => {
    const y = run('Pad', [x, i64([4], [0, 2, 0, 0])], { mode: 'edge' })[0]!;
    expect(numbers(y).map((v) => Math.round(v * 10) / 10)).toEqual([1, 1, 1, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7]);
  });
  it('wraps around (Pad-19 doc: pads [2,1,1,1] on the same input)', () => {
    const y = run('Pad', [x, i64([4], [2, 1, 1, 1])], { mode: 'wrap' })[0]!;
    expect(y.shape).toEqual([6, 4]);
    expect(numbers(y).slice(0, 4).map((v) => Math.round(v * 10) / 10)).toEqual([3.4, 2.3, 3.4, 2.3]);
  });
  it('crops with negative pads and fills the rest with constant_value on the axes given', () => {
    const y = run('Pad', [iota([2, 3]), i64([2], [-1, 1]), f32([], [9]), i64([1], [1])])[0]!;
    expect(numbers(y)).toEqual([1, 2, 9, 4, 5, 9]);
  });
  it('refuses negative pads that crop more than the axis holds, naming the axis', () => {
    expect(() => run('Pad', [iota([2, 3]), i64([4], [0, -2, 0, -2])])).toThrow(/pads -2 and -2 on axis 1 crop more than its 3 elements/);
  });
});

describe('Expand / Tile', () => {
  it('broadcasts both ways (Expand doc: [3,1] with shape [2,1,6] is [2,3,6])', () => {
    expect(run('Expand', [iota([3, 1]), i64([3], [2, 1, 6])])[0]!.shape).toEqual([2, 3, 6]);
  });
  it('tiles each axis (numpy.tile([[0,1],[2,3]], (1,2)) = [[0,1,0,1],[2,3,2,3]])', () => {
    expect(numbers(run('Tile', [iota([2, 2]), i64([2], [1, 2])])[0]!)).toEqual([0, 1, 0, 1, 2, 3, 2, 3]);
  });
});

describe('Shape / Size', () => {
  it('clamps start and end (Shape-15 doc: [2,3,4] with start -1 gives [4])', () => {
    expect(run('Shape', [iota([2, 3, 4])], { start: -1 })[0]!.data).toEqual(BigInt64Array.of(4n));
  });
  it('counts elements as an int64 scalar', () => {
    expect(run('Size', [iota([2, 3])])[0]!.data).toEqual(BigInt64Array.of(6n));
  });
});

describe('DepthToSpace / SpaceToDepth', () => {
  it('reads depth as (C, blocksize, blocksize) in CRD mode (by hand: output row 0 alternates channels 0 and 1, [0,6,1,7,2,8])', () => {
    const y = run('DepthToSpace', [iota([1, 8, 2, 3])], { blocksize: 2, mode: 'CRD' })[0]!;
    expect(y.shape).toEqual([1, 2, 4, 6]);
    expect(numbers(y).slice(0, 6)).toEqual([0, 6, 1, 7, 2, 8]);
  });
  it('inverts DepthToSpace in DCR mode', () => {
    const x = iota([1, 8, 2, 3]);
    const back = run('SpaceToDepth', [run('DepthToSpace', [x], { blocksize: 2 })[0]!], { blocksize: 2 })[0]!;
    expect(numbers(back)).toEqual(numbers(x));
  });
});

describe('Trilu / ReverseSequence / CenterCropPad / Compress', () => {
  it('keeps the upper triangle above diagonal k=1', () => {
    expect(numbers(run('Trilu', [f32([3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]), i64([], [1])])[0]!)).toEqual([0, 2, 3, 0, 0, 6, 0, 0, 0]);
  });
  it('reverses each batch up to its length (ReverseSequence doc, time_axis 0: lens [4,3,2,1])', () => {
    const y = run('ReverseSequence', [iota([4, 4]), i64([4], [4, 3, 2, 1])], { time_axis: 0, batch_axis: 1 })[0]!;
    expect(numbers(y)).toEqual([12, 9, 6, 3, 8, 5, 2, 7, 4, 1, 10, 11, 0, 13, 14, 15]);
  });
  it('crops one axis and pads another about the centre', () => {
    const y = run('CenterCropPad', [iota([3, 2]), i64([2], [1, 4])])[0]!;
    expect(numbers(y)).toEqual([0, 2, 3, 0]);
  });
  it('selects along an axis (Compress doc: condition [0,1,1] on axis 0 of [[1,2],[3,4],[5,6]] gives [[3,4],[5,6]])', () => {
    const y = run('Compress', [f32([3, 2], [1, 2, 3, 4, 5, 6]), new Tensor('bool', [3], Uint8Array.of(0, 1, 1))], { axis: 0 })[0]!;
    expect(numbers(y)).toEqual([3, 4, 5, 6]);
  });
});
