/**
 * RNN, GRU and LSTM (ONNX Operators.md): forward, reverse or bidirectional; activations with alpha/beta; clip on
 * gate inputs; sequence_lens (steps past a batch's length give zeros in Y, Y_h keeps its last valid state);
 * initial_h/initial_c; LSTM peepholes and input_forget; GRU linear_before_reset; layout 0 ([seq, batch, ...]) and
 * layout 1 ([batch, seq, ...]). Gate order in W/R/B: RNN i; GRU z, r, h; LSTM i, o, f, c; peepholes i, o, f.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { Value } from '../src/graph/value.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { fromNumbers, optionalTensor, tensorInput, toIndices, toNumbers } from './elements.js';
import type { ShapeFn, KernelContext, KernelDef } from './registry.js';
import { withShapes } from './shape-rules.js';

type Act = (x: number) => number;

const sigmoid: Act = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Activation functions by name, with the alpha/beta they take and their defaults (onnxruntime's defaults). */
const ACTIVATIONS: Record<string, { alpha?: number; beta?: number; make: (a: number, b: number) => Act }> = {
  relu: { make: () => (x) => Math.max(0, x) },
  tanh: { make: () => Math.tanh },
  sigmoid: { make: () => sigmoid },
  affine: { alpha: 1, beta: 0, make: (a, b) => (x) => a * x + b },
  leakyrelu: { alpha: 0.01, make: (a) => (x) => (x >= 0 ? x : a * x) },
  thresholdedrelu: { alpha: 1, make: (a) => (x) => (x > a ? x : 0) },
  scaledtanh: { alpha: 1, beta: 1, make: (a, b) => (x) => a * Math.tanh(b * x) },
  hardsigmoid: { alpha: 0.2, beta: 0.5, make: (a, b) => (x) => Math.min(1, Math.max(0, a * x + b)) },
  elu: { alpha: 1, make: (a) => (x) => (x >= 0 ? x : a * (Math.exp(x) - 1)) },
  softsign: { make: () => (x) => x / (1 + Math.abs(x)) },
  softplus: { make: () => (x) => Math.log1p(Math.exp(x)) },
};

interface CellSpec {
  gates: number;
  defaults: string[];
  step: (s: StepInput) => void;
}

/** What one time step of one direction and batch row sees; `step` writes h (and c) in place. */
interface StepInput {
  hidden: number;
  /** W·x + Wb, G×hidden. */
  xg: Float64Array;
  /** R·h + Rb, G×hidden (for GRU without linear_before_reset the h gate's part is recomputed from r ⊙ h). */
  hg: Float64Array;
  h: Float64Array;
  c: Float64Array;
  peep?: Float64Array;
  acts: Act[];
  clip: (x: number) => number;
  /** R_gate · v + Rb_gate: the recurrence of one gate on another vector. */
  recur: (gate: number, v: Float64Array) => Float64Array;
  linearBeforeReset: boolean;
  inputForget: boolean;
}

function rnnStep({ hidden, xg, hg, h, acts, clip }: StepInput): void {
  for (let j = 0; j < hidden; j++) h[j] = acts[0]!(clip(xg[j]! + hg[j]!));
}

function gruStep({ hidden: n, xg, hg, h, acts: [f, g], clip, recur, linearBeforeReset }: StepInput): void {
  const z = new Float64Array(n);
  const r = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    z[j] = f!(clip(xg[j]! + hg[j]!));
    r[j] = f!(clip(xg[n + j]! + hg[n + j]!));
  }
  const hh = linearBeforeReset ? hg.subarray(2 * n) : recur(2, h.map((v, j) => v * r[j]!));
  for (let j = 0; j < n; j++) {
    const candidate = g!(clip(xg[2 * n + j]! + (linearBeforeReset ? r[j]! * hh[j]! : hh[j]!)));
    h[j] = (1 - z[j]!) * candidate + z[j]! * h[j]!;
  }
}

