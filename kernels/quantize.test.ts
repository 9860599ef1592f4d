import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, rounded, runKernel } from './kernel-harness.js';
import { quantizeKernels } from './quantize.js';

const u8 = (shape: number[], v: number[]) => new Tensor('uint8', shape, Uint8Array.from(v));
const i8 = (shape: number[], v: number[]) => new Tensor('int8', shape, Int8Array.from(v));
const ints = (t: Tensor) => Array.from(t.data as ArrayLike<number>);
const ms = (op: string, inputs: (Tensor | undefined)[], attrs = {}) => runKernel(quantizeKernels.filter((k) => k.domain === 'com.microsoft'), op, inputs, attrs, 1);

describe('QuantizeLinear', () => {
  it('rounds x/scale half to even, adds the zero point and saturates to uint8', () => {
    // x/2 = [0, 1, 1.5, 2.5, -150, 150] -> [0, 1, 2, 2, -150, 150] + 128, clamped to [0, 255]
    const [y] = runKernel(quantizeKernels, 'QuantizeLinear', [f32([6], [0, 2, 3, 5, -300, 300]), f32([], [2]), u8([], [128])]);
    expect(ints(y!)).toEqual([128, 129, 130, 130, 0, 255]);
  });
  it('applies one scale and zero point per index of axis 1', () => {
    const [y] = runKernel(quantizeKernels, 'QuantizeLinear', [f32([2, 2], [1, 2, 3, 4]), f32([2], [1, 2]), i8([2], [0, 1])], { axis: 1 });
    expect(y!.dtype).toBe('int8');
    expect(ints(y!)).toEqual([1, 2, 3, 3]);
  });
  it('encodes float8e4m3fn with saturation (448 is its max; 1.0 is 0x38)', () => {
    const scale = f32([], [1]);
    const zp = new Tensor('float8e4m3fn', [], Uint8Array.of(0));
    const [y] = runKernel(quantizeKernels, 'QuantizeLinear', [f32([3], [1, 448, 1000]), scale, zp]);
    expect(ints(y!)).toEqual([0x38, 0x7e, 0x7e]);
  });
});

describe('DequantizeLinear', () => {
  it('computes (x - zero_point) * scale per block along the axis (opset 21 block_size)', () => {
    const [y] = runKernel(quantizeKernels, 'DequantizeLinear', [i8([1, 4], [1, 2, 3, 4]), f32([1, 2], [1, 2]), i8([1, 2], [0, 1])], { axis: 1, block_size: 2 });
    expect(rounded(y!)).toEqual([1, 2, 4, 6]);
  });
  it('reads int32 without a zero point', () => {
    const [y] = runKernel(quantizeKernels, 'DequantizeLinear', [new Tensor('int32', [2], Int32Array.of(-4, 6)), f32([], [0.5])]);
    expect(rounded(y!)).toEqual([-2, 3]);
  });
});

describe('DynamicQuantizeLinear', () => {
  it('matches the ONNX operator example: scale 5/255, zero point 153', () => {
    const [y, scale, zp] = runKernel(quantizeKernels, 'DynamicQuantizeLinear', [f32([6], [0, 2, -3, -2.5, 1.34, 0.5])], {}, 11);
    expect(ints(y!)).toEqual([153, 255, 0, 26, 221, 179]);
    expect(rounded(scale!, 7)).toEqual([0.0196078]);
    expect(ints(zp!)).toEqual([153]);
  });
});

describe('MatMulInteger', () => {
  it('multiplies operands less their zero points into int32 (ONNX test_matmulinteger values)', () => {
    const a = u8([4, 3], [11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0]);
    const b = u8([3, 2], [1, 4, 2, 5, 3, 6]);
    const [y] = runKernel(quantizeKernels, 'MatMulInteger', [a, b, u8([], [12]), u8([], [0])]);
    expect(y!.dtype).toBe('int32');
    expect(ints(y!)).toEqual([-38, -83, -44, -98, -50, -113, -56, -128]);
  });
});

describe('com.microsoft QLinear ops', () => {
  it('QLinearAdd dequantizes, adds and requantizes: [5,10] + [2,4] at scale 0.25, zero point 10', () => {
    const [y] = ms('QLinearAdd', [u8([2], [10, 20]), f32([], [0.5]), u8([], [0]), u8([2], [4, 6]), f32([], [1]), u8([], [2]), f32([], [0.25]), u8([], [10])]);
    expect(ints(y!)).toEqual([38, 66]);
  });
  it('GatherBlockQuantized gathers rows (negative index from the end) dequantized per block of quantize_axis', () => {
    const data = new Tensor('int4', [2, 4], Int8Array.of(7, 7, 7, 7, 1, -2, 3, 4));
    const [y] = ms('GatherBlockQuantized', [data, new Tensor('int32', [1], Int32Array.of(-1)), f32([2, 2], [1, 1, 0.5, 2])], { block_size: 2, quantize_axis: 1, gather_axis: 0 });
    expect(y!.shape).toEqual([1, 4]);
    expect(rounded(y!)).toEqual([0.5, -1, 6, 8]);
  });
  it('QLinearConcat joins operands of different scales on the output scale', () => {
    const [y] = ms('QLinearConcat', [f32([], [1]), u8([], [0]), u8([1, 1], [4]), f32([], [0.5]), u8([], [0]), u8([1, 2], [3, 5]), f32([], [2]), u8([], [1])], { axis: 1 });
    expect(y!.shape).toEqual([1, 3]);
    expect(ints(y!)).toEqual([2, 4, 8]);
  });
});
