import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers, rounded, runKernel } from './kernel-harness.js';
import { gemm } from './gemm.js';
import { matmulKernels } from './matmul.js';

const run = (op: string, inputs: (Tensor | undefined)[], attrs = {}) => runKernel(matmulKernels, op, inputs, attrs)[0]!;

describe('MatMul', () => {
  it('multiplies 2-D matrices ([[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]] by hand)', () => {
    const y = run('MatMul', [f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [5, 6, 7, 8])]);
    expect(y.shape).toEqual([2, 2]);
    expect(numbers(y)).toEqual([19, 22, 43, 50]);
  });

  it('drops the unit dims a 1-D operand gains (numpy.matmul: [3]·[3] is a scalar)', () => {
    const y = run('MatMul', [f32([3], [1, 2, 3]), f32([3], [4, 5, 6])]);
    expect(y.shape).toEqual([]);
    expect(numbers(y)).toEqual([32]);
  });

  it('broadcasts batch dims ([1,1,2]·[3,2,1] gives [3,1,1])', () => {
    const y = run('MatMul', [f32([1, 1, 2], [1, 2]), f32([3, 2, 1], [1, 1, 2, 2, 3, 3])]);
    expect(y.shape).toEqual([3, 1, 1]);
    expect(numbers(y)).toEqual([3, 6, 9]);
  });

  it('wraps int32 products modulo 2^32 like two\'s-complement hardware (65536·65536 = 0)', () => {
    const y = run('MatMul', [new Tensor('int32', [1, 1], Int32Array.of(65536)), new Tensor('int32', [1, 1], Int32Array.of(65536))]);
    expect(numbers(y)).toEqual([0]);
  });

  it('multiplies int64 exactly beyond 2^53 (2^31+1 squared = 4611686022722355201)', () => {
    const v = 2n ** 31n + 1n;
    const y = run('MatMul', [new Tensor('int64', [1, 1], BigInt64Array.of(v)), new Tensor('int64', [1, 1], BigInt64Array.of(v))]);
    expect(y.numeric[0]).toBe(4611686022722355201n);
  });

  it('returns float16 computed in float32 (1.0009765625·1024 = 1025, bits 0x6401)', () => {
    const y = run('MatMul', [new Tensor('float16', [1, 1], Uint16Array.of(0x3c01)), new Tensor('float16', [1, 1], Uint16Array.of(0x6400))]);
    expect(y.dtype).toBe('float16');
    expect(y.numeric[0]).toBe(0x6401);
  });
});

describe('gemm', () => {
  it('agrees with a naive triple loop across tile edges (m=3, n=300, k=133)', () => {
    const m = 3, n = 300, k = 133;
    const a = Float64Array.from({ length: m * k }, (_, i) => ((i * 7) % 11) - 5);
    const b = Float64Array.from({ length: k * n }, (_, i) => ((i * 5) % 13) - 6);
    const c = new Float64Array(m * n);
    gemm(m, n, k, a, 0, b, 0, c, 0);
    const expected = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) expected[i * n + j] += a[i * k + p]! * b[p * n + j]!;
    expect(Array.from(c)).toEqual(Array.from(expected));
  });
});

describe('Gemm', () => {
  it('applies transA, transB, alpha and a broadcast C (by hand: 0.5·Aᵀ·Bᵀ + 2·[1,2])', () => {
    // A stored [K=2, M=2] = [[1,3],[2,4]] so Aᵀ = [[1,2],[3,4]]; B stored [N=2, K=2] = [[5,7],[6,8]] so Bᵀ = [[5,6],[7,8]].
    const y = run('Gemm', [f32([2, 2], [1, 3, 2, 4]), f32([2, 2], [5, 7, 6, 8]), f32([2], [1, 2])], { transA: 1, transB: 1, alpha: 0.5, beta: 2 });
    expect(numbers(y)).toEqual([9.5 + 2, 11 + 4, 21.5 + 2, 25 + 4]);
  });

  it('works without C', () => {
    const y = run('Gemm', [f32([1, 2], [1, 2]), f32([2, 1], [3, 4])]);
    expect(numbers(y)).toEqual([11]);
  });
});

describe('Einsum', () => {
  it('sums a trace with a repeated label ("ii" of [[1,2],[3,4]] = 5)', () => {
    expect(numbers(run('Einsum', [f32([2, 2], [1, 2, 3, 4])], { equation: 'ii' }))).toEqual([5]);
  });

  it('takes a batched diagonal with an ellipsis ("...ii->...i")', () => {
    const y = run('Einsum', [f32([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])], { equation: '...ii ->...i' });
    expect(y.shape).toEqual([2, 2]);
    expect(numbers(y)).toEqual([1, 4, 5, 8]);
  });

  it('orders the implicit output alphabetically ("ba" gives "ab": the transpose)', () => {
    const y = run('Einsum', [f32([2, 3], [1, 2, 3, 4, 5, 6])], { equation: 'ba' });
    expect(y.shape).toEqual([3, 2]);
    expect(numbers(y)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('contracts a batched matmul ("bij,bjk->bik" equals MatMul)', () => {
    const a = f32([2, 1, 2], [1, 2, 3, 4]), b = f32([2, 2, 1], [5, 6, 7, 8]);
    expect(numbers(run('Einsum', [a, b], { equation: 'bij,bjk->bik' }))).toEqual([17, 53]);
  });
});

describe('Det', () => {
  it('needs a row swap for [[0,1],[1,0]] (det -1) and batches', () => {
    const y = run('Det', [f32([2, 2, 2], [0, 1, 1, 0, 2, 0, 0, 3])]);
    expect(rounded(y)).toEqual([-1, 6]);
  });
});
