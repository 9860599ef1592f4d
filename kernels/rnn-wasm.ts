/**
 * LSTM on the wasm GEMM (ONNX LSTM, gate order i, o, f, c): per direction one GEMM of every time step's input
 * against W (packed once) with W's and R's biases as its column start, then per step the recurrent GEMM of h
 * against R (packed once) and the gates (wasm/exp.wat `lstm_cell`). float32; forward, reverse or bidirectional; layout 0 or 1;
 * initial_h/initial_c. Peepholes, clip, input_forget, sequence_lens shorter than the sequence, and activations
 * other than the defaults (Sigmoid, Tanh, Tanh) go to the reference (kernels/rnn.ts).
 */
import { GEMM_START } from '../src/backends/wasm/wasm-modules-instance.js';
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import { packedASize, packedBSize, type WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import { Tensor } from '../src/tensor/tensor.js';
import { toIndices } from './elements.js';
import type { KernelContext, KernelDef } from './registry.js';

const f32 = (v: Value | undefined): Tensor | undefined => (isTensor(v) && v.dtype === 'float32' ? v : undefined);

/** Whether the node asks for nothing beyond what this kernel implements. */
function plainLstm(inputs: (Value | undefined)[], ctx: KernelContext, seq: number, dirs: number): boolean {
  const acts = ctx.attrs.strings('activations', []);
  const defaults = acts.length === 0 || (acts.length === 3 * dirs && acts.every((a, i) => a.toLowerCase() === ['sigmoid', 'tanh', 'tanh'][i % 3]));
  const lens = inputs[4];
  const fullLengths = lens === undefined || (isTensor(lens) && toIndices(lens).every((l) => l === seq));
  return defaults && fullLengths && inputs[7] === undefined && ctx.attrs.float('clip') === undefined && ctx.attrs.int('input_forget', 0) === 0;
}

function wasmLstm(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor[] | undefined {
  const X = f32(inputs[0]), W = f32(inputs[1]), R = f32(inputs[2]), B = inputs[3] === undefined ? undefined : f32(inputs[3]);
  const h0 = inputs[5] === undefined ? undefined : f32(inputs[5]), c0 = inputs[6] === undefined ? undefined : f32(inputs[6]);
  if (!X || !W || !R || X.rank !== 3 || (inputs[3] !== undefined && !B) || (inputs[5] !== undefined && !h0) || (inputs[6] !== undefined && !c0)) return undefined;
  const layout = ctx.attrs.int('layout', 0), direction = ctx.attrs.string('direction', 'forward');
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const [seq, batch, inSize] = (layout ? [X.shape[1], X.shape[0], X.shape[2]] : X.shape) as [number, number, number];
  const hidden = ctx.attrs.int('hidden_size') ?? R.shape[2]!, G = 4 * hidden;
  if (W.size !== dirs * G * inSize || R.size !== dirs * G * hidden || (B && B.size !== dirs * 2 * G)) return undefined;
  if ((h0 && h0.size !== dirs * batch * hidden) || (c0 && c0.size !== dirs * batch * hidden)) return undefined;
  if (!plainLstm(inputs, ctx, seq, dirs)) return undefined;
  return rt.call(() => {
    // c and h rows padded to whole vectors (the cell computes 4 lanes at a time), xg/hg by one vector at the end.
    const rows = seq * batch, padded = Math.ceil(G / 8) * 8, hp = Math.ceil(hidden / 4) * 4;
    const px = rt.derived(X, 'lstmX', packedASize(rows, inSize), (at) => rt.gemm.pack_a(rt.values(X), inSize, 1, rows, inSize, at, 1));
    const xg = rt.temp(rows * G + 4), hg = rt.temp(batch * G + 4), h = rt.temp(batch * hp), c = rt.temp(batch * hp);
    const ph = rt.temp(packedASize(batch, hidden));
    const packed = Array.from({ length: dirs }, (_, d) => ({
      w: rt.derived(W, `lstmW:${d}`, packedBSize(inSize, G), (at) => rt.gemm.pack_b(rt.tempValues(W) + d * G * inSize * 4, 1, inSize, inSize, G, at)),
      r: rt.derived(R, `lstmR:${d}`, packedBSize(hidden, G), (at) => rt.gemm.pack_b(rt.tempValues(R) + d * G * hidden * 4, 1, hidden, hidden, G, at)),
      b: B ? rt.derived(B, `lstmB:${d}`, padded, (at) => {
        const view = rt.f32(), bias = B.data as Float32Array, base = at >> 2;
        view.fill(0, base, base + padded);
        for (let j = 0; j < G; j++) view[base + j] = bias[d * 2 * G + j]! + bias[d * 2 * G + G + j]!;
      }) : 0,
    }));
    const y = new Float32Array(seq * dirs * batch * hidden), yh = new Float32Array(dirs * batch * hidden), yc = new Float32Array(dirs * batch * hidden);
    const yAt = (t: number, d: number, b: number) => (layout ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden;
    const stateAt = (d: number, b: number) => (layout ? b * dirs + d : d * batch + b) * hidden;
    const rowOf = (t: number, b: number) => (layout ? b * seq + t : t * batch + b);
    const view = rt.f32(), hv = h >> 2, cv = c >> 2;
    for (let d = 0; d < dirs; d++) {
      const reverse = direction === 'reverse' || d === 1, p = packed[d]!;
      rt.gemm.gemm(rows, G, inSize, px, p.w, xg, G, -Infinity, Infinity, rt.tile, p.b, B ? GEMM_START.columnBias : GEMM_START.zero);
      for (let b = 0; b < batch; b++) {
        const s = stateAt(d, b);
        if (h0) view.set((h0.data as Float32Array).subarray(s, s + hidden), hv + b * hp);
        else view.fill(0, hv + b * hp, hv + (b + 1) * hp);
        if (c0) view.set((c0.data as Float32Array).subarray(s, s + hidden), cv + b * hp);
        else view.fill(0, cv + b * hp, cv + (b + 1) * hp);
      }
      for (let k = 0; k < seq; k++) {
        const t = reverse ? seq - 1 - k : k;
        rt.gemm.pack_a(h, hp, 1, batch, hidden, ph, 1);
        rt.gemm.gemm(batch, G, hidden, ph, p.r, hg, G, -Infinity, Infinity, rt.tile, 0, GEMM_START.zero);
        for (let b = 0; b < batch; b++) {
          rt.exp.lstm_cell(xg + rowOf(t, b) * G * 4, hg + b * G * 4, c + b * hp * 4, h + b * hp * 4, hidden);
          y.set(view.subarray(hv + b * hp, hv + b * hp + hidden), yAt(t, d, b));
        }
      }
      for (let b = 0; b < batch; b++) {
        const s = stateAt(d, b);
        yh.set(view.subarray(hv + b * hp, hv + b * hp + hidden), s);
        yc.set(view.subarray(cv + b * hp, cv + b * hp + hidden), s);
      }
    }
    const yShape = layout ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden];
    const stateShape = layout ? [batch, dirs, hidden] : [dirs, batch, hidden];
    return [new Tensor('float32', yShape, y), new Tensor('float32', stateShape, yh), new Tensor('float32', stateShape, yc)];
  });
}

export function rnnWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  return [wasmKernel(rt, 'LSTM', (inputs, ctx) => wasmLstm(rt, inputs, ctx))];
}
