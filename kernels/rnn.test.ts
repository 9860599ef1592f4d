import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, rounded, runKernel } from './kernel-harness.js';
import { rnnKernels } from './rnn.js';

// Expected values follow the ONNX operator equations evaluated by hand (Python math, 5 decimals) on
// one-unit cells, so each gate's contribution is visible.
const x = f32([2, 1, 1], [1, 2]);
const W = f32([1, 1, 1], [0.5]);
const R = f32([1, 1, 1], [0.25]);

describe('RNN', () => {
  it('runs forward: h1 = tanh(0.5), h2 = tanh(1 + 0.25 h1)', () => {
    const [y, yh] = runKernel(rnnKernels, 'RNN', [x, W, R], { hidden_size: 1 }, 14);
    expect(y!.shape).toEqual([2, 1, 1, 1]);
    expect(rounded(y!)).toEqual([0.46212, 0.80601]);
    expect(rounded(yh!)).toEqual([0.80601]);
  });
  it('runs reverse from the last step; Y stays in time order', () => {
    const [y, yh] = runKernel(rnnKernels, 'RNN', [x, W, R], { hidden_size: 1, direction: 'reverse' }, 14);
    expect(rounded(y!)).toEqual([0.59824, 0.76159]);
    expect(rounded(yh!)).toEqual([0.59824]);
  });
  it('zero-fills Y past a batch row\'s sequence_lens and keeps Y_h at its last valid step', () => {
    const xb = f32([2, 2, 1], [1, 1, 2, 2]);
    const lens = new Tensor('int32', [2], Int32Array.of(2, 1));
    const [y, yh] = runKernel(rnnKernels, 'RNN', [xb, W, R, undefined, lens], { hidden_size: 1 }, 14);
    expect(rounded(y!)).toEqual([0.46212, 0.46212, 0.80601, 0]);
    expect(rounded(yh!)).toEqual([0.80601, 0.46212]);
  });
  it('puts batch first with layout 1', () => {
    const [y, yh] = runKernel(rnnKernels, 'RNN', [f32([1, 2, 1], [1, 2]), W, R], { hidden_size: 1, layout: 1 }, 14);
    expect(y!.shape).toEqual([1, 2, 1, 1]);
    expect(rounded(y!)).toEqual([0.46212, 0.80601]);
    expect(yh!.shape).toEqual([1, 1, 1]);
  });
  it('refuses an activations list of the wrong length, saying how many it needs', () => {
    const attrs = { hidden_size: 1, direction: 'bidirectional', activations: { type: 'strings' as const, value: ['Tanh'] } };
    expect(() => runKernel(rnnKernels, 'RNN', [x, f32([2, 1, 1], [0.5, 0.5]), f32([2, 1, 1], [0.25, 0.25])], attrs, 14)).toThrow(/activations: 1 given, 2 needed/);
  });
});

describe('GRU', () => {
  // z, r, h gates: W = [0.5, -0.5, 1], R = [0.1, 0.2, 0.3], Rb_h = 0.4, x = 1, h0 = 0.5
  const args = [f32([1, 1, 1], [1]), f32([1, 3, 1], [0.5, -0.5, 1]), f32([1, 3, 1], [0.1, 0.2, 0.3]), f32([1, 6], [0, 0, 0, 0, 0, 0.4]), undefined, f32([1, 1, 1], [0.5])];
  it('applies the reset gate before the recurrence by default', () => {
    expect(rounded(runKernel(rnnKernels, 'GRU', args, { hidden_size: 1 }, 14)[1]!)).toEqual([0.6455]);
  });
  it('applies it after the recurrence with linear_before_reset', () => {
    expect(rounded(runKernel(rnnKernels, 'GRU', args, { hidden_size: 1, linear_before_reset: 1 }, 14)[1]!)).toEqual([0.62435]);
  });
});

describe('LSTM', () => {
  it('uses peepholes on the cell state (i, o, f order) and returns Y_c', () => {
    // W = [i 0.1, o 0.2, f 0.3, c 0.4], R = 0, P = [0.5, 0.6, 0.7], c0 = 1, h0 = 0, x = 1
    const inputs = [f32([1, 1, 1], [1]), f32([1, 4, 1], [0.1, 0.2, 0.3, 0.4]), f32([1, 4, 1], [0, 0, 0, 0]), undefined, undefined, f32([1, 1, 1], [0]), f32([1, 1, 1], [1]), f32([1, 3], [0.5, 0.6, 0.7])];
    const [, yh, yc] = runKernel(rnnKernels, 'LSTM', inputs, { hidden_size: 1 }, 14);
    expect(rounded(yh!)).toEqual([0.51623]);
    expect(rounded(yc!)).toEqual([0.97638]);
  });
});
