import { Tensor } from '../../tensor/tensor.js';
import { Sym } from './graph-builder.js';
import type { OperatorContext } from './operators.js';
import { asSym, constInt, itemsOf } from './tensor-values.js';
import { PickleTuple, type PyValue } from './values.js';

/**
 * torch gate blocks, in the order ONNX wants them. torch LSTM packs i,f,g,o; ONNX LSTM i,o,f,c. torch GRU packs
 * r,z,n; ONNX GRU z,r,h (and torch applies the reset gate after the hidden matmul: linear_before_reset=1).
 */
const GATE_ORDER = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2] } as const;

type Kind = keyof typeof GATE_ORDER;

/** aten::lstm / aten::gru (flat weights) as one ONNX LSTM/GRU node a layer, each direction stacked. */
export function lowerRecurrent(c: OperatorContext, kind: Kind, [input, hx, params, hasBiases, numLayers, , , bidirectional, batchFirst]: PyValue[]): PyValue {
  const weights = itemsOf(params) ?? [];
  if (!weights.every((w) => w instanceof Tensor)) throw c.fail('OP_UNSUPPORTED', `aten::${kind.toLowerCase()} with weights computed at run time`);
  const layers = constInt(c, numLayers, 'num_layers');
  const directions = bidirectional === true ? 2 : 1;
  const perCell = hasBiases === true ? 4 : 2;
  const states = (kind === 'LSTM' ? itemsOf(hx) ?? [] : [hx]).map((h) => asSym(c, h));
  let x = asSym(c, input);
  if (batchFirst === true) x = c.builder.op('Transpose', [x], x.dtype, 3, { perm: [1, 0, 2] });
  const finals: Sym[][] = states.map(() => []);
  for (let layer = 0; layer < layers; layer++) {
    const cells = Array.from({ length: directions }, (_, d) => weights.slice((layer * directions + d) * perCell, (layer * directions + d + 1) * perCell) as Tensor[]);
    const hidden = cells[0]![1]!.shape[1]!;
    const initial = states.map((h) => c.builder.op('Slice', [h, c.builder.int64s([layer * directions]), c.builder.int64s([(layer + 1) * directions]), c.builder.int64s([0])], h.dtype, 3));
    const [W, R, B] = packWeights(kind, cells, hidden);
    const outs = c.builder.node(kind, [x, c.builder.constant(W, 'rnn_W'), c.builder.constant(R, 'rnn_R'), c.builder.constant(B, 'rnn_B'), undefined, ...initial], 1 + states.length, {
      hidden_size: hidden,
      direction: directions === 2 ? 'bidirectional' : 'forward',
      linear_before_reset: kind === 'GRU' ? 1 : undefined,
    });
    // Y is [seq, directions, batch, hidden]; the next layer (and the result) wants [seq, batch, directions * hidden].
    const y = c.builder.op('Transpose', [outs[0]!], x.dtype, 4, { perm: [0, 2, 1, 3] });
    x = c.builder.op('Reshape', [y, c.builder.int64s([0, 0, -1])], x.dtype, 3);
    outs.slice(1).forEach((name, i) => finals[i]!.push(new Sym(name, x.dtype, 3)));
  }
  const output = batchFirst === true ? c.builder.op('Transpose', [x], x.dtype, 3, { perm: [1, 0, 2] }) : x;
  const lastStates = finals.map((list) => (list.length === 1 ? list[0]! : c.builder.op('Concat', list, x.dtype, 3, { axis: 0 })));
  return new PickleTuple([output, ...lastStates]);
}

/** ONNX W [dirs, G*H, in], R [dirs, G*H, H], B [dirs, 2*G*H] from torch's per-direction w_ih, w_hh, b_ih, b_hh. */
function packWeights(kind: Kind, cells: Tensor[][], hidden: number): [Tensor, Tensor, Tensor] {
  const order = GATE_ORDER[kind];
  const gates = order.length;
  const stack = (pick: (cell: Tensor[]) => Tensor | undefined, cols: number) => {
    const out = new Float32Array(cells.length * gates * hidden * cols);
    cells.forEach((cell, d) => {
      const t = pick(cell);
      const src = t ? Float32Array.from(t.data as ArrayLike<number>) : new Float32Array(gates * hidden * cols);
      order.forEach((from, to) => out.set(src.subarray(from * hidden * cols, (from + 1) * hidden * cols), (d * gates + to) * hidden * cols));
    });
    return out;
  };
  const inputSize = cells[0]![0]!.shape[1]!;
  const W = stack((cell) => cell[0], inputSize);
  const R = stack((cell) => cell[1], hidden);
  const bi = stack((cell) => cell[2], 1);
  const bh = stack((cell) => cell[3], 1);
  const B = new Float32Array(cells.length * 2 * gates * hidden);
  for (let d = 0; d < cells.length; d++) {
    B.set(bi.subarray(d * gates * hidden, (d + 1) * gates * hidden), d * 2 * gates * hidden);
    B.set(bh.subarray(d * gates * hidden, (d + 1) * gates * hidden), (d * 2 + 1) * gates * hidden);
  }
  const dirs = cells.length;
  return [
    new Tensor('float32', [dirs, gates * hidden, inputSize], W),
    new Tensor('float32', [dirs, gates * hidden, hidden], R),
    new Tensor('float32', [dirs, 2 * gates * hidden], B),
  ];
}
