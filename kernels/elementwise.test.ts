import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { elementwiseKernels, erf, mt19937Uniform } from './elementwise.js';
import { f32, numbers, rounded, runKernel, type LooseAttribute } from './kernel-harness.js';

const run = (op: string, inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute> = {}, opset = 21) =>
  runKernel(elementwiseKernels, op, inputs, attrs, opset);
const i32 = (shape: number[], v: number[]) => new Tensor('int32', shape, Int32Array.from(v));
const i64 = (v: bigint[]) => new Tensor('int64', [v.length], BigInt64Array.from(v));
const u8 = (v: number[]) => new Tensor('uint8', [v.length], Uint8Array.from(v));

describe('unary ops', () => {
  it('rounds half to even (ONNX Round doc example)', () => {
    const x = f32([15], [0.1, 0.5, 0.9, 1.2, 1.5, 1.8, 2.3, 2.5, 2.7, -1.1, -1.5, -1.9, -2.2, -2.5, -2.8]);
    expect(numbers(run('Round', [x])[0]!).map((v) => v + 0)).toEqual([0, 0, 1, 1, 2, 2, 2, 2, 3, -1, -2, -2, -2, -2, -3]);
  });

  it('computes erf to double precision (erf(1) = 0.8427007929497149, erf(-0.5) = -0.5204998778130465, A&S table 7.1)', () => {
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 15);
    expect(erf(-0.5)).toBeCloseTo(-0.5204998778130465, 15);
    expect(erf(7)).toBe(1);
  });

  it('negates int64 exactly and wraps int8 Abs(-128) to -128 as C does', () => {
    expect([...(run('Neg', [i64([2n ** 62n + 1n])])[0]!.numeric as BigInt64Array)]).toEqual([-(2n ** 62n) - 1n]);
    expect(numbers(run('Abs', [new Tensor('int8', [2], Int8Array.of(-128, -5))])[0]!)).toEqual([-128, 5]);
  });

  it('IsInf honours detect_negative = 0 (IsInf-10 doc)', () => {
    const y = run('IsInf', [f32([3], [-Infinity, 0, Infinity])], { detect_negative: 0 })[0]!;
    expect(y.dtype).toBe('bool');
    expect(numbers(y)).toEqual([0, 0, 1]);
  });

  it('decodes float16, computes, and rounds back (Sqrt of 0x4400 = 4 is 0x4000 = 2)', () => {
    const y = run('Sqrt', [new Tensor('float16', [1], Uint16Array.of(0x4400))])[0]!;
    expect(y.dtype).toBe('float16');
    expect([...(y.numeric as Uint16Array)]).toEqual([0x4000]);
  });
});

describe('binary arithmetic', () => {
  it('truncates integer division toward zero like C (7/2 = 3, -7/2 = -3)', () => {
    expect(numbers(run('Div', [i32([2], [7, -7]), i32([1], [2])])[0]!)).toEqual([3, -3]);
  });

  it('refuses integer division by zero rather than inventing a value', () => {
    expect(() => run('Div', [i32([1], [1]), i32([1], [0])])).toThrow(/division by zero/);
  });

  it('adds int64 exactly past 2^53 (2^53 + 1 + 1 = 9007199254740994)', () => {
    expect([...(run('Add', [i64([2n ** 53n + 1n]), i64([1n])])[0]!.numeric as BigInt64Array)]).toEqual([9007199254740994n]);
  });

  it('wraps int32 products modulo 2^32 (65536 * 65536 = 0)', () => {
    expect(numbers(run('Mul', [i32([1], [65536]), i32([1], [65536])])[0]!)).toEqual([0]);
  });

  it('broadcasts B from axis under opset 6 broadcast=1 (Add-6: [2,3] + [2] at axis 0)', () => {
    const y = run('Add', [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2], [10, 20])], { broadcast: 1, axis: 0 }, 6)[0]!;
    expect(numbers(y)).toEqual([11, 12, 13, 24, 25, 26]);
  });

  it('Mod with fmod = 0 takes the divisor\'s sign (ONNX Mod doc, mixed-sign int example)', () => {
    const y = run('Mod', [i32([6], [-4, 7, 5, 4, -7, 8]), i32([6], [2, -3, 8, -2, 3, 5])])[0]!;
    expect(numbers(y)).toEqual([0, -2, 5, 0, 2, 3]);
  });

  it('Mod with fmod = 1 takes the dividend\'s sign (ONNX Mod doc, mixed-sign float example)', () => {
    const y = run('Mod', [f32([6], [-4.3, 7.2, 5.0, 4.3, -7.2, 8.0]), f32([6], [2.1, -3.4, 8.0, -2.1, 3.4, 5.0])], { fmod: 1 })[0]!;
    expect(rounded(y, 4)).toEqual([-0.1, 0.4, 5, 0.1, -0.4, 3]);
  });

  it('Pow keeps the base type and is exact on int64 (2^62 = 4611686018427387904)', () => {
    expect([...(run('Pow', [i64([2n]), i64([62n])])[0]!.numeric as BigInt64Array)]).toEqual([4611686018427387904n]);
    const y = run('Pow', [f32([3], [1, 2, 3]), i64([4n, 5n, 6n])])[0]!;
    expect(y.dtype).toBe('float32');
    expect(numbers(y)).toEqual([1, 32, 729]);
  });

  it('Pow on int32 computes in float64 and converts like onnxruntime (5^20 overflows to -2147483648, measured)', () => {
    expect(numbers(run('Pow', [i32([2], [5, -3]), i32([2], [20, 3])])[0]!)).toEqual([-2147483648, -27]);
  });

  it('BitShift moves uint8 bits and drops what leaves the byte (BitShift doc: [16,4,1] >> [1,2,3] = [8,1,0])', () => {
    expect(numbers(run('BitShift', [u8([16, 4, 1]), u8([1, 2, 3])], { direction: 'RIGHT' })[0]!)).toEqual([8, 1, 0]);
    expect(numbers(run('BitShift', [u8([16, 4, 200]), u8([1, 2, 1])], { direction: 'LEFT' })[0]!)).toEqual([32, 16, 144]);
  });
});