function lstmStep({ hidden: n, xg, hg, h, c, peep, acts: [f, g, hAct], clip, inputForget }: StepInput): void {
  for (let j = 0; j < n; j++) {
    const pre = (gate: number): number => xg[gate * n + j]! + hg[gate * n + j]!;
    const forget = f!(clip(pre(2) + (peep ? peep[2 * n + j]! * c[j]! : 0)));
    const input = inputForget ? 1 - forget : f!(clip(pre(0) + (peep ? peep[j]! * c[j]! : 0)));
    const cell = g!(clip(pre(3)));
    c[j] = forget * c[j]! + input * cell;
    const out = f!(clip(pre(1) + (peep ? peep[n + j]! * c[j]! : 0)));
    h[j] = out * hAct!(c[j]!);
  }
}

const CELLS: Record<'RNN' | 'GRU' | 'LSTM', CellSpec> = {
  RNN: { gates: 1, defaults: ['Tanh'], step: rnnStep },
  GRU: { gates: 3, defaults: ['Sigmoid', 'Tanh'], step: gruStep },
  LSTM: { gates: 4, defaults: ['Sigmoid', 'Tanh', 'Tanh'], step: lstmStep },
};

/** out[r] = bias[r] + Σ_c M[off + r*cols + c] · v[vOff + c]. */
function matVec(m: Float64Array, off: number, rows: number, cols: number, v: Float64Array, vOff: number, bias: Float64Array | undefined, biasOff: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = bias ? bias[biasOff + r]! : 0;
    const row = off + r * cols;
    for (let k = 0; k < cols; k++) s += m[row + k]! * v[vOff + k]!;
    out[r] = s;
  }
  return out;
}

/** Per direction, the activation functions, consuming activation_alpha/beta in order for those that take them. */
function activationsFor(spec: CellSpec, dirs: number, ctx: KernelContext): Act[][] {
  const names = ctx.attrs.strings('activations', []);
  const list = names.length ? names : Array.from({ length: dirs }, () => spec.defaults).flat();
  const wanted = dirs * spec.defaults.length;
  if (list.length !== wanted) {
    throw new NeuropodError('INFERENCE_FAILED', `activations: ${list.length} given, ${wanted} needed (${spec.defaults.length} a direction, ${dirs} direction${dirs > 1 ? 's' : ''})`);
  }
  const alphas = [...ctx.attrs.floats('activation_alpha', [])];
  const betas = [...ctx.attrs.floats('activation_beta', [])];
  const acts = list.map((name) => {
    const row = ACTIVATIONS[name.toLowerCase()];
    if (!row) throw new NeuropodError('OP_UNSUPPORTED', `unknown recurrent activation '${name}'`);
    const a = row.alpha === undefined ? 0 : alphas.length ? alphas.shift()! : row.alpha;
    const b = row.beta === undefined ? 0 : betas.length ? betas.shift()! : row.beta;
    return row.make(a, b);
  });
  return Array.from({ length: dirs }, (_, d) => acts.slice(d * spec.defaults.length, (d + 1) * spec.defaults.length));
}

