/**
 * RNN, LSTM and GRU on the wasm GEMM (ONNX LSTM, gate order i, o, f, c; ONNX GRU, gate order z, r, h): per direction
 * one GEMM of every time step's input against W (packed once) with the biases that add outside any gate product as
 * its column start, then per step the recurrence of h against R (packed once: wasm/gemv.wat for up to 3 batch rows,
 * gemm beyond) and the gates in wasm/exp.wat (`rnn_cell`, `lstm_cell`; `gru_reset` and `gru_cell`), h and c staying in wasm
 * memory, Y, Y_h and Y_c written there as resident outputs. float32; forward, reverse or bidirectional; layout 0
 * or 1; initial_h/initial_c; GRU linear_before_reset 0 or 1. Peepholes, clip, input_forget, sequence_lens shorter
 * than the sequence, and activations other than the defaults go to the reference (kernels/rnn.ts).
 */
import { GEMM_START } from '../src/backends/wasm/wasm-modules-instance.js';
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import { packedASize, packedBSize, type WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { toIndices } from './elements.js';
import type { KernelContext, KernelDef } from './registry.js';

const f32 = (v: Value | undefined): Tensor | undefined => (isTensor(v) && v.dtype === 'float32' ? v : undefined);

type Kind = 'RNN' | 'LSTM' | 'GRU';

const SPECS: Record<Kind, { gates: number; activations: string[]; states: number }> = {
  RNN: { gates: 1, activations: ['tanh'], states: 1 },
  LSTM: { gates: 4, activations: ['sigmoid', 'tanh', 'tanh'], states: 2 },
  GRU: { gates: 3, activations: ['sigmoid', 'tanh'], states: 1 },
};

/** Whether the node asks for nothing beyond what this kernel implements. */
function plain(kind: Kind, inputs: (Value | undefined)[], ctx: KernelContext, seq: number, dirs: number): boolean {
  const acts = ctx.attrs.strings('activations', []), want = SPECS[kind].activations;
  const defaults = acts.length === 0 || (acts.length === want.length * dirs && acts.every((a, i) => a.toLowerCase() === want[i % want.length]));
  const lens = inputs[4];
  const fullLengths = lens === undefined || (isTensor(lens) && toIndices(lens).every((l) => l === seq));
  const lstmOnly = kind !== 'LSTM' || (inputs[7] === undefined && ctx.attrs.int('input_forget', 0) === 0);
  return defaults && fullLengths && lstmOnly && ctx.attrs.float('clip') === undefined;
}

/** One direction's weights as gemm's B panels (kept for constants) and its bias blocks. */
interface Packed {
  w: number;
  /** R's gate rows: all of them, or (GRU without linear_before_reset) the z and r rows, then the h rows. */
  r: number[];
  /** Column start of the input GEMM (the biases outside any gate product), 0 for none. */
  xb: number;
  /** Column start of the recurrence into hg (GRU linear_before_reset: Rbh on the h gate), 0 for none. */
  hb: number;
}

function wasmRecurrent(kind: Kind, rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor[] | undefined {
  const X = f32(inputs[0]), W = f32(inputs[1]), R = f32(inputs[2]), B = inputs[3] === undefined ? undefined : f32(inputs[3]);
  const h0 = inputs[5] === undefined ? undefined : f32(inputs[5]);
  const c0 = kind !== 'LSTM' || inputs[6] === undefined ? undefined : f32(inputs[6]);
  if (!X || !W || !R || X.rank !== 3 || (inputs[3] !== undefined && !B) || (inputs[5] !== undefined && !h0)) return undefined;
  if (kind === 'LSTM' && inputs[6] !== undefined && !c0) return undefined;
  const layout = ctx.attrs.int('layout', 0), direction = ctx.attrs.string('direction', 'forward');
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const [seq, batch, inSize] = (layout ? [X.shape[1], X.shape[0], X.shape[2]] : X.shape) as [number, number, number];
  const hidden = ctx.attrs.int('hidden_size') ?? R.shape[2]!, H = hidden, G = SPECS[kind].gates * H;
  const lbr = kind === 'GRU' && ctx.attrs.int('linear_before_reset', 0) !== 0;
  if (W.size !== dirs * G * inSize || R.size !== dirs * G * H || (B && B.size !== dirs * 2 * G)) return undefined;
  if ((h0 && h0.size !== dirs * batch * H) || (c0 && c0.size !== dirs * batch * H)) return undefined;
  if (!plain(kind, inputs, ctx, seq, dirs)) return undefined;
  return rt.call(() => {
    // Rows of h, c and rh padded to whole vectors (the cells compute 4 lanes at a time), xg/hg by one vector at the end.
    const rows = seq * batch, hp = Math.ceil(H / 4) * 4;
    const px = rt.derived(X, `${kind}X`, packedASize(rows, inSize), (at) => rt.gemm.pack_a(rt.values(X), inSize, 1, rows, inSize, at, 1));
    // GRU without linear_before_reset multiplies R's h rows by r ⊙ h, so they are packed apart from the z and r rows.
    const split = kind === 'GRU' && !lbr ? [[0, 2 * H], [2 * H, G]] : [[0, G]];
    const packed: Packed[] = Array.from({ length: dirs }, (_, d) => ({
      w: rt.derived(W, `${kind}W:${d}`, packedBSize(inSize, G), (at) => rt.gemm.pack_b(rt.tempValues(W) + d * G * inSize * 4, 1, inSize, inSize, G, at)),
      r: split.map(([from, to]) => rt.derived(R, `${kind}R:${d}:${from}`, packedBSize(H, to! - from!),
        (at) => rt.gemm.pack_b(rt.tempValues(R) + (d * G + from!) * H * 4, 1, H, H, to! - from!, at))),
      xb: B ? biasBlock(rt, B, `${kind}B:${d}:${lbr}`, G, (j, b) => b[d * 2 * G + j]! + (lbr && j >= 2 * H ? 0 : b[d * 2 * G + G + j]!)) : 0,
      hb: B && lbr ? biasBlock(rt, B, `${kind}Bh:${d}`, G, (j, b) => (j >= 2 * H ? b[d * 2 * G + G + j]! : 0)) : 0,
    }));
    const hgWidth = split[0]![1]!;
    const xg = rt.temp(rows * G + 4), hg = rt.temp(batch * hgWidth + 4), hh = rt.temp(batch * hp + 4), rh = rt.temp(batch * hp);
    const h = rt.temp(batch * hp), c = rt.temp(batch * hp), ph = batch > 3 ? rt.temp(packedASize(batch, H)) : 0;
    const stateFloats = dirs * batch * H;
    const y = rt.temp(seq * dirs * batch * H), yh = rt.temp(stateFloats), yc = rt.temp(stateFloats);
    const h0At = h0 && rt.values(h0) >> 2, c0At = c0 && rt.values(c0) >> 2;
    const yAt = (t: number, d: number, b: number) => (layout ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * H;
    const stateAt = (d: number, b: number) => (layout ? b * dirs + d : d * batch + b) * H;
    const rowOf = (t: number, b: number) => (layout ? b * seq + t : t * batch + b);
    // h (or rh) of every batch row, times gate columns of R: gemv reads the rows in place, gemm needs them packed.
    const recur = (src: number, n: number, pb: number, out: number, ldc: number, bias: number) => {
      const mode = bias ? GEMM_START.columnBias : GEMM_START.zero;
      if (batch <= 3) return rt.gemv.gemv(batch, n, H, src, hp, pb, out, ldc, -Infinity, Infinity, rt.tile, bias, mode);
      rt.gemm.pack_a(src, hp, 1, batch, H, ph, 1);
      rt.gemm.gemm(batch, n, H, ph, pb, out, ldc, -Infinity, Infinity, rt.tile, bias, mode);
    };
    const view = rt.f32(), hv = h >> 2, cv = c >> 2, yv = y >> 2;
    for (let d = 0; d < dirs; d++) {
      const reverse = direction === 'reverse' || d === 1, p = packed[d]!;
      rt.gemm.gemm(rows, G, inSize, px, p.w, xg, G, -Infinity, Infinity, rt.tile, p.xb, p.xb ? GEMM_START.columnBias : GEMM_START.zero);
      for (let b = 0; b < batch; b++) {
        const s = stateAt(d, b);
        if (h0At !== undefined) view.copyWithin(hv + b * hp, h0At + s, h0At + s + H);
        else view.fill(0, hv + b * hp, hv + (b + 1) * hp);
        if (c0At !== undefined) view.copyWithin(cv + b * hp, c0At + s, c0At + s + H);
        else view.fill(0, cv + b * hp, cv + (b + 1) * hp);
      }
      for (let k = 0; k < seq; k++) {
        const t = reverse ? seq - 1 - k : k;
        recur(h, hgWidth, p.r[0]!, hg, hgWidth, p.hb);
        if (kind === 'GRU' && !lbr) {
          for (let b = 0; b < batch; b++) rt.exp.gru_reset(xg + rowOf(t, b) * G * 4, hg + b * hgWidth * 4, h + b * hp * 4, rh + b * hp * 4, H);
          recur(rh, H, p.r[1]!, hh, hp, 0);
        }
        for (let b = 0; b < batch; b++) {
          const xr = xg + rowOf(t, b) * G * 4, hr = hg + b * hgWidth * 4;
          if (kind === 'LSTM') rt.exp.lstm_cell(xr, hr, c + b * hp * 4, h + b * hp * 4, H);
          else if (kind === 'RNN') rt.exp.rnn_cell(xr, hr, h + b * hp * 4, H);
          else rt.exp.gru_cell(xr, hr, lbr ? hr + 2 * H * 4 : hh + b * hp * 4, h + b * hp * 4, H, lbr ? 1 : 0);
          view.copyWithin(yv + yAt(t, d, b), hv + b * hp, hv + b * hp + H);
        }
      }
      for (let b = 0; b < batch; b++) {
        const s = stateAt(d, b);
        view.copyWithin((yh >> 2) + s, hv + b * hp, hv + b * hp + H);
        view.copyWithin((yc >> 2) + s, cv + b * hp, cv + b * hp + H);
      }
    }
    const yShape = layout ? [batch, seq, dirs, H] : [seq, dirs, batch, H];
    const stateShape = layout ? [batch, dirs, H] : [dirs, batch, H];
    const outs = [rt.output(y, yShape), rt.output(yh, stateShape)];
    return kind === 'LSTM' ? [...outs, rt.output(yc, stateShape)] : outs;
  });
}

/** A G-column bias (padded to whole 8-column panels) from B's W half and R half, kept for a constant B. */
function biasBlock(rt: WasmKernelRuntime, B: Tensor, key: string, G: number, value: (j: number, bias: Float32Array) => number): number {
  const padded = Math.ceil(G / 8) * 8;
  return rt.derived(B, key, padded, (at) => {
    const view = rt.f32(), bias = B.data as Float32Array, base = at >> 2;
    view.fill(0, base, base + padded);
    for (let j = 0; j < G; j++) view[base + j] = value(j, bias);
  });
}

export function rnnWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  return (['RNN', 'LSTM', 'GRU'] as const).map((kind) => wasmKernel(rt, kind, (inputs, ctx) => wasmRecurrent(kind, rt, inputs, ctx)));
}
