import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeOnnxModel } from '../src/formats/onnx/encode.js';
import type { AttributeValue, Model } from '../src/graph/ir.js';
import { AttributeReader } from '../src/graph/attributes.js';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, rounded } from './kernel-harness.js';
import { microsoftKernels } from './microsoft.js';
import { quantizeKernels } from './quantize.js';

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

const u8 = (shape: number[], v: number[]) => new Tensor('uint8', shape, Uint8Array.from(v));
const seededU8 = (shape: number[], seed: number) => u8(shape, seeded(shape.reduce((a, b) => a * b, 1), seed).map((v) => Math.floor((v + 1) * 128)));

/** One com.microsoft node run by onnxruntime-node; `outputs` names which outputs the node declares. */
async function runOrt(op: string, inputs: (Tensor | undefined)[], attrs: Attrs, outputs: boolean[], outDtype: Tensor['dtype']): Promise<(number[] | undefined)[]> {
  const names = inputs.map((t, i) => (t ? `in${i}` : ''));
  const outNames = outputs.map((want, i) => (want ? `out${i}` : ''));
  const model: Model = {
    opsets: new Map([['', 17], ['com.microsoft', 1]]),
    graph: {
      name: op, initializers: new Map(),
      inputs: inputs.flatMap((t, i) => (t ? [{ name: `in${i}`, type: { kind: 'tensor' as const, dtype: t.dtype, shape: [...t.shape] } }] : [])),
      outputs: outNames.filter((n) => n).map((name) => ({ name, type: { kind: 'tensor' as const, dtype: outDtype } })),
      nodes: [{ name: op, opType: op, domain: 'com.microsoft', inputs: names, outputs: outNames, attributes: new Map(Object.entries(attrs)) }],
    },
  };
  const session = await ort.InferenceSession.create(encodeOnnxModel(model));
  const feeds = Object.fromEntries(inputs.flatMap((t, i) => (t ? [[`in${i}`, ortTensor(t)]] : [])));
  const result = await session.run(feeds);
  return outNames.map((n) => (n ? Array.from(result[n]!.data as ArrayLike<number>) : undefined));
}

function runOurs(op: string, inputs: (Tensor | undefined)[], attrs: Attrs, outputs: boolean[]): Tensor[] {
  const kernel = [...microsoftKernels, ...quantizeKernels].find((k) => k.op === op && k.domain === 'com.microsoft')!;
  const node = { name: op, opType: op, domain: 'com.microsoft', inputs: [], outputs: outputs.map((w, i) => (w ? `out${i}` : '')), attributes: new Map(Object.entries(attrs)) };
  const ctx = { node, attrs: new AttributeReader(node.attributes, node), opset: 1, runSubgraph: () => [] };
  return kernel.run(inputs, ctx) as Tensor[];
}

