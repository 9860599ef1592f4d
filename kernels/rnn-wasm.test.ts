import { beforeAll, describe, expect, it } from 'vitest';
import { wasmKernelModules, type WasmKernelModules } from '../src/backends/wasm/wasm-modules-instance.js';
import { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { Rng } from '../src/testing/random-op-cases.js';
import { Tensor } from '../src/tensor/tensor.js';
import { numbers, runKernel, type LooseAttribute } from './kernel-harness.js';
import { rnnKernels } from './rnn.js';
import { rnnWasmKernels } from './rnn-wasm.js';

let modules: WasmKernelModules;
beforeAll(async () => {
  modules = await wasmKernelModules();
});

function runWasm(inputs: (Tensor | undefined)[], attrs: Record<string, LooseAttribute>, constants: Tensor[], op = 'LSTM'): { y: Tensor[]; delegated: boolean } {
  const rt = new WasmKernelRuntime(modules, new Set(constants));
  try {
    const y = runKernel(rnnWasmKernels(rt), op, inputs, attrs, 21, op === 'LSTM' ? 3 : 2);
    y.forEach(numbers);
    return { y, delegated: rt.delegatedLast };
  } finally {
    rt.dispose();
  }
}

function worst(a: Tensor, b: Tensor): number {
  const x = numbers(a), e = numbers(b);
  return Math.max(0, ...e.map((v, i) => Math.abs(x[i]! - v)));
}

describe('wasm LSTM', () => {
  it('matches the reference on seeded LSTMs (directions, layouts, biases, initial states, odd sizes, batches on gemv and gemm)', () => {
    const rng = new Rng(61);
    for (let trial = 0; trial < 30; trial++) {
      const direction = rng.pick(['forward', 'reverse', 'bidirectional']), dirs = direction === 'bidirectional' ? 2 : 1;
      const layout = rng.int(0, 1), seq = rng.int(1, 6), batch = rng.int(1, 5), inSize = rng.int(1, 9), hidden = rng.int(1, 11);
      const X = rng.floats(layout ? [batch, seq, inSize] : [seq, batch, inSize]);
      const W = rng.floats([dirs, 4 * hidden, inSize], -0.5, 0.5), R = rng.floats([dirs, 4 * hidden, hidden], -0.5, 0.5);
      const B = rng.bool() ? rng.floats([dirs, 8 * hidden]) : undefined;
      const state = layout ? [batch, dirs, hidden] : [dirs, batch, hidden];
      const h0 = rng.bool() ? rng.floats(state) : undefined, c0 = rng.bool() ? rng.floats(state) : undefined;
      const lens = rng.bool() ? new Tensor('int32', [batch], new Int32Array(batch).fill(seq)) : undefined;
      const inputs = [X, W, R, B, lens, h0, c0];
      const attrs = { direction, layout, hidden_size: hidden };
      const want = runKernel(rnnKernels, 'LSTM', inputs, attrs, 21, 3), got = runWasm(inputs, attrs, [W, R, ...(B ? [B] : [])]);
      expect(got.delegated, `trial ${trial}`).toBe(false);
      got.y.forEach((t, i) => {
        expect(t.shape, `trial ${trial} output ${i}`).toEqual(want[i]!.shape);
        expect(worst(t, want[i]!), `trial ${trial} output ${i}: ${JSON.stringify(attrs)}`).toBeLessThan(1e-5);
      });
    }
  });

  it('hands peepholes, clip and short sequence_lens to the reference', () => {
    const rng = new Rng(62), X = rng.floats([3, 1, 2]), W = rng.floats([1, 8, 2]), R = rng.floats([1, 8, 2]);
    const cases: [(Tensor | undefined)[], Record<string, LooseAttribute>][] = [
      [[X, W, R, undefined, undefined, undefined, undefined, rng.floats([1, 6])], {}],
      [[X, W, R], { clip: 0.5 }],
      [[X, W, R, undefined, new Tensor('int32', [1], Int32Array.of(2))], {}],
    ];
    for (const [inputs, attrs] of cases) {
      const got = runWasm(inputs, attrs, []);
      expect(got.delegated).toBe(true);
      expect(got.y.map(numbers)).toEqual(runKernel(rnnKernels, 'LSTM', inputs, attrs, 21, 3).map(numbers));
    }
  });
});

describe('wasm GRU', () => {
  it('matches the reference on seeded GRUs (linear_before_reset 0 and 1, directions, layouts, biases, initial_h, batches on gemv and gemm)', () => {
    const rng = new Rng(63);
    for (let trial = 0; trial < 40; trial++) {
      const direction = rng.pick(['forward', 'reverse', 'bidirectional']), dirs = direction === 'bidirectional' ? 2 : 1;
      const layout = rng.int(0, 1), seq = rng.int(1, 6), batch = rng.int(1, 5), inSize = rng.int(1, 9), hidden = rng.int(1, 11);
      const X = rng.floats(layout ? [batch, seq, inSize] : [seq, batch, inSize]);
      const W = rng.floats([dirs, 3 * hidden, inSize], -0.5, 0.5), R = rng.floats([dirs, 3 * hidden, hidden], -0.5, 0.5);
      const B = rng.bool() ? rng.floats([dirs, 6 * hidden]) : undefined;
      const h0 = rng.bool() ? rng.floats(layout ? [batch, dirs, hidden] : [dirs, batch, hidden]) : undefined;
      const inputs = [X, W, R, B, undefined, h0];
      const attrs = { direction, layout, hidden_size: hidden, linear_before_reset: rng.int(0, 1) };
      const want = runKernel(rnnKernels, 'GRU', inputs, attrs, 21, 2), got = runWasm(inputs, attrs, [W, R, ...(B ? [B] : [])], 'GRU');
      expect(got.delegated, `trial ${trial}`).toBe(false);
      expect(got.y.length).toBe(2);
      got.y.forEach((t, i) => {
        expect(t.shape, `trial ${trial} output ${i}`).toEqual(want[i]!.shape);
        expect(worst(t, want[i]!), `trial ${trial} output ${i}: ${JSON.stringify(attrs)}`).toBeLessThan(1e-5);
      });
    }
  });

  it('computes one GRU step by hand: x = 1, W = [0, 0, 1], R = 0, h0 = 0.5 gives h = 0.5·tanh(1) + 0.5·0.5', () => {
    const inputs = [new Tensor('float32', [1, 1, 1], Float32Array.of(1)), new Tensor('float32', [1, 3, 1], Float32Array.of(0, 0, 1)),
      new Tensor('float32', [1, 3, 1], Float32Array.of(0, 0, 0)), undefined, undefined, new Tensor('float32', [1, 1, 1], Float32Array.of(0.5))];
    // z = sigmoid(0) = 0.5, candidate = tanh(1 + 0), h = (1 - z)·candidate + z·h0.
    const got = runWasm(inputs, { hidden_size: 1 }, [], 'GRU');
    expect(got.delegated).toBe(false);
    expect(numbers(got.y[1]!)[0]).toBeCloseTo(0.5 * Math.tanh(1) + 0.25, 6);
  });

  it('hands clip, other activations and short sequence_lens to the reference', () => {
    const rng = new Rng(64), X = rng.floats([3, 1, 2]), W = rng.floats([1, 6, 2]), R = rng.floats([1, 6, 2]);
    const cases: [(Tensor | undefined)[], Record<string, LooseAttribute>][] = [
      [[X, W, R], { clip: 0.5 }],
      [[X, W, R], { activations: { type: 'strings', value: ['Relu', 'Tanh'] } }],
      [[X, W, R, undefined, new Tensor('int32', [1], Int32Array.of(2))], {}],
    ];
    for (const [inputs, attrs] of cases) {
      const got = runWasm(inputs, attrs, [], 'GRU');
      expect(got.delegated).toBe(true);
      expect(got.y.map(numbers)).toEqual(runKernel(rnnKernels, 'GRU', inputs, attrs, 21, 2).map(numbers));
    }
  });
});

describe('wasm RNN', () => {
  it('matches the reference on seeded RNNs (directions, layouts, biases, initial_h, batches on gemv and gemm); Relu goes to the reference', () => {
    const rng = new Rng(65);
    for (let trial = 0; trial < 20; trial++) {
      const direction = rng.pick(['forward', 'reverse', 'bidirectional']), dirs = direction === 'bidirectional' ? 2 : 1;
      const layout = rng.int(0, 1), seq = rng.int(1, 6), batch = rng.int(1, 5), inSize = rng.int(1, 9), hidden = rng.int(1, 11);
      const X = rng.floats(layout ? [batch, seq, inSize] : [seq, batch, inSize]);
      const W = rng.floats([dirs, hidden, inSize], -0.5, 0.5), R = rng.floats([dirs, hidden, hidden], -0.5, 0.5);
      const B = rng.bool() ? rng.floats([dirs, 2 * hidden]) : undefined;
      const h0 = rng.bool() ? rng.floats(layout ? [batch, dirs, hidden] : [dirs, batch, hidden]) : undefined;
      const inputs = [X, W, R, B, undefined, h0];
      const attrs = { direction, layout, hidden_size: hidden };
      const want = runKernel(rnnKernels, 'RNN', inputs, attrs, 21, 2), got = runWasm(inputs, attrs, [W, R, ...(B ? [B] : [])], 'RNN');
      expect(got.delegated, `trial ${trial}`).toBe(false);
      got.y.forEach((t, i) => {
        expect(t.shape, `trial ${trial} output ${i}`).toEqual(want[i]!.shape);
        expect(worst(t, want[i]!), `trial ${trial} output ${i}: ${JSON.stringify(attrs)}`).toBeLessThan(1e-5);
      });
    }
    const rng2 = new Rng(66), inputs = [rng2.floats([3, 1, 2]), rng2.floats([1, 2, 2]), rng2.floats([1, 2, 2])];
    const attrs = { activations: { type: 'strings' as const, value: ['Relu'] } };
    const got = runWasm(inputs, attrs, [], 'RNN');
    expect(got.delegated).toBe(true);
    expect(got.y.map(numbers)).toEqual(runKernel(rnnKernels, 'RNN', inputs, attrs, 21, 2).map(numbers));
  });
});
