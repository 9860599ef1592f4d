import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeOnnxModel } from '../src/formats/onnx/encode.js';
import type { AttributeValue, Model } from '../src/graph/ir.js';
import { AttributeReader } from '../src/graph/attributes.js';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, rounded } from './kernel-harness.js';
import { microsoftKernels } from './microsoft.js';

// onnxruntime-node 1.30 runs these contrib ops on its CPU provider: it is the reference each case is checked against.

type Attrs = Record<string, AttributeValue>;
const int = (value: number): AttributeValue => ({ type: 'int', value });

/** Deterministic values in [-1, 1) (a linear congruential sequence), so cases are reproducible. */
function seeded(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

const randomF32 = (shape: number[], seed: number) => f32(shape, seeded(shape.reduce((a, b) => a * b, 1), seed));

function ortTensor(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.shape]);
}

/** One com.microsoft node run by onnxruntime-node; `outputs` names which outputs the node declares. */
async function runOrt(op: string, inputs: (Tensor | undefined)[], attrs: Attrs, outputs: boolean[]): Promise<(number[] | undefined)[]> {
  const names = inputs.map((t, i) => (t ? `in${i}` : ''));
  const outNames = outputs.map((want, i) => (want ? `out${i}` : ''));
  const model: Model = {
    opsets: new Map([['', 17], ['com.microsoft', 1]]),
    graph: {
      name: op, initializers: new Map(),
      inputs: inputs.flatMap((t, i) => (t ? [{ name: `in${i}`, type: { kind: 'tensor' as const, dtype: t.dtype, shape: [...t.shape] } }] : [])),
      outputs: outNames.filter((n) => n).map((name) => ({ name, type: { kind: 'tensor' as const, dtype: 'float32' as const } })),
      nodes: [{ name: op, opType: op, domain: 'com.microsoft', inputs: names, outputs: outNames, attributes: new Map(Object.entries(attrs)) }],
    },
  };
  const session = await ort.InferenceSession.create(encodeOnnxModel(model));
  const feeds = Object.fromEntries(inputs.flatMap((t, i) => (t ? [[`in${i}`, ortTensor(t)]] : [])));
  const result = await session.run(feeds);
  return outNames.map((n) => (n ? Array.from(result[n]!.data as Float32Array) : undefined));
}

function runOurs(op: string, inputs: (Tensor | undefined)[], attrs: Attrs, outputs: boolean[]): Tensor[] {
  const kernel = microsoftKernels.find((k) => k.op === op && k.domain === 'com.microsoft')!;
  const node = { name: op, opType: op, domain: 'com.microsoft', inputs: [], outputs: outputs.map((w, i) => (w ? `out${i}` : '')), attributes: new Map(Object.entries(attrs)) };
  const ctx = { node, attrs: new AttributeReader(node.attributes, node), opset: 1, runSubgraph: () => [] };
  return kernel.run(inputs, ctx) as Tensor[];
}

async function expectMatchesOrt(op: string, inputs: (Tensor | undefined)[], attrs: Attrs = {}, outputs = [true]): Promise<void> {
  const expected = await runOrt(op, inputs, attrs, outputs);
  const ours = runOurs(op, inputs, attrs, outputs);
  const mismatches = expected.flatMap((values, i) => {
    if (!values) return [];
    const got = Array.from(ours[i]!.data as Float32Array);
    if (got.length !== values.length) return [`output ${i}: ${got.length} values, onnxruntime has ${values.length}`];
    const j = got.findIndex((v, at) => !(Math.abs(v - values[at]!) <= 1e-4 + 1e-4 * Math.abs(values[at]!)));
    return j < 0 ? [] : [`output ${i}[${j}]: ${got[j]} vs onnxruntime ${values[j]}`];
  });
  if (mismatches.length) console.error(op, mismatches);
  expect(mismatches).toEqual([]);
}

describe('GELU family', () => {
  it('QuickGelu is x * sigmoid(1.702 x): 1 -> 0.845795', () => {
    expect(rounded(runOurs('QuickGelu', [f32([1], [1])], {}, [true])[0]!)).toEqual([0.8458]);
  });
  it('FastGelu with bias matches onnxruntime', () => expectMatchesOrt('FastGelu', [randomF32([2, 3, 8], 1), randomF32([8], 2)]));
  it('BiasGelu matches onnxruntime', () => expectMatchesOrt('BiasGelu', [randomF32([2, 8], 3), randomF32([8], 4)]));
  it('BiasSplitGelu multiplies the left half by gelu of the right: (1+0.5)·gelu(2.5), 2·gelu(5)', () => {
    // onnxruntime has no CPU BiasSplitGelu; gelu(x) = 0.5x(1 + erf(x/sqrt 2)) evaluated in Python.
    const [y] = runOurs('BiasSplitGelu', [f32([1, 1, 4], [1, 2, 3, 4]), f32([4], [0.5, 0, -0.5, 1])], {}, [true]);
    expect(y!.shape).toEqual([1, 1, 2]);
    expect(rounded(y!, 4)).toEqual([3.7267, 10]);
  });
});

