/**
 * WebGPU RNN, GRU and LSTM (f32), every attribute the reference takes: directions, layouts, activations with
 * alpha/beta, clip, sequence_lens, initial states, peepholes, input_forget, linear_before_reset.
 * The input projection of every step and direction is one batched GEMM (X · Wᵀ, shaders/matmul); the recurrence
 * (shaders/rnn/recurrence.wgsl) fuses R · h, the biases and the gates. For hidden sizes up to PERSISTENT_HIDDEN
 * one workgroup per (direction, batch row) walks all steps in one dispatch; above, a dispatch a step spreads the
 * hidden units over workgroups (two a step for GRU without linear_before_reset, whose candidate needs r ⊙ h of
 * every unit first).
 */
import { NO_EPILOGUE, gpuInput, type GpuKernelContext, type GpuKernelDef, type GpuNodeContext, type InputInfo } from '../src/backends/webgpu/gpu-kernel.js';
import type { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { dispatchGemm, matmulSource } from './matmul-webgpu.js';
import { stridedCopy } from './tensor-webgpu.js';

type Kind = 'RNN' | 'GRU' | 'LSTM';

const GATES: Record<Kind, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTS: Record<Kind, string[]> = { RNN: ['Tanh'], GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'] };
const KIND_CODE: Record<Kind, number> = { RNN: 0, GRU: 1, LSTM: 2 };

/** Hidden sizes up to this run as one persistent dispatch (four blocks of 64 units a workgroup). */
export const PERSISTENT_HIDDEN = 256;

const FLAG = { bias: 1, h0: 2, c0: 4, peep: 8, lens: 16, clip: 32, inputForget: 64, linearBeforeReset: 128 };

const lit = (v: number) => `f32(${v})`;

/** WGSL of each recurrent activation on `x`, with the alpha/beta it takes and their defaults (as the reference). */
const ACTIVATIONS: Record<string, { alpha?: number; beta?: number; wgsl: (a: string, b: string) => string }> = {
  relu: { wgsl: () => 'max(x, 0.0)' },
  tanh: { wgsl: () => 'tanh_f32(x)' },
  sigmoid: { wgsl: () => 'sigmoid_f32(x)' },
  affine: { alpha: 1, beta: 0, wgsl: (a, b) => `${a} * x + ${b}` },
  leakyrelu: { alpha: 0.01, wgsl: (a) => `select(${a} * x, x, x >= 0.0)` },
  thresholdedrelu: { alpha: 1, wgsl: (a) => `select(0.0, x, x > ${a})` },
  scaledtanh: { alpha: 1, beta: 1, wgsl: (a, b) => `${a} * tanh_f32(${b} * x)` },
  hardsigmoid: { alpha: 0.2, beta: 0.5, wgsl: (a, b) => `clamp(${a} * x + ${b}, 0.0, 1.0)` },
  elu: { alpha: 1, wgsl: (a) => `select(${a} * (exp(x) - 1.0), x, x >= 0.0)` },
  softsign: { wgsl: () => 'x / (1.0 + abs(x))' },
  softplus: { wgsl: () => 'select(log(1.0 + exp(x)), x, x > 20.0)' },
};

/**
 * `fn act_f(d, x)`, `act_g`, `act_h`: the node's activations (f, g, h in the ONNX names; the reference's order,
 * direction-major), or undefined when the list is not one the kernel takes (wrong length, an unknown name, a
 * non-finite parameter): the reference then runs and says what is wrong. Slots a cell lacks are the identity.
 */
function activationsWgsl(kind: Kind, dirs: number, ctx: GpuNodeContext): string | undefined {
  const per = DEFAULT_ACTS[kind].length;
  const names = ctx.attrs.strings('activations', []);
  const list = names.length ? names : Array.from({ length: dirs }, () => DEFAULT_ACTS[kind]).flat();
  if (list.length !== dirs * per) return undefined;
  const alphas = [...ctx.attrs.floats('activation_alpha', [])];
  const betas = [...ctx.attrs.floats('activation_beta', [])];
  const exprs: string[] = [];
  for (const name of list) {
    const row = ACTIVATIONS[name.toLowerCase()];
    if (!row) return undefined;
    const a = row.alpha === undefined ? 0 : alphas.length ? alphas.shift()! : row.alpha;
    const b = row.beta === undefined ? 0 : betas.length ? betas.shift()! : row.beta;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
    exprs.push(row.wgsl(lit(a), lit(b)));
  }
  return ['f', 'g', 'h'].map((slot, i) => {
    if (i >= per) return `fn act_${slot}(d: u32, x: f32) -> f32 { return x; }`;
    const body = dirs === 1 ? `return ${exprs[i]};` : `if (d == 0u) { return ${exprs[i]}; }\n  return ${exprs[per + i]};`;
    return `fn act_${slot}(d: u32, x: f32) -> f32 {\n  ${body}\n}`;
  }).join('\n');
}

interface Dims {
  dirs: number;
  seq: number;
  batch: number;
  inSize: number;
  hidden: number;
  layout: number;
}

function dimsOf(x: readonly number[], r: readonly number[] | undefined, ctx: GpuNodeContext): Dims | undefined {
  if (x.length !== 3) return undefined;
  const layout = ctx.attrs.int('layout', 0);
  const direction = ctx.attrs.string('direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction) || (layout !== 0 && layout !== 1)) return undefined;
  const [seq, batch, inSize] = (layout ? [x[1], x[0], x[2]] : x) as [number, number, number];
  const hidden = ctx.attrs.int('hidden_size') ?? r?.[2];
  if (hidden === undefined) return undefined;
  return { dirs: direction === 'bidirectional' ? 2 : 1, seq, batch, inSize, hidden, layout };
}

const same = (shape: readonly number[] | undefined, want: readonly number[]) => shape !== undefined && shape.length === want.length && shape.every((d, i) => d === want[i]);

function recurrentAccepts(kind: Kind, inputs: readonly (InputInfo | undefined)[], ctx: GpuNodeContext): boolean {
  const [x, w, r, bias, lens, h0, c0, peep] = inputs;
  if (!x || !w || !r || ctx.node.domain !== '') return false;
  const floats = [x, w, r, bias, h0, c0, peep].every((t) => t === undefined || t.dtype === 'float32');
  if (!floats || (lens && lens.dtype !== 'int32' && lens.dtype !== 'int64')) return false;
  const d = dimsOf(x.shape, r.shape, ctx);
  if (!d || d.batch > 65535 || activationsWgsl(kind, d.dirs, ctx) === undefined) return false;
  const GH = GATES[kind] * d.hidden;
  const state = d.layout ? [d.batch, d.dirs, d.hidden] : [d.dirs, d.batch, d.hidden];
  if (!same(w.shape, [d.dirs, GH, d.inSize]) || !same(r.shape, [d.dirs, GH, d.hidden])) return false;
  if (bias && !same(bias.shape, [d.dirs, 2 * GH])) return false;
  if (lens && !same(lens.shape, [d.batch])) return false;
  if ((h0 && !same(h0.shape, state)) || (c0 && !same(c0.shape, state))) return false;
  return !peep || same(peep.shape, [d.dirs, 3 * d.hidden]);
}

/** The recurrence with the node's activations. */
const recurrenceSource = (kind: Kind, ctx: GpuNodeContext) => {
  const dirs = ctx.attrs.string('direction', 'forward') === 'bidirectional' ? 2 : 1;
  const twoPhases = kind === 'GRU' && ctx.attrs.int('linear_before_reset', 0) === 0;
  return shaderSource('rnn/recurrence', { ACTS: activationsWgsl(kind, dirs, ctx) ?? '', KIND: String(KIND_CODE[kind]), TWO_PHASE: String(twoPhases) });
};

function encodeRecurrent(kind: Kind, inputs: readonly (GpuTensor | undefined)[], ctx: GpuKernelContext): (GpuTensor | undefined)[] {
  const x = gpuInput(inputs, 0, kind), w = gpuInput(inputs, 1, kind), r = gpuInput(inputs, 2, kind);
  const [bias, lens, h0] = [inputs[3], inputs[4], inputs[5]];
  const c0 = kind === 'LSTM' ? inputs[6] : undefined;
  const peep = kind === 'LSTM' ? inputs[7] : undefined;
  const { dirs, seq, batch, inSize, hidden: H, layout } = dimsOf(x.shape, r.shape, ctx)!;
  const G = GATES[kind], GH = G * H, rows = seq * batch;
  const run = ctx.run;

  // Every step's input projection at once: proj[d] = X (rows x in) · W[d]ᵀ, with Wᵀ copied out row-major first
  // (neighbouring threads read neighbouring words). Up to 64 rows (a tile's height) each row is a GEMV batch: a
  // thread an output, no tile mostly idle.
  const wt = run.output('float32', [dirs, inSize, GH]);
  stridedCopy(ctx, w, wt, [dirs, inSize, GH], { offset: 0, strides: [GH * inSize, 1, inSize] }, { offset: 0, strides: [inSize * GH, GH, 1] });
  const proj = run.output('float32', [dirs, rows, GH]);
  const plain = { ...ctx, epilogue: NO_EPILOGUE };
  if (rows <= 64) dispatchGemm({ a: x, b: wt, M: 1, N: GH, K: inSize, aStrides: [inSize, 1], bStrides: [GH, 1], batch: { shape: [dirs, rows], a: [0, inSize], b: [GH * inSize, 0] } }, proj, plain);
  else dispatchGemm({ a: x, b: wt, M: rows, N: GH, K: inSize, aStrides: [inSize, 1], bStrides: [GH, 1], batch: { shape: [dirs], a: [0], b: [GH * inSize] } }, proj, plain);
  wt.storage.release();

  // R transposed to [d][k][gate row]: the threads of a workgroup, a hidden unit each, read neighbouring words.
  const rt = run.output('float32', [dirs, H, GH]);
  stridedCopy(ctx, r, rt, [dirs, H, GH], { offset: 0, strides: [GH * H, 1, H] }, { offset: 0, strides: [H * GH, GH, 1] });

  // The small optional inputs packed into one buffer of 32-bit words (a shader stage binds at most 8 buffers).
  const parts: [GpuTensor | undefined, number][] = [[bias, FLAG.bias], [h0, FLAG.h0], [c0, FLAG.c0], [peep, FLAG.peep], [lens, FLAG.lens]];
  const total = parts.reduce((n, [t]) => n + (t?.size ?? 0), 0);
  const aux = total > 0 ? run.output('float32', [total]) : undefined;
  const offsets: number[] = [];
  let flags = 0, at = 0;
  for (const [t, flag] of parts) {
    offsets.push(at);
    if (!t) continue;
    flags |= flag;
    if (t.size > 0) stridedCopy(ctx, t, aux!, [t.size], { offset: 0, strides: [1] }, { offset: at, strides: [1] });
    at += t.size;
  }
  const clip = ctx.attrs.float('clip');
  if (clip !== undefined) flags |= FLAG.clip;
  if (ctx.attrs.int('input_forget', 0) !== 0) flags |= FLAG.inputForget;
  const linearBeforeReset = ctx.attrs.int('linear_before_reset', 0) !== 0;
  if (linearBeforeReset) flags |= FLAG.linearBeforeReset;

  const yShape = layout ? [batch, seq, dirs, H] : [seq, dirs, batch, H];
  const stateShape = layout ? [batch, dirs, H] : [dirs, batch, H];
  const y = run.output('float32', yShape), yh = run.output('float32', stateShape);
  // LSTM's Y_c; GRU's scratch for z and r ⊙ h; a word RNN never touches (writable bindings may not alias).
  const yc = run.output('float32', kind === 'LSTM' ? stateShape : kind === 'GRU' ? [2 * dirs * batch * H] : [1]);

  const direction = { forward: 0, reverse: 1, bidirectional: 2 }[ctx.attrs.string('direction', 'forward')] ?? 0;
  const twoPhases = kind === 'GRU' && !linearBeforeReset;
  const [rowLo, rowHi] = twoPhases ? [2, 3] : [0, G];
  const blocks = Math.ceil(H / 64);
  const shader = recurrenceSource(kind, ctx);
  const buffers = [proj, rt, aux ?? proj, y, yh, yc];
  const uniforms = (k0: number, steps: number, blocksPer: number, phases: number) =>
    new UniformWriter()
      .u32(seq, batch, H, G)
      .u32(layout, flags, direction)
      .u32(k0, steps, blocksPer, phases)
      .u32(offsets[0]!, offsets[1]!, offsets[2]!, offsets[3]!)
      .u32(offsets[4]!, dirs, rowLo, rowHi)
      .f32(clip ?? 0)
      .bytes();
  if (H <= PERSISTENT_HIDDEN) {
    run.dispatch({ shader, uniforms: uniforms(0, seq, blocks, twoPhases ? 3 : 2), buffers, workgroups: [1, dirs, batch] });
  } else {
    for (let k = 0; k < Math.max(seq, 1); k++) {
      const steps = seq === 0 ? 0 : 1;
      if (twoPhases) run.dispatch({ shader, uniforms: uniforms(k, steps, 1, 1), buffers, workgroups: [blocks, dirs, batch] });
      run.dispatch({ shader, uniforms: uniforms(k, steps, 1, 2), buffers, workgroups: [blocks, dirs, batch] });
    }
  }
  for (const t of [proj, rt, aux]) t?.storage.release();
  if (kind !== 'LSTM') yc.storage.release();
  return kind === 'LSTM' ? [y, yh, yc] : [y, yh];
}

function recurrentKernel(kind: Kind): GpuKernelDef {
  return {
    op: kind,
    accepts: (inputs, ctx) => recurrentAccepts(kind, inputs, ctx),
    shaders: (ctx) => [matmulSource({ ...ctx, epilogue: NO_EPILOGUE }), matmulSource({ ...ctx, epilogue: NO_EPILOGUE }, true), shaderSource('matmul/gemv', { EPILOGUE: NO_EPILOGUE.wgsl }), shaderSource('tensor/strided-copy'), recurrenceSource(kind, ctx)],
    encode: (inputs, ctx) => encodeRecurrent(kind, inputs as (GpuTensor | undefined)[], ctx),
  };
}

export const rnnWebGpuKernels: GpuKernelDef[] = [recurrentKernel('RNN'), recurrentKernel('GRU'), recurrentKernel('LSTM')];
