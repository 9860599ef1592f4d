import { Tensor } from '../src/tensor/tensor.js';
import { broadcastElements, isBig } from './element-loops.js';
import { tensorInput } from './elements.js';
import { erf, unaryKernel, type UnaryRow } from './elementwise.js';
import type { KernelDef } from './registry.js';
import { sameShape, withShapes } from './shape-rules.js';

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
/** log(1 + e^x) without overflow for large x. */
const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** Activations, one row each; defaults are the ONNX operator docs'. */
const ACTIVATIONS: UnaryRow[] = [
  { op: 'Relu', make: () => (x) => (x < 0 ? 0 : x), big: () => (x) => (x < 0n ? 0n : x) },
  { op: 'LeakyRelu', make: (a) => { const alpha = a.float('alpha', 0.01); return (x) => (x < 0 ? alpha * x : x); } },
  { op: 'Elu', make: (a) => { const alpha = a.float('alpha', 1); return (x) => (x < 0 ? alpha * Math.expm1(x) : x); } },
  {
    op: 'Selu',
    make: (a) => {
      const alpha = a.float('alpha', 1.67326319217681884765625);
      const gamma = a.float('gamma', 1.05070102214813232421875);
      return (x) => gamma * (x <= 0 ? alpha * Math.expm1(x) : x);
    },
  },
  // Celu-12: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
  { op: 'Celu', make: (a) => { const alpha = a.float('alpha', 1); return (x) => Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha)); } },
  { op: 'Sigmoid', make: () => sigmoid },
  {
    op: 'HardSigmoid',
    make: (a) => {
      const alpha = a.float('alpha', 0.2);
      const beta = a.float('beta', 0.5);
      return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    },
  },
  // HardSwish-14: x * HardSigmoid(x) with alpha 1/6, beta 0.5.
  { op: 'HardSwish', make: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)) },
  { op: 'Softplus', make: () => softplus },
  { op: 'Softsign', make: () => (x) => x / (1 + Math.abs(x)) },
  { op: 'Mish', make: () => (x) => x * Math.tanh(softplus(x)) },
  {
    // Gelu-20: approximate 'none' uses erf, 'tanh' the tanh formula.
    op: 'Gelu',
    make: (a) => {
      if (a.string('approximate', 'none') === 'tanh') {
        const k = Math.sqrt(2 / Math.PI);
        return (x) => 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x * x * x)));
      }
      return (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    },
  },
  { op: 'ThresholdedRelu', make: (a) => { const alpha = a.float('alpha', 1); return (x) => (x > alpha ? x : 0); } },
  {
    op: 'Shrink',
    make: (a) => {
      const lambd = a.float('lambd', 0.5);
      const bias = a.float('bias', 0);
      return (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0);
    },
  },
  // Swish-24: x * sigmoid(alpha * x).
  { op: 'Swish', make: (a) => { const alpha = a.float('alpha', 1); return (x) => x * sigmoid(alpha * x); } },
];

/**
 * PRelu: slope broadcast to X (unidirectionally, opset 7+). Before opset 7 a 1-D slope of X's channel count is
 * per channel, along axis 1 (PRelu-6 doc).
 */
const prelu: KernelDef = {
  op: 'PRelu',
  run(inputs, ctx) {
    const x = tensorInput(inputs, 0, 'PRelu');
    let slope = tensorInput(inputs, 1, 'PRelu');
    if (ctx.opset < 7 && slope.rank === 1 && x.rank > 2 && slope.size > 1 && slope.size === x.shape[1]) {
      slope = new Tensor(slope.dtype, [slope.size, ...new Array<number>(x.rank - 2).fill(1)], slope.data);
    }
    const f = isBig(x.dtype)
      ? (v: unknown, s: unknown) => ((v as bigint) < 0n ? (v as bigint) * (s as bigint) : (v as bigint))
      : (v: unknown, s: unknown) => ((v as number) < 0 ? (v as number) * (s as number) : (v as number));
    return [broadcastElements(x, slope, x.dtype, f)];
  },
};

// Every activation keeps its input's shape; PRelu's slope broadcasts onto X (unidirectional), so Y is X's shape.
export const activationKernels: KernelDef[] = withShapes([...ACTIVATIONS.map(unaryKernel), prelu], Object.fromEntries([...ACTIVATIONS.map((a) => a.op), 'PRelu'].map((op) => [op, sameShape])));
