import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { numbers, runKernel } from './kernel-harness.js';
import { randomKernels } from './random.js';

const run = (op: string, inputs: (Tensor | undefined)[], attrs = {}) => runKernel(randomKernels, op, inputs, attrs)[0]!;
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('random generators', () => {
  it('repeats its draws for one seed and changes them for another', () => {
    const a = numbers(run('RandomUniform', [], { shape: [8], seed: 1.5 }));
    expect(numbers(run('RandomUniform', [], { shape: [8], seed: 1.5 }))).toEqual(a);
    expect(numbers(run('RandomUniform', [], { shape: [8], seed: 2.5 }))).not.toEqual(a);
  });
  it('draws uniforms inside [low, high) with the expected mean (10000 draws, 5 standard errors)', () => {
    const v = numbers(run('RandomUniform', [], { shape: [10000], low: 2, high: 4, seed: 3.0 }));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...v)).toBeLessThan(4);
    expect(Math.abs(mean(v) - 3)).toBeLessThan(5 * Math.sqrt(1 / 3 / 10000));
  });
  it('draws normals with the given mean and scale (10000 draws)', () => {
    const v = numbers(run('RandomNormal', [], { shape: [10000], mean: 5, scale: 2, seed: 4.0 }));
    const m = mean(v);
    const sd = Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
    expect(Math.abs(m - 5)).toBeLessThan(5 * (2 / 100));
    expect(Math.abs(sd - 2)).toBeLessThan(0.1);
  });
  it('takes shape and dtype from the input in the *Like forms', () => {
    const y = run('RandomNormalLike', [new Tensor('float64', [2, 3], new Float64Array(6))]);
    expect([y.dtype, y.shape]).toEqual(['float64', [2, 3]]);
  });
  it('gives 0 for probability 0 and 1 for probability 1 (Bernoulli)', () => {
    const y = run('Bernoulli', [new Tensor('float32', [4], Float32Array.of(0, 1, 0, 1))], { seed: 1.0 });
    expect(numbers(y)).toEqual([0, 1, 0, 1]);
  });
  it('only samples classes with non-zero probability (Multinomial, log-probabilities [-inf, 0, -inf])', () => {
    const y = run('Multinomial', [new Tensor('float32', [1, 3], Float32Array.of(-Infinity, 0, -Infinity))], { sample_size: 5, seed: 2.0 });
    expect([y.dtype, y.shape, numbers(y)]).toEqual(['int32', [1, 5], [1, 1, 1, 1, 1]]);
  });
});
