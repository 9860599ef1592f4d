/**
 * Every WebGPU kernel against the reference kernels (the oracle) on seeded random inputs, in Node through the
 * `webgpu` package. Each case also checks that the node really ran on WebGPU, so a silent fallback fails.
 */
import { describe, expect, it } from 'vitest';
import { randomTensor, runBoth, webgpuMissing, worstRelative, type OneNode } from '../src/backends/webgpu/webgpu-harness.js';
import { Tensor } from '../src/tensor/tensor.js';
import { coalesceBox } from './tensor-webgpu.js';

const missing = await webgpuMissing();
const i64 = (values: number[]) => new Tensor('int64', [values.length], BigInt64Array.from(values, BigInt));
const r = randomTensor;

/** f32 math on the GPU (erf polynomial, exp) against the reference's doubles: 1e-5 relative, 1e-4 for long sums. */
const CASES: [string, OneNode, number?][] = [
  ['Add broadcasting [2,3,4] + [4]', { op: 'Add', inputs: [r([2, 3, 4], 1), r([4], 2)] }],
  ['Sub broadcasting [3,1,5] - [1,4,1]', { op: 'Sub', inputs: [r([3, 1, 5], 3), r([1, 4, 1], 4)] }],
  ['Mul by a scalar constant', { op: 'Mul', inputs: [r([7, 9], 5), r([], 6)], constants: [1] }],
  ['Div same shapes', { op: 'Div', inputs: [r([33], 7), r([33], 8, 0.5, 2)] }],
  ['Pow of negative bases by 2 (LayerNorm chains)', { op: 'Pow', inputs: [r([40], 9), new Tensor('float32', [], Float32Array.of(2))] }],
  ['Max and broadcasting', { op: 'Max', inputs: [r([2, 5], 10), r([2, 1], 11)] }],
  ['Min of three broadcast inputs', { op: 'Min', inputs: [r([2, 5], 78), r([2, 1], 79), r([5], 80)] }],
  ['Sum of four', { op: 'Sum', inputs: [r([3, 4], 81), r([3, 4], 82), r([4], 83), r([1], 84)] }],
  ['Mean of three', { op: 'Mean', inputs: [r([6], 85), r([6], 86), r([6], 87)] }],
  ['Sum of one', { op: 'Sum', inputs: [r([6], 88)] }],
  ['PRelu with a per-channel slope', { op: 'PRelu', inputs: [r([1, 3, 4, 4], 12), r([3, 1, 1], 13)] }],
  ['Less broadcasting, to bool', { op: 'Less', inputs: [r([3, 4], 89), r([4], 90)] }],
  ['Equal on values that repeat', { op: 'Equal', inputs: [new Tensor('float32', [4], Float32Array.of(1, 2, 3, 4)), new Tensor('float32', [4], Float32Array.of(1, 0, 3, 0))] }],
  ['Where with a broadcast bool condition', { op: 'Where', inputs: [new Tensor('bool', [1, 4], Uint8Array.of(1, 0, 0, 1)), r([3, 4], 91), r([3, 1], 92)] }],
  ['Relu', { op: 'Relu', inputs: [r([100], 14)] }],
  ['Sigmoid over a wide range', { op: 'Sigmoid', inputs: [r([64], 15, -20, 20)] }],
  ['Tanh over a wide range', { op: 'Tanh', inputs: [r([64], 16, -20, 20)] }],
  ['Erf', { op: 'Erf', inputs: [r([64], 17, -3, 3)] }],
  ['Gelu (erf)', { op: 'Gelu', inputs: [r([64], 18, -4, 4)], opset: 20 }],
  ['Gelu (tanh)', { op: 'Gelu', inputs: [r([64], 19, -4, 4)], attrs: { approximate: 'tanh' }, opset: 20 }],
  ['LeakyRelu alpha 0.2', { op: 'LeakyRelu', inputs: [r([50], 20)], attrs: { alpha: 0.2 } }],
  ['Clip-13 with bound inputs', { op: 'Clip', inputs: [r([50], 21, -3, 3), new Tensor('float32', [], Float32Array.of(-1)), new Tensor('float32', [], Float32Array.of(0.5))], constants: [1, 2] }],
  ['Clip-6 attributes', { op: 'Clip', inputs: [r([50], 22, -8, 8)], attrs: { min: 0, max: 6 }, opset: 6 }],
  ['Sqrt, Exp, Neg', { op: 'Sqrt', inputs: [r([20], 23, 0, 4)] }],
  ['MatMul batched with broadcast batch dims', { op: 'MatMul', inputs: [r([2, 1, 70, 33], 24), r([3, 33, 65], 25)] }, 1e-5],
  ['MatMul [128,1,256] x [256,96] (batches as rows)', { op: 'MatMul', inputs: [r([128, 1, 256], 26), r([256, 96], 27)] }, 1e-5],
  ['MatMul [2,3,72,36] x [36,68] (vec4 loads, ragged tiles)', { op: 'MatMul', inputs: [r([2, 3, 72, 36], 99), r([36, 68], 100)] }, 1e-5],
  ['MatMul batched [2,68,36] x [2,36,132] (vec4 loads per batch)', { op: 'MatMul', inputs: [r([2, 68, 36], 101), r([2, 36, 132], 102)] }, 1e-5],
  ['MatMul vector x matrix (GEMV)', { op: 'MatMul', inputs: [r([17], 28), r([17, 5], 29)] }],
  ['MatMul batched [3,1,40] x [3,40,70] (GEMV per batch)', { op: 'MatMul', inputs: [r([3, 1, 40], 73), r([3, 40, 70], 74)] }, 1e-5],
  ['Gemm M = 1 with transB and bias (classifier head, GEMV)', { op: 'Gemm', inputs: [r([1, 50], 75), r([30, 50], 76), r([30], 77)], attrs: { transB: 1 } }, 1e-5],
  ['Gemm transA transB alpha beta with a row bias', { op: 'Gemm', inputs: [r([19, 6], 30), r([23, 19], 31), r([23], 32)], attrs: { transA: 1, transB: 1, alpha: 0.5, beta: 2 } }],
  ['Gemm with an [M,1] bias', { op: 'Gemm', inputs: [r([6, 19], 33), r([19, 23], 34), r([6, 1], 35)] }],
  ['Conv 3x3 stride 2 pads 1 with bias (implicit GEMM)', { op: 'Conv', inputs: [r([2, 8, 9, 9], 36), r([16, 8, 3, 3], 37), r([16], 38)], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } }, 1e-5],
  ['Conv depthwise 3x3 (direct)', { op: 'Conv', inputs: [r([1, 8, 9, 9], 39), r([8, 1, 3, 3], 40)], attrs: { pads: [1, 1, 1, 1], group: 8 } }],
  ['Conv grouped, dilated, SAME_UPPER', { op: 'Conv', inputs: [r([1, 8, 10, 7], 41), r([12, 4, 3, 2], 42)], attrs: { group: 2, dilations: [2, 1], auto_pad: 'SAME_UPPER' } }, 1e-5],
  ['Conv 1-D', { op: 'Conv', inputs: [r([2, 16, 20], 43), r([4, 16, 5], 44), r([4], 45)], attrs: { pads: [2, 2] } }, 1e-5],
  ['Conv 1x1 pointwise', { op: 'Conv', inputs: [r([1, 40, 6, 6], 46), r([24, 40, 1, 1], 47)] }, 1e-5],
  ['MaxPool 3x3 s2 ceil_mode (squeezenet)', { op: 'MaxPool', inputs: [r([1, 3, 10, 10], 48)], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } }],
  ['MaxPool with pads and dilations', { op: 'MaxPool', inputs: [r([1, 2, 9, 9], 49)], attrs: { kernel_shape: [2, 2], pads: [1, 1, 1, 1], dilations: [2, 2] } }],
  ['AveragePool count_include_pad ceil_mode', { op: 'AveragePool', inputs: [r([1, 2, 7, 7], 50)], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1, ceil_mode: 1 } }],
  ['AveragePool excluding pads', { op: 'AveragePool', inputs: [r([1, 2, 7, 7], 51)], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }],
  ['GlobalAveragePool over 13x13', { op: 'GlobalAveragePool', inputs: [r([2, 5, 13, 13], 52)] }],
  ['GlobalMaxPool', { op: 'GlobalMaxPool', inputs: [r([2, 5, 6, 6], 53)] }],
  ['Softmax-13 on a middle axis', { op: 'Softmax', inputs: [r([3, 70, 4], 54, -5, 5)], attrs: { axis: 1 } }],
  ['Softmax-11 flattening from axis 1', { op: 'Softmax', inputs: [r([3, 4, 5], 55, -5, 5)], opset: 11 }],
  ['LogSoftmax last axis', { op: 'LogSoftmax', inputs: [r([4, 100], 56, -5, 5)] }],
  ['LayerNormalization with bias', { op: 'LayerNormalization', inputs: [r([6, 130], 57), r([130], 58), r([130], 59)], attrs: { epsilon: 1e-5 }, opset: 17 }],
  ['ReduceMean-13 over the last axis, keepdims', { op: 'ReduceMean', inputs: [r([4, 6, 33], 60)], attrs: { axes: [-1] }, opset: 13 }],
  ['ReduceSum-13 axes input, keepdims 0', { op: 'ReduceSum', inputs: [r([4, 6, 5], 61), i64([0, 2])], attrs: { keepdims: 0 }, opset: 13 }],
  ['ReduceMax over everything', { op: 'ReduceMax', inputs: [r([4, 6, 5], 62)], opset: 13 }],
  ['ReduceLogSumExp', { op: 'ReduceLogSumExp', inputs: [r([3, 9], 63, -5, 5)], attrs: { axes: [1] }, opset: 13 }],
  ['Transpose perm [2,0,3,1]', { op: 'Transpose', inputs: [r([2, 3, 4, 5], 64)], attrs: { perm: [2, 0, 3, 1] } }],
  ['Concat on axis 1 of three', { op: 'Concat', inputs: [r([2, 3, 4], 65), r([2, 1, 4], 66), r([2, 5, 4], 67)], attrs: { axis: 1 } }],
  ['Slice with a negative step', { op: 'Slice', inputs: [r([6, 8], 68), i64([5, 1]), i64([0, 7]), i64([0, 1]), i64([-2, 3])] }],
  ['Slice-13 clamped ends on the last axis', { op: 'Slice', inputs: [r([3, 10], 69), i64([2]), i64([1000]), i64([-1])] }],
  ['Gather rows with negative indices', { op: 'Gather', inputs: [r([10, 6], 70), new Tensor('int64', [2, 2], BigInt64Array.of(0n, -1n, 3n, 3n))], constants: [0] }],
  ['Gather on axis 1', { op: 'Gather', inputs: [r([3, 10, 2], 71), i64([9, 0, 4])], attrs: { axis: 1 } }],
  ['BatchNormalization (inference) with constants', { op: 'BatchNormalization', inputs: [r([2, 3, 4, 5], 93), r([3], 94, 0.5, 2), r([3], 95), r([3], 96), r([3], 97, 0.1, 1)], constants: [1, 2, 3, 4], attrs: { epsilon: 1e-3 }, opset: 15 }],
  ['Cast float32 to bool', { op: 'Cast', inputs: [new Tensor('float32', [5], Float32Array.of(0, 1, -2, 0.5, 0))], attrs: { to: 9 } }],
  ['Cast float32 to float32', { op: 'Cast', inputs: [r([5], 98)], attrs: { to: 1 } }],
  ['Cast float32 to int32: truncation, NaN and out of range to -2^31', { op: 'Cast', inputs: [new Tensor('float32', [9], Float32Array.of(2.7, -2.7, 0.5, -0.5, NaN, 3e9, -3e9, -2147483648, 2147483520))], attrs: { to: 6 } }],
  ['Pad constant with a value, and a crop', { op: 'Pad', inputs: [r([2, 3, 4], 103), i64([0, 1, -1, 1, 2, 2]), new Tensor('float32', [], Float32Array.of(7))] }],
  ['Pad reflect', { op: 'Pad', inputs: [r([1, 2, 4, 5], 104), i64([0, 0, 2, 3, 0, 0, 3, 2])], attrs: { mode: 'reflect' } }],
  ['Pad edge on a chosen axis (opset 18)', { op: 'Pad', inputs: [r([3, 4], 105), i64([2, 1]), undefined, i64([-1])], attrs: { mode: 'edge' }, opset: 18 }],
  ['Pad wrap (opset 19)', { op: 'Pad', inputs: [r([3, 4], 106), i64([1, 5, 2, 6])], attrs: { mode: 'wrap' }, opset: 19 }],
  ['Expand [3,1] to [2,3,4]', { op: 'Expand', inputs: [r([3, 1], 72), i64([2, 3, 4])] }],
];

