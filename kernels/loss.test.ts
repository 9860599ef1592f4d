import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, rounded, runKernel } from './kernel-harness.js';
import { lossKernels } from './loss.js';

const labels = (shape: number[], v: number[]) => new Tensor('int64', shape, BigInt64Array.from(v.map(BigInt)));
// Log-probabilities for N=2, C=3; the picked entries are -3 (class 2) and -0.5 (class 0).
const logProb = f32([2, 3], [-1, -2, -3, -0.5, -1.5, -2.5]);
const target = labels([2], [2, 0]);

describe('NegativeLogLikelihoodLoss', () => {
  const nll = (attrs: Record<string, number | string>, weight?: Tensor) => runKernel(lossKernels, 'NegativeLogLikelihoodLoss', [logProb, target, weight], attrs, 13)[0]!;
  it("gives -input[n, target[n]] per sample with reduction 'none'", () => {
    expect(rounded(nll({ reduction: 'none' }))).toEqual([3, 0.5]);
  });
  it('averages by default: (3 + 0.5) / 2', () => {
    expect(rounded(nll({}))).toEqual([1.75]);
  });
  it('divides a weighted mean by the weights taken: (2*3 + 1*0.5) / (2 + 1)', () => {
    expect(rounded(nll({}, f32([3], [1, 1, 2])))).toEqual([2.16667]);
  });
  it('drops targets equal to ignore_index from both sum and divisor', () => {
    expect(rounded(nll({ ignore_index: 2 }))).toEqual([0.5]);
    expect(rounded(nll({ ignore_index: 2, reduction: 'sum' }))).toEqual([0.5]);
  });
  it('keeps the spatial dims of [N, C, d1] inputs', () => {
    const input = f32([1, 2, 2], [-1, -2, -3, -4]); // class 0 at d=0,1 is -1,-2; class 1 is -3,-4
    const out = runKernel(lossKernels, 'NegativeLogLikelihoodLoss', [input, labels([1, 2], [1, 0])], { reduction: 'none' }, 13)[0]!;
    expect(out.shape).toEqual([1, 2]);
    expect(rounded(out)).toEqual([3, 2]);
  });
});

describe('SoftmaxCrossEntropyLoss', () => {
  it('is -log(softmax) of the target class, with log_prob as second output (log(1/2) = -0.693147)', () => {
    const [loss, lp] = runKernel(lossKernels, 'SoftmaxCrossEntropyLoss', [f32([1, 2], [0, 0]), labels([1], [0])], {}, 13);
    expect(rounded(loss!)).toEqual([0.69315]);
    expect(rounded(lp!)).toEqual([-0.69315, -0.69315]);
  });
  it('is stable for large scores: softmax([1000, 0]) picks class 1 at loss 1000', () => {
    const [loss] = runKernel(lossKernels, 'SoftmaxCrossEntropyLoss', [f32([1, 2], [1000, 0]), labels([1], [1])], { reduction: 'sum' }, 13);
    expect(rounded(loss!)).toEqual([1000]);
  });
});