function runRecurrent(kind: keyof typeof CELLS, inputs: (Value | undefined)[], ctx: KernelContext): Tensor[] {
  const spec = CELLS[kind];
  const X = tensorInput(inputs, 0, kind);
  const layout = ctx.attrs.int('layout', 0);
  const direction = ctx.attrs.string('direction', 'forward');
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const [seq, batch, inSize] = (layout ? [X.shape[1], X.shape[0], X.shape[2]] : X.shape) as [number, number, number];
  const W = toNumbers(tensorInput(inputs, 1, kind));
  const R = toNumbers(tensorInput(inputs, 2, kind));
  const B = optionalTensor(inputs, 3);
  const hidden = ctx.attrs.int('hidden_size') ?? tensorInput(inputs, 2, kind).shape[2]!;
  const G = spec.gates;
  const bias = B ? toNumbers(B) : undefined;
  const lens = optionalTensor(inputs, 4);
  const seqLens = lens ? toIndices(lens) : new Array<number>(batch).fill(seq);
  const h0 = optionalTensor(inputs, 5);
  const c0 = kind === 'LSTM' ? optionalTensor(inputs, 6) : undefined;
  const P = kind === 'LSTM' ? optionalTensor(inputs, 7) : undefined;
  const x = toNumbers(X);
  const clipAt = ctx.attrs.float('clip');
  const clip = clipAt === undefined ? (v: number) => v : (v: number) => Math.max(-clipAt, Math.min(clipAt, v));
  const acts = activationsFor(spec, dirs, ctx);
  const y = new Float64Array(seq * dirs * batch * hidden);
  const yh = new Float64Array(dirs * batch * hidden);
  const yc = new Float64Array(dirs * batch * hidden);
  // Index of (t, d, b) in Y and of (d, b) in Y_h/Y_c/initial states, per layout.
  const yAt = (t: number, d: number, b: number): number => (layout ? ((b * seq + t) * dirs + d) : ((t * dirs + d) * batch + b)) * hidden;
  const stateAt = (d: number, b: number): number => (layout ? b * dirs + d : d * batch + b) * hidden;
  const xAt = (t: number, b: number): number => (layout ? b * seq + t : t * batch + b) * inSize;
  const h0v = h0 && toNumbers(h0);
  const c0v = c0 && toNumbers(c0);
  const pv = P && toNumbers(P);
  for (let d = 0; d < dirs; d++) {
    const reverse = direction === 'reverse' || d === 1;
    const wOff = d * G * hidden * inSize;
    const rOff = d * G * hidden * hidden;
    const wbOff = d * 2 * G * hidden;
    const rbOff = wbOff + G * hidden;
    for (let b = 0; b < batch; b++) {
      const s = stateAt(d, b);
      const h = h0v ? h0v.slice(s, s + hidden) : new Float64Array(hidden);
      const c = c0v ? c0v.slice(s, s + hidden) : new Float64Array(hidden);
      const recur = (gate: number, v: Float64Array): Float64Array => matVec(R, rOff + gate * hidden * hidden, hidden, hidden, v, 0, bias, rbOff + gate * hidden);
      const len = Math.min(seq, seqLens[b]!);
      for (let k = 0; k < len; k++) {
        const t = reverse ? len - 1 - k : k;
        spec.step({
          hidden, h, c, clip, recur, acts: acts[d]!,
          xg: matVec(W, wOff, G * hidden, inSize, x, xAt(t, b), bias, wbOff),
          hg: matVec(R, rOff, G * hidden, hidden, h, 0, bias, rbOff),
          peep: pv?.subarray(d * 3 * hidden, (d + 1) * 3 * hidden),
          linearBeforeReset: ctx.attrs.int('linear_before_reset', 0) !== 0,
          inputForget: ctx.attrs.int('input_forget', 0) !== 0,
        });
        y.set(h, yAt(t, d, b));
      }
      yh.set(h, s);
      yc.set(c, s);
    }
  }
  const dtype = X.dtype;
  const yShape = layout ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden];
  const stateShape = layout ? [batch, dirs, hidden] : [dirs, batch, hidden];
  const outs = [fromNumbers(dtype, yShape, y), fromNumbers(dtype, stateShape, yh)];
  if (kind === 'LSTM') outs.push(fromNumbers(dtype, stateShape, yc));
  return outs;
}

/**
 * RNN/GRU/LSTM outputs (ONNX LSTM doc): Y [seq, dirs, batch, hidden] and Y_h (Y_c) [dirs, batch, hidden] for
 * layout 0; [batch, seq, dirs, hidden] and [batch, dirs, hidden] for layout 1.
 */
const recurrentShape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0], layout = ctx.attrs.int('layout', 0);
  const dirs = ctx.attrs.string('direction', 'forward') === 'bidirectional' ? 2 : 1;
  const hidden = ctx.attrs.int('hidden_size') ?? inputs[2]?.dims?.[2] ?? null;
  const [seq, batch] = x?.dims?.length === 3 ? (layout === 0 ? [x.dims[0]!, x.dims[1]!] : [x.dims[1]!, x.dims[0]!]) : [null, null];
  const y = layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden];
  const state = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  return [{ dtype: x?.dtype, dims: y }, { dtype: x?.dtype, dims: state }, { dtype: x?.dtype, dims: state }];
};

export const rnnKernels: KernelDef[] = withShapes((['RNN', 'GRU', 'LSTM'] as const).map((kind) => ({
  op: kind,
  run: (inputs: (Value | undefined)[], ctx: KernelContext) => runRecurrent(kind, inputs, ctx),
})), { RNN: recurrentShape, GRU: recurrentShape, LSTM: recurrentShape });
