import { NeuropodError } from '../../api/errors.js';
import type { AttributeValue } from '../../graph/ir.js';
import { Tensor } from '../../tensor/tensor.js';
import { ir } from '../tensorflow/attr.js';
import type { NodeLowering } from '../tensorflow/builder.js';
import { permuteConstant } from '../tensorflow/constant-layout.js';
import type { Lowering } from '../tensorflow/ops.js';

/** Keras activations as ONNX RNN activation names, with the alpha/beta those take (TF.js hard_sigmoid: 0.2x + 0.5). */
const RNN_ACTIVATIONS: Record<string, { name: string; alpha?: number; beta?: number }> = {
  tanh: { name: 'Tanh' }, sigmoid: { name: 'Sigmoid' }, relu: { name: 'Relu' }, hard_sigmoid: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  softsign: { name: 'Softsign' }, softplus: { name: 'Softplus' }, linear: { name: 'Affine', alpha: 1, beta: 0 },
};

/** Keras kernels are [input, gates * units] in Keras gate order; ONNX wants [1, gates * units, input] in its own. */
function gateWeight(kernel: Tensor, units: number, order: number[]): Tensor {
  const transposed = permuteConstant(kernel, [1, 0]);
  const rows = transposed.shape[1]!;
  const blocks = order.map((g) => (transposed.data as Float32Array).subarray(g * units * rows, (g + 1) * units * rows));
  const data = new Float32Array(order.length * units * rows);
  blocks.forEach((b, i) => data.set(b, i * units * rows));
  return new Tensor('float32', [1, order.length * units, rows], data);
}

function gateBias(bias: Tensor | undefined, units: number, order: number[], resetAfter: boolean): Tensor {
  const gates = order.length;
  const data = new Float32Array(2 * gates * units);
  if (bias) {
    const values = bias.data as Float32Array;
    const rows = resetAfter ? 2 : 1;
    for (let r = 0; r < rows; r++) {
      order.forEach((g, i) => data.set(values.subarray((r * gates + g) * units, (r * gates + g + 1) * units), (r * gates + i) * units));
    }
  }
  return new Tensor('float32', [1, 2 * gates * units], data);
}

function activationAttrs(n: NodeLowering, names: string[]): Record<string, AttributeValue> {
  const acts = names.map((a) => {
    const act = RNN_ACTIVATIONS[a];
    if (!act) throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: recurrent activation '${a}' is not lowered`);
    return act;
  });
  const alphas = acts.filter((a) => a.alpha !== undefined);
  return {
    activations: ir.strings(acts.map((a) => a.name)),
    ...(alphas.length ? { activation_alpha: ir.floats(alphas.map((a) => a.alpha!)), activation_beta: ir.floats(alphas.map((a) => a.beta!)) } : {}),
  };
}

/**
 * Keras GRU/LSTM on [batch, time, features] as ONNX GRU/LSTM with layout 1. Gate orders: Keras GRU z, r, h is
 * ONNX's; Keras LSTM i, f, c, o becomes ONNX i, o, f, c. go_backwards is ONNX's reverse direction.
 */
function recurrent(op: 'GRU' | 'LSTM'): Lowering {
  return (n) => {
    const units = n.attrs.int('units');
    const order = op === 'GRU' ? [0, 1, 2] : [0, 3, 1, 2];
    const resetAfter = n.attrs.bool('reset_after');
    const kernel = n.requireConstant(1, 'kernel');
    const recurrentKernel = n.requireConstant(2, 'recurrent kernel');
    const bias = n.inputCount > 3 ? n.requireConstant(3, 'bias') : undefined;
    const backwards = n.attrs.bool('go_backwards');
    const sequences = n.attrs.bool('return_sequences');
    if (backwards && sequences) throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: go_backwards with return_sequences (outputs in reversed time) is not lowered`);
    const add = (t: Tensor, what: string) => n.builder.addConstant(t, `${n.node.name}/${what}`);
    const inner = [n.attrs.string('recurrent_activation'), n.attrs.string('activation')];
    const attrs: Record<string, AttributeValue> = {
      hidden_size: ir.int(units),
      layout: ir.int(1),
      direction: ir.string(backwards ? 'reverse' : 'forward'),
      ...activationAttrs(n, op === 'GRU' ? inner : [...inner, inner[1]!]),
      ...(op === 'GRU' ? { linear_before_reset: ir.int(resetAfter ? 1 : 0) } : {}),
    };
    const inputs = [n.input(0), add(gateWeight(kernel, units, order), 'W'), add(gateWeight(recurrentKernel, units, order), 'R'), add(gateBias(bias, units, order, resetAfter), 'B')];
    const [all, last] = n.emit(op, inputs, attrs, op === 'GRU' ? 2 : 3);
    // layout 1: Y is [batch, time, directions, units], Y_h is [batch, directions, units].
    n.produce(0, sequences ? n.op('Squeeze', [all!, n.int64s([2])]) : n.op('Squeeze', [last!, n.int64s([1])]));
  };
}

export const KERAS_OPS: Record<string, Lowering> = {
  KerasFlatten: (n) => n.produce(0, n.op('Flatten', [n.input(0)], { axis: ir.int(1) })),
  KerasHardSigmoid: (n) => n.produce(0, n.op('HardSigmoid', [n.input(0)], { alpha: ir.float(0.2), beta: ir.float(0.5) })),
  KerasGRU: recurrent('GRU'),
  KerasLSTM: recurrent('LSTM'),
};
