import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, rounded, runKernel } from './kernel-harness.js';
import { signalKernels } from './signal.js';

// Spectra worked by hand from X[k] = Σ x[j]·e^(-2πi·jk/n); windows from the formulas in the ONNX operator docs.
const run = (op: string, inputs: (Tensor | undefined)[], attrs = {}, opset = 20) => runKernel(signalKernels, op, inputs, attrs, opset)[0]!;
const scalar = (v: number) => new Tensor('int64', [], BigInt64Array.of(BigInt(v)));
const signal = f32([1, 4, 1], [1, 2, 3, 4]);

describe('DFT', () => {
  it('transforms a real signal into (re, im) pairs: [1,2,3,4] → 10, -2+2i, -2, -2-2i', () => {
    const y = run('DFT', [signal, undefined, scalar(1)]);
    expect(y.shape).toEqual([1, 4, 2]);
    expect(rounded(y)).toEqual([10, 0, -2, 2, -2, 0, -2, -2]);
  });

  it('keeps bins 0..n/2 when onesided, and reads the axis attribute at opset 17', () => {
    const y = run('DFT', [signal], { onesided: 1, axis: 1 }, 17);
    expect(rounded(y)).toEqual([10, 0, -2, 2, -2, 0]);
  });

  it('inverts a half spectrum back to the real signal (irfft)', () => {
    const half = f32([1, 3, 2], [10, 0, -2, 2, -2, 0]);
    const y = run('DFT', [half, undefined, scalar(1)], { onesided: 1, inverse: 1 });
    expect(y.shape).toEqual([1, 4, 1]);
    expect(rounded(y)).toEqual([1, 2, 3, 4]);
  });

  it('zero-pads to dft_length', () => {
    expect(rounded(run('DFT', [f32([1, 1, 1], [1]), scalar(2), scalar(1)]))).toEqual([1, 0, 1, 0]);
  });
});

describe('STFT', () => {
  it('transforms frames of frame_length every frame_step', () => {
    const y = run('STFT', [signal, scalar(2), undefined, scalar(2)], {}, 17);
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(rounded(y)).toEqual([3, 0, -1, 0, 7, 0, -1, 0]);
  });
});

describe('windows', () => {
  it('HannWindow is 0.5 - 0.5·cos(2πn/N), N = size periodic or size - 1 symmetric', () => {
    expect(rounded(run('HannWindow', [scalar(4)], {}, 17))).toEqual([0, 0.5, 1, 0.5]);
    expect(rounded(run('HannWindow', [scalar(4)], { periodic: 0 }, 17))).toEqual([0, 0.75, 0.75, 0]);
  });

  it('HammingWindow uses α = 25/46, BlackmanWindow 0.42/0.5/0.08', () => {
    expect(rounded(run('HammingWindow', [scalar(4)], {}, 17))).toEqual([0.08696, 0.54348, 1, 0.54348]);
    expect(rounded(run('BlackmanWindow', [scalar(4)], {}, 17))).toEqual([0, 0.34, 1, 0.34]);
  });

  it('honours output_datatype (11 = double)', () => {
    expect(run('HannWindow', [scalar(2)], { output_datatype: 11 }, 17).dtype).toBe('float64');
  });
});

describe('MelWeightMatrix', () => {
  it('matches the ONNX backend test test_melweightmatrix (8 bins, dft 16, 8192 Hz, 0-4096 Hz)', () => {
    const i32 = (v: number) => new Tensor('int32', [], Int32Array.of(v));
    const y = run('MelWeightMatrix', [i32(8), i32(16), i32(8192), f32([], [0]), f32([], [4096])], {}, 17);
    expect(y.shape).toEqual([9, 8]);
    expect(rounded(y).slice(0, 48)).toEqual([
      1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
      0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
  });
});
