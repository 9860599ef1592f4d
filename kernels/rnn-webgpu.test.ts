/**
 * WebGPU RNN / GRU / LSTM against the reference kernels (rnn.ts, in doubles) on seeded inputs, every output
 * (Y, Y_h, Y_c) compared, in Node through the `webgpu` package. Each case also checks the node ran on WebGPU.
 * Hidden sizes above PERSISTENT_HIDDEN take the dispatch-a-step path; the others the persistent one.
 */
import { describe, expect, it } from 'vitest';
import type { Node } from '../src/graph/ir.js';
import type { Value } from '../src/graph/value.js';
import { WebGpuModel } from '../src/backends/webgpu/webgpu-backend.js';
import { oneNodeModel, randomTensor, webgpuMissing, worstRelative, type OneNode } from '../src/backends/webgpu/webgpu-harness.js';
import { GraphExecutor, type OpTiming } from '../src/runtime/executor.js';
import { Tensor } from '../src/tensor/tensor.js';
import { referenceKernels } from './index.js';
import { PERSISTENT_HIDDEN } from './rnn-webgpu.js';

const missing = await webgpuMissing();
const r = randomTensor;
const names = (value: string[]) => ({ type: 'strings' as const, value });
const floats = (value: number[]) => ({ type: 'floats' as const, value });
const i32 = (values: number[]) => new Tensor('int32', [values.length], Int32Array.from(values));

interface Case {
  kind: 'RNN' | 'GRU' | 'LSTM';
  seq: number;
  batch: number;
  input: number;
  hidden: number;
  dirs?: 1 | 2;
  attrs?: OneNode['attrs'];
  bias?: boolean;
  lens?: number[];
  h0?: boolean;
  c0?: boolean;
  peep?: boolean;
  /** W, R, B as initializers (a model's weights), not feeds. */
  constants?: boolean;
}

const GATES = { RNN: 1, GRU: 3, LSTM: 4 };

function node(c: Case, seed: number): OneNode {
  const dirs = c.dirs ?? 1, G = GATES[c.kind], H = c.hidden;
  const layout = c.attrs?.layout === 1;
  const scale = 1 / Math.sqrt(H);
  const state = layout ? [c.batch, dirs, H] : [dirs, c.batch, H];
  const inputs: (Tensor | undefined)[] = [
    r(layout ? [c.batch, c.seq, c.input] : [c.seq, c.batch, c.input], seed),
    r([dirs, G * H, c.input], seed + 1, -scale, scale),
    r([dirs, G * H, H], seed + 2, -scale, scale),
    c.bias ? r([dirs, 2 * G * H], seed + 3, -0.5, 0.5) : undefined,
    c.lens ? i32(c.lens) : undefined,
    c.h0 ? r(state, seed + 4) : undefined,
  ];
  if (c.kind === 'LSTM') inputs.push(c.c0 ? r(state, seed + 5) : undefined, c.peep ? r([dirs, 3 * H], seed + 6) : undefined);
  while (inputs.length > 0 && inputs[inputs.length - 1] === undefined) inputs.pop();
  const direction = dirs === 2 ? 'bidirectional' : 'forward';
  return { op: c.kind, inputs, attrs: { hidden_size: H, direction, ...c.attrs }, opset: 14, constants: c.constants ? [1, 2, 3] : undefined };
}

/** Every output of the node on WebGPU and on the reference, and where it ran. */
async function runAll(c: OneNode, outputs: string[]): Promise<{ gpu: Tensor[]; cpu: Tensor[]; ranOn: string[] }> {
  const { model, feeds } = oneNodeModel(c);
  const n = model.graph.nodes[0] as Node;
  n.outputs = outputs;
  model.graph.outputs = outputs.map((name) => ({ name }));
  const cpuOut = new GraphExecutor(model, referenceKernels).run(new Map<string, Value>(feeds), outputs);
  const prepared = await WebGpuModel.prepare(model);
  try {
    const profile: OpTiming[] = [];
    const gpuOut = await prepared.run(feeds, outputs, profile);
    return { gpu: outputs.map((o) => gpuOut.get(o) as Tensor), cpu: outputs.map((o) => cpuOut.get(o) as Tensor), ranOn: profile.map((p) => p.backend) };
  } finally {
    prepared.dispose();
  }
}

