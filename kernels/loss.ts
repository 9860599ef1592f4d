/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (ONNX Operators.md, opset 12/13). Inputs are [N, C, d1..];
 * targets [N, d1..]. A target equal to ignore_index contributes 0 and weighs 0; 'mean' divides by the sum of the
 * weights taken (the count of targets not ignored when no weights are given).
 */
import { NeuropodError } from '../src/api/errors.js';
import { sizeOf } from '../src/tensor/tensor.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { fromNumbers, optionalTensor, tensorInput, toIndices, toNumbers } from './elements.js';
import type { KernelContext, KernelDef, ShapeFn } from './registry.js';
import { withShapes } from './shape-rules.js';

interface Layout {
  n: number;
  c: number;
  /** Product of d1..dk. */
  d: number;
}

const layoutOf = (input: Tensor): Layout => ({ n: input.shape[0]!, c: input.shape[1]!, d: sizeOf(input.shape.slice(2)) });

/** Loss per (n, d) and its weight, then the reduction the `reduction` attribute asks for. */
function negativeLogLikelihood(logProb: Float64Array, input: Tensor, target: Tensor, weight: Tensor | undefined, ctx: KernelContext): Tensor {
  const { n, c, d } = layoutOf(input);
  const labels = toIndices(target);
  const weights = weight ? toNumbers(weight) : undefined;
  const ignore = ctx.attrs.int('ignore_index');
  const reduction = ctx.attrs.string('reduction', 'mean');
  const loss = new Float64Array(n * d);
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const label = labels[i * d + j]!;
      if (label === ignore) continue;
      if (label < 0 || label >= c) throw new NeuropodError('INFERENCE_FAILED', `target ${label} is outside [0, ${c})`);
      const w = weights ? weights[label]! : 1;
      loss[i * d + j] = -logProb[(i * c + label) * d + j]! * w;
      weightSum += w;
    }
  }
  if (reduction === 'none') return fromNumbers(input.dtype, target.shape, loss);
  const total = loss.reduce((a, b) => a + b, 0);
  if (reduction === 'sum') return fromNumbers(input.dtype, [], [total]);
  if (reduction !== 'mean') throw new NeuropodError('MODEL_INVALID', `unknown reduction '${reduction}'`);
  // onnx reference: without weights or ignore_index the mean is over every element (np.mean).
  const divisor = weights || ignore !== undefined ? weightSum : n * d;
  return fromNumbers(input.dtype, [], [total / divisor]);
}

/** log(softmax(x)) over axis 1, stable (the max is subtracted first). */
function logSoftmaxAxis1(x: Float64Array, { n, c, d }: Layout): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let max = -Infinity;
      for (let k = 0; k < c; k++) max = Math.max(max, x[(i * c + k) * d + j]!);
      let sum = 0;
      for (let k = 0; k < c; k++) sum += Math.exp(x[(i * c + k) * d + j]! - max);
      const log = Math.log(sum) + max;
      for (let k = 0; k < c; k++) out[(i * c + k) * d + j] = x[(i * c + k) * d + j]! - log;
    }
  }
  return out;
}

/** The losses: the target's shape with reduction 'none', a scalar otherwise; log_prob as the scores (ONNX SoftmaxCrossEntropyLoss doc). */
const lossShape: ShapeFn = (inputs, ctx) => {
  const reduced = ctx.attrs.string('reduction', 'mean') !== 'none';
  return [{ dtype: inputs[0]?.dtype, dims: reduced ? [] : inputs[1]?.dims }, { dtype: inputs[0]?.dtype, dims: inputs[0]?.dims }];
};

const LOSS_SHAPES = { NegativeLogLikelihoodLoss: lossShape, SoftmaxCrossEntropyLoss: lossShape };

export const lossKernels: KernelDef[] = withShapes([
  {
    op: 'NegativeLogLikelihoodLoss',
    since: 12,
    run(inputs, ctx) {
      const input = tensorInput(inputs, 0, 'NegativeLogLikelihoodLoss');
      return [negativeLogLikelihood(toNumbers(input), input, tensorInput(inputs, 1, 'NegativeLogLikelihoodLoss'), optionalTensor(inputs, 2), ctx)];
    },
  },
  {
    op: 'SoftmaxCrossEntropyLoss',
    since: 12,
    run(inputs, ctx) {
      const scores = tensorInput(inputs, 0, 'SoftmaxCrossEntropyLoss');
      const logProb = logSoftmaxAxis1(toNumbers(scores), layoutOf(scores));
      const loss = negativeLogLikelihood(logProb, scores, tensorInput(inputs, 1, 'SoftmaxCrossEntropyLoss'), optionalTensor(inputs, 2), ctx);
      return [loss, fromNumbers(scores.dtype, scores.shape, logProb)];
    },
  },
], LOSS_SHAPES);