describe('variadic, selection and clipping', () => {
  const d0 = f32([3], [3, 0, 2]);
  const d1 = f32([3], [1, 3, 4]);
  const d2 = f32([3], [2, 6, 6]);

  it('Sum, Mean, Max and Min of three inputs (ONNX Sum/Mean/Max/Min doc examples)', () => {
    expect(numbers(run('Sum', [d0, d1, d2])[0]!)).toEqual([6, 9, 12]);
    expect(numbers(run('Mean', [d0, d1, d2])[0]!)).toEqual([2, 3, 4]);
    expect(numbers(run('Max', [d0, d1, d2])[0]!)).toEqual([3, 6, 6]);
    expect(numbers(run('Min', [d0, d1, d2])[0]!)).toEqual([1, 0, 2]);
  });

  it('Max propagates NaN as numpy.maximum does', () => {
    expect(numbers(run('Max', [f32([2], [NaN, 1]), f32([2], [1, NaN])])[0]!)).toEqual([NaN, NaN]);
  });

  it('Where picks per element with broadcasting (ONNX Where doc example)', () => {
    const cond = new Tensor('bool', [2, 2], Uint8Array.of(1, 0, 1, 1));
    const y = run('Where', [cond, f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [9, 8, 7, 6])])[0]!;
    expect(numbers(y)).toEqual([1, 8, 3, 4]);
    const s = run('Where', [new Tensor('bool', [2], Uint8Array.of(0, 1)), new Tensor('string', [1], ['x']), new Tensor('string', [2], ['a', 'b'])])[0]!;
    expect(s.data).toEqual(['a', 'x']);
  });

  it('Clip reads bounds from attributes before opset 11 and from inputs after (Clip doc: [-2,0,2] to [-1,1])', () => {
    const x = f32([3], [-2, 0, 2]);
    expect(numbers(run('Clip', [x], { min: -1.0, max: 1.0 }, 6)[0]!)).toEqual([-1, 0, 1]);
    expect(numbers(run('Clip', [x, f32([], [-1]), f32([], [1])])[0]!)).toEqual([-1, 0, 1]);
    expect(numbers(run('Clip', [x, undefined, f32([], [1])])[0]!)).toEqual([-2, 0, 1]);
  });

  it('Clip with min above max gives max everywhere (Clip-13 doc)', () => {
    expect(numbers(run('Clip', [f32([2], [-5, 5]), f32([], [2]), f32([], [1])])[0]!)).toEqual([1, 1]);
  });
});

describe('Dropout', () => {
  it('is the identity with an all-true mask in inference', () => {
    const [y, mask] = run('Dropout', [f32([2], [1, 2])], {}, 13);
    expect(numbers(y!)).toEqual([1, 2]);
    expect(mask!.dtype).toBe('bool');
    expect(numbers(mask!)).toEqual([1, 1]);
  });

  it('draws numpy\'s seed-0 uniforms (0.5488135039273248, 0.7151893663724195 from np.random.seed(0))', () => {
    const r = mt19937Uniform(0);
    expect([r(), r()]).toEqual([0.5488135039273248, 0.7151893663724195]);
  });

  it('keeps and scales where the seeded uniform is at least the ratio (seed 0: 0.549 0.715 0.603 0.545 0.424 0.646)', () => {
    const training = new Tensor('bool', [], Uint8Array.of(1));
    const [y, mask] = run('Dropout', [f32([6], [1, 1, 1, 1, 1, 1]), f32([], [0.5]), training], { seed: 0 }, 13);
    expect(numbers(mask!)).toEqual([1, 1, 1, 1, 0, 1]);
    expect(numbers(y!)).toEqual([2, 2, 2, 2, 0, 2]);
  });
});