const CASES: [string, Case][] = [
  ['LSTM lstm_tagger-sized: seq 32, hidden 128, initial states, bias (weights as constants)', { kind: 'LSTM', seq: 32, batch: 1, input: 64, hidden: 128, bias: true, h0: true, c0: true, constants: true }],
  ['LSTM with 80 (seq x batch) rows: the tiled GEMM projection', { kind: 'LSTM', seq: 20, batch: 4, input: 12, hidden: 16, bias: true }],
  ['LSTM forward, no optional inputs, batch 3, hidden 20', { kind: 'LSTM', seq: 5, batch: 3, input: 7, hidden: 20 }],
  ['LSTM bidirectional, peepholes, sequence_lens (one 0), clip, layout 1', { kind: 'LSTM', seq: 6, batch: 3, input: 5, hidden: 70, dirs: 2, bias: true, lens: [6, 0, 3], h0: true, c0: true, peep: true, attrs: { clip: 0.7, layout: 1 } }],
  ['LSTM reverse, input_forget, activations with alpha/beta', { kind: 'LSTM', seq: 4, batch: 2, input: 3, hidden: 9, bias: true, attrs: { direction: 'reverse', input_forget: 1, activations: names(['HardSigmoid', 'ScaledTanh', 'LeakyRelu']), activation_alpha: floats([0.3, 0.9, 0.05]), activation_beta: floats([0.4, 1.2]) } }],
  [`LSTM bidirectional, hidden 300 > ${PERSISTENT_HIDDEN} (a dispatch a step), sequence_lens`, { kind: 'LSTM', seq: 3, batch: 2, input: 6, hidden: 300, dirs: 2, bias: true, lens: [3, 2], h0: true, c0: true, peep: true }],
  ['GRU bidirectional, bias, initial_h (r ⊙ h before R)', { kind: 'GRU', seq: 5, batch: 2, input: 4, hidden: 33, dirs: 2, bias: true, h0: true }],
  ['GRU linear_before_reset, sequence_lens, layout 1', { kind: 'GRU', seq: 5, batch: 3, input: 4, hidden: 65, bias: true, lens: [2, 5, 1], h0: true, attrs: { linear_before_reset: 1, layout: 1 } }],
  ['GRU reverse, Softsign / Elu activations, clip', { kind: 'GRU', seq: 4, batch: 1, input: 3, hidden: 8, attrs: { direction: 'reverse', activations: names(['Softsign', 'Elu']), activation_alpha: floats([0.5]), clip: 0.9 } }],
  [`GRU hidden 260 > ${PERSISTENT_HIDDEN} (two dispatches a step), bias, initial_h`, { kind: 'GRU', seq: 3, batch: 2, input: 5, hidden: 260, bias: true, h0: true }],
  [`GRU hidden 260, linear_before_reset (one dispatch a step)`, { kind: 'GRU', seq: 3, batch: 1, input: 5, hidden: 260, dirs: 2, bias: true, attrs: { linear_before_reset: 1 } }],
  ['RNN bidirectional Relu / Tanh, bias, initial_h', { kind: 'RNN', seq: 6, batch: 2, input: 4, hidden: 17, dirs: 2, bias: true, h0: true, attrs: { activations: names(['Relu', 'Tanh']) } }],
  ['RNN with Affine and Softplus (two directions), sequence_lens', { kind: 'RNN', seq: 4, batch: 2, input: 3, hidden: 5, dirs: 2, lens: [4, 1], attrs: { activations: names(['Affine', 'Softplus']), activation_alpha: floats([0.5]), activation_beta: floats([0.1]) } }],
];

describe.skipIf(missing !== undefined)('WebGPU RNN / GRU / LSTM match the reference kernels', () => {
  it.each(CASES.map(([name, c], i) => [name, c, 1000 + 10 * i] as const))('%s', async (_, c, seed) => {
    const outputs = c.kind === 'LSTM' ? ['y', 'yh', 'yc'] : ['y', 'yh'];
    const { gpu, cpu, ranOn } = await runAll(node(c, seed), outputs);
    expect(ranOn).toEqual(['webgpu']);
    outputs.forEach((name, i) => {
      expect(gpu[i]!.shape, name).toEqual(cpu[i]!.shape);
      // f32 on the GPU against the reference's doubles, errors carried along the steps: 1e-4.
      expect(worstRelative(gpu[i]!, cpu[i]!), name).toBeLessThanOrEqual(1e-4);
    });
  });

  it('a float64 LSTM stays on the reference', async () => {
    const c = node({ kind: 'LSTM', seq: 2, batch: 1, input: 2, hidden: 3 }, 9);
    c.inputs = c.inputs.map((t) => t && new Tensor('float64', t.shape, Float64Array.from(t.numeric as Float32Array)));
    const { gpu, cpu, ranOn } = await runAll(c, ['y']);
    expect(ranOn).toEqual(['cpu']);
    expect(worstRelative(gpu[0]!, cpu[0]!)).toBe(0);
  });
});