describe('fused layer norms', () => {
  it('SkipLayerNormalization output and input+skip+bias sum match onnxruntime', () =>
    expectMatchesOrt('SkipLayerNormalization', [randomF32([2, 3, 8], 7), randomF32([2, 3, 8], 8), randomF32([8], 9), randomF32([8], 10), randomF32([8], 11)], { epsilon: { type: 'float', value: 1e-5 } }, [true, false, false, true]));
  it('SkipSimplifiedLayerNormalization matches onnxruntime', () =>
    expectMatchesOrt('SkipSimplifiedLayerNormalization', [randomF32([2, 3, 8], 12), randomF32([2, 3, 8], 13), randomF32([8], 14)], { epsilon: { type: 'float', value: 1e-5 } }));
});

describe('FusedMatMul', () => {
  it('transposes B and scales by alpha as onnxruntime does', () =>
    expectMatchesOrt('FusedMatMul', [randomF32([2, 3, 4], 15), randomF32([5, 4], 16)], { transB: int(1), alpha: { type: 'float', value: 0.5 } }));
});

describe('RotaryEmbedding', () => {
  const cache = (seed: number) => randomF32([8, 4], seed);
  const positions = new Tensor('int64', [2, 3], BigInt64Array.from([0, 1, 2, 5, 6, 7].map(BigInt)));
  it('rotates halves per position id ([B, S, hidden], two heads)', () =>
    expectMatchesOrt('RotaryEmbedding', [randomF32([2, 3, 16], 17), positions, cache(18), cache(19)]));
  it('rotates interleaved pairs', () =>
    expectMatchesOrt('RotaryEmbedding', [randomF32([2, 3, 16], 20), positions, cache(21), cache(22)], { interleaved: int(1) }));
});

describe('MatMulNBits', () => {
  it('dequantizes 4-bit blocks with packed zero points and adds the bias', async () => {
    const [k, n, block] = [32, 3, 16];
    const packed = new Tensor('uint8', [n, 2, 8], Uint8Array.from(seeded(n * 16, 23), (v) => Math.floor((v + 1) * 128)));
    const zp = new Tensor('uint8', [n, 1], Uint8Array.of(0x37, 0x9a, 0x08));
    const attrs = { K: int(k), N: int(n), bits: int(4), block_size: int(block) };
    await expectMatchesOrt('MatMulNBits', [randomF32([2, k], 24), packed, randomF32([n, 2], 25), zp, undefined, randomF32([n], 26)], attrs);
  });
});

describe('attention', () => {
  it('Attention projects input with packed QKV weights, masks by key lengths and returns present', () =>
    expectMatchesOrt('Attention', [randomF32([2, 3, 4], 27), randomF32([4, 12], 28), randomF32([12], 29), new Tensor('int32', [2], Int32Array.of(3, 2))], { num_heads: int(2) }, [true, true]));
  it('Attention masks future positions when unidirectional', () =>
    expectMatchesOrt('Attention', [randomF32([1, 3, 4], 30), randomF32([4, 12], 31), randomF32([12], 32)], { num_heads: int(2), unidirectional: int(1) }));
  it('MultiHeadAttention adds bias, attention bias and past key/value', () =>
    expectMatchesOrt('MultiHeadAttention', [
      randomF32([1, 2, 8], 33), randomF32([1, 2, 8], 34), randomF32([1, 2, 8], 35), randomF32([24], 36), undefined,
      randomF32([1, 2, 2, 5], 37), randomF32([1, 2, 3, 4], 38), randomF32([1, 2, 3, 4], 39),
    ], { num_heads: int(2) }, [true, true, true]));
  it('MultiHeadAttention applies a [B, T] key padding mask', () =>
    expectMatchesOrt('MultiHeadAttention', [randomF32([2, 2, 8], 40), randomF32([2, 3, 8], 41), randomF32([2, 3, 8], 42), undefined, new Tensor('int32', [2, 3], Int32Array.of(1, 1, 0, 1, 0, 1))], { num_heads: int(2) }));
  it('GroupQueryAttention shares key/value heads and appends to the cache causally', () =>
    expectMatchesOrt('GroupQueryAttention', [
      randomF32([1, 2, 32], 43), randomF32([1, 2, 16], 44), randomF32([1, 2, 16], 45), randomF32([1, 2, 3, 8], 46), randomF32([1, 2, 3, 8], 47),
      new Tensor('int32', [1], Int32Array.of(4)), new Tensor('int32', [], Int32Array.of(5)),
    ], { num_heads: int(4), kv_num_heads: int(2) }, [true, true, true]));
  it('GroupQueryAttention rotates query and key with do_rotary', () =>
    expectMatchesOrt('GroupQueryAttention', [
      // onnxruntime's CPU rotary needs head_size a multiple of 16
      randomF32([1, 3, 32], 48), randomF32([1, 3, 16], 49), randomF32([1, 3, 16], 50), randomF32([1, 1, 0, 16], 51), randomF32([1, 1, 0, 16], 52),
      new Tensor('int32', [1], Int32Array.of(2)), new Tensor('int32', [], Int32Array.of(3)), randomF32([8, 8], 53), randomF32([8, 8], 54),
    ], { num_heads: int(2), kv_num_heads: int(1), do_rotary: int(1) }, [true, true, true]));
});