describe.skipIf(missing !== undefined)('WebGPU kernels match the reference kernels', () => {
  it.each(CASES)('%s', async (_, c, tolerance = 1e-5) => {
    const { gpu, cpu, ranOn } = await runBoth(c);
    expect(ranOn).toEqual(['webgpu']);
    expect(gpu.shape).toEqual(cpu.shape);
    expect(worstRelative(gpu, cpu)).toBeLessThanOrEqual(tolerance);
  });
});

describe('strided-copy boxes', () => {
  it('merge dims both sides walk as one run, and keep the ones they do not', () => {
    // Concat part [1, 64, 55, 55] into [1, 128, 55, 55] at channel 0: one run of 64*55*55 elements.
    expect(coalesceBox([1, 64, 55, 55], [193600, 3025, 55, 1], [387200, 3025, 55, 1])).toEqual({ shape: [193600], a: [1], b: [1] });
    // Transpose [2, 3] -> [3, 2]: nothing merges.
    expect(coalesceBox([3, 2], [1, 3], [2, 1])).toEqual({ shape: [3, 2], a: [1, 3], b: [2, 1] });
    // A reversed slice keeps its negative stride.
    expect(coalesceBox([4, 8], [-8, 1], [8, 1])).toEqual({ shape: [4, 8], a: [-8, 1], b: [8, 1] });
  });
});