/** Float outputs agree within 1e-4 (relative and absolute); quantized outputs within `intTolerance` steps. */
async function expectMatchesOrt(op: string, inputs: (Tensor | undefined)[], attrs: Attrs = {}, outputs = [true], outDtype: Tensor['dtype'] = 'float32', intTolerance = 0): Promise<void> {
  const expected = await runOrt(op, inputs, attrs, outputs, outDtype);
  const tol = (x: number) => (outDtype === 'float32' ? 1e-4 + 1e-4 * Math.abs(x) : intTolerance);
  const ours = runOurs(op, inputs, attrs, outputs);
  const mismatches = expected.flatMap((values, i) => {
    if (!values) return [];
    const got = Array.from(ours[i]!.data as ArrayLike<number>);
    if (got.length !== values.length) return [`output ${i}: ${got.length} values, onnxruntime has ${values.length}`];
    const j = got.findIndex((v, at) => !(Math.abs(v - values[at]!) <= tol(values[at]!)));
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

describe('EmbedLayerNormalization', () => {
  const ids = (v: number[]) => new Tensor('int32', [2, 3], Int32Array.from(v));
  it('sums word, position and segment embeddings, normalizes, and counts mask ones', () =>
    expectMatchesOrt('EmbedLayerNormalization', [
      ids([1, 4, 2, 0, 3, 3]), ids([0, 1, 1, 0, 0, 1]), randomF32([5, 8], 73), randomF32([4, 8], 74), randomF32([2, 8], 75),
      randomF32([8], 76), randomF32([8], 77), ids([1, 1, 0, 1, 1, 1]),
    ], { epsilon: { type: 'float', value: 1e-5 } }, [true, false, true]));
});

describe('FusedConv', () => {
  it('adds Z and applies LeakyRelu after the convolution, as onnxruntime does', () =>
    expectMatchesOrt('FusedConv', [randomF32([1, 2, 4, 4], 78), randomF32([3, 2, 3, 3], 79), randomF32([3], 80), randomF32([1, 3, 2, 2], 81)],
      { activation: { type: 'string', value: 'LeakyRelu' }, activation_params: { type: 'floats', value: [0.2] } }));
  it('runs the NHWC form onnxruntime\'s layout transformer emits: relu(2x - 5) on [1, 2, 2, 1]', () => {
    const kernel = microsoftKernels.find((k) => k.op === 'Conv' && k.domain === 'com.ms.internal.nhwc')!;
    const node = { name: 'c', opType: 'Conv', domain: 'com.ms.internal.nhwc', inputs: [], outputs: ['y'], attributes: new Map<string, AttributeValue>([['activation', { type: 'string', value: 'Relu' }]]) };
    const [y] = kernel.run([f32([1, 2, 2, 1], [1, 2, 3, 4]), f32([1, 1, 1, 1], [2]), f32([1], [-5])], { node, attrs: new AttributeReader(node.attributes, node), opset: 11, runSubgraph: () => [] }) as Tensor[];
    expect(y!.shape).toEqual([1, 2, 2, 1]);
    expect(rounded(y!)).toEqual([0, 0, 1, 3]);
  });
});

describe('FusedGemm', () => {
  it('applies LeakyRelu with activation_alpha to alpha·A·B\' + beta·C, as onnxruntime does', () =>
    expectMatchesOrt('FusedGemm', [randomF32([3, 4], 82), randomF32([5, 4], 83), randomF32([5], 84)], {
      transB: int(1), alpha: { type: 'float', value: 0.5 }, beta: { type: 'float', value: 2 },
      activation: { type: 'string', value: 'LeakyRelu' }, activation_alpha: { type: 'float', value: 0.3 },
    }));
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

describe('com.microsoft quantized ops', () => {
  const scale = (v: number) => f32([], [v]);
  it('QLinearAdd broadcasts and requantizes as onnxruntime does', () =>
    expectMatchesOrt('QLinearAdd', [seededU8([2, 3, 4], 55), scale(0.05), u8([], [120]), seededU8([4], 56), scale(0.02), u8([], [128]), scale(0.07), u8([], [100])], {}, [true], 'uint8'));
  it('QLinearMul matches onnxruntime', () =>
    expectMatchesOrt('QLinearMul', [seededU8([2, 8], 57), scale(0.05), u8([], [120]), seededU8([2, 8], 58), scale(0.02), u8([], [128]), scale(0.03), u8([], [110])], {}, [true], 'uint8'));
  it('QLinearSigmoid matches onnxruntime', () =>
    expectMatchesOrt('QLinearSigmoid', [seededU8([16], 59), scale(0.05), u8([], [128]), scale(1 / 256), u8([], [0])], {}, [true], 'uint8'));
  it('QLinearLeakyRelu matches onnxruntime', () =>
    expectMatchesOrt('QLinearLeakyRelu', [seededU8([16], 60), scale(0.05), u8([], [128]), scale(0.04), u8([], [100])], { alpha: { type: 'float', value: 0.1 } }, [true], 'uint8'));
  it('QLinearGlobalAveragePool matches onnxruntime', () =>
    expectMatchesOrt('QLinearGlobalAveragePool', [seededU8([1, 3, 4, 4], 61), scale(0.05), u8([], [128]), scale(0.03), u8([], [120])], { channels_last: int(0) }, [true], 'uint8'));
  it('QLinearAveragePool with pads and ceil_mode matches onnxruntime', () =>
    expectMatchesOrt('QLinearAveragePool', [seededU8([1, 2, 5, 5], 62), scale(0.05), u8([], [128]), scale(0.03), u8([], [120])],
      { kernel_shape: { type: 'ints', value: [3, 3] }, strides: { type: 'ints', value: [2, 2] }, pads: { type: 'ints', value: [1, 1, 0, 0] }, ceil_mode: int(1) }, [true], 'uint8'));
  it('QLinearAveragePool on channels_last input with count_include_pad matches onnxruntime', () =>
    expectMatchesOrt('QLinearAveragePool', [seededU8([1, 4, 4, 3], 72), scale(0.05), u8([], [128]), scale(0.03), u8([], [120])],
      { kernel_shape: { type: 'ints', value: [2, 2] }, pads: { type: 'ints', value: [1, 1, 1, 1] }, count_include_pad: int(1), channels_last: int(1) }, [true], 'uint8'));
  it('QLinearSoftmax matches onnxruntime within one quantization step', () =>
    expectMatchesOrt('QLinearSoftmax', [seededU8([2, 10], 63), scale(0.1), u8([], [128]), scale(1 / 256), u8([], [0])], { axis: int(-1), opset: int(13) }, [true], 'uint8', 1));
  it('QLinearConcat matches onnxruntime', () =>
    expectMatchesOrt('QLinearConcat', [scale(0.04), u8([], [120]), seededU8([1, 2, 3], 64), scale(0.05), u8([], [128]), seededU8([1, 1, 3], 65), scale(0.02), u8([], [100])], { axis: int(1) }, [true], 'uint8'));
  it('MatMulIntegerToFloat matches onnxruntime', () =>
    expectMatchesOrt('MatMulIntegerToFloat', [seededU8([2, 4], 66), seededU8([4, 3], 67), scale(0.05), f32([3], [0.01, 0.02, 0.03]), u8([], [128]), u8([3], [120, 128, 130]), randomF32([3], 68)]));
  it('DynamicQuantizeMatMul matches onnxruntime', () =>
    expectMatchesOrt('DynamicQuantizeMatMul', [randomF32([2, 4], 69), new Tensor('int8', [4, 3], Int8Array.from(seeded(12, 70), (v) => Math.floor(v * 100))), f32([3], [0.01, 0.02, 0.03]), new Tensor('int8', [3], Int8Array.of(0, 0, 0)), randomF32([3], 71)]));
});
