import { describe, expect, it } from 'vitest';
import type { Model } from '../../graph/ir.js';
import { Tensor, tensor } from '../../tensor/tensor.js';
import { archiveWithCode, lowerForward, runOnBoth } from '../../testing/torchscript-archive.js';
import { readTorchScriptArchive } from './archive.js';
import { Sym } from './graph-builder.js';
import { Interpreter } from './interpreter.js';
import { asSym } from './tensor-values.js';
import { PickleTuple } from './values.js';

// The fused fast-path ops, checked against a plain-loop float64 reference of the computation described in
// aten/src/ATen/native/transformers/attention.cpp and transformer.cpp (written here independently of the
// lowering), on the reference kernels and on onnxruntime-node.

const B = 2, T = 3, E = 4, H = 2, F = 6;

/** Deterministic weights in about [-0.5, 0.5]. */
const weights = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.37) * 0.5);
const f32 = (v: number[], shape: number[]) => tensor(new Float32Array(v), shape);

/** rows x [n] @ W^T [m, n] + b. */
function linearRef(x: number[], rows: number, w: number[], b: number[], m: number): number[] {
  const n = w.length / m;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let o = 0; o < m; o++) {
    let s = b[o]!;
    for (let k = 0; k < n; k++) s += x[r * n + k]! * w[o * n + k]!;
    out.push(s);
  }
  return out;
}

interface MhaRef { out: number[]; weights: number[] /* [B, H, T, T] */ }

/** `excluded(b, t, s)`: the mask excludes key s for query t of batch b. */
function mhaRef(q: number[], k: number[], v: number[], wqkv: number[], bqkv: number[], wo: number[], bo: number[], excluded = (_b: number, _t: number, _s: number) => false): MhaRef {
  const d = E / H;
  const block = (i: number) => [wqkv.slice(i * E * E, (i + 1) * E * E), bqkv.slice(i * E, (i + 1) * E)] as const;
  const Q = linearRef(q, B * T, ...block(0), E).map((x) => x / Math.sqrt(d));
  const K = linearRef(k, B * T, ...block(1), E), V = linearRef(v, B * T, ...block(2), E);
  const ctx = new Array<number>(B * T * E).fill(0), probs: number[] = [];
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) {
    const scores: number[] = [];
    for (let s = 0; s < T; s++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += Q[(b * T + t) * E + h * d + j]! * K[(b * T + s) * E + h * d + j]!;
      scores.push(excluded(b, t, s) ? -Infinity : dot);
    }
    const max = Math.max(...scores);
    const exps = scores.map((x) => (x === -Infinity ? 0 : Math.exp(x - max)));
    const total = exps.reduce((a, x) => a + x, 0);
    const p = exps.map((x) => (total === 0 ? 0 : x / total));
    probs.push(...p);
    for (let s = 0; s < T; s++) for (let j = 0; j < d; j++) ctx[(b * T + t) * E + h * d + j] += p[s]! * V[(b * T + s) * E + h * d + j]!;
  }
  return { out: linearRef(ctx, B * T, wo, bo, E), weights: probs };
}

function layerNormRef(x: number[], w: number[], b: number[], eps: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / E; r++) {
    const row = x.slice(r * E, (r + 1) * E);
    const mean = row.reduce((a, v) => a + v, 0) / E;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / E;
    row.forEach((v, i) => out.push(((v - mean) / Math.sqrt(variance + eps)) * w[i]! + b[i]!));
  }
  return out;
}

/** erf by its Maclaurin series (|x| small here), for the exact GELU. */
function erf(x: number): number {
  let term = x, sum = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const close = (actual: number[], expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i]!)));
  expect(worst).toBeLessThan(2e-5);
};

async function expectBoth(model: Model, feeds: Record<string, Tensor>, expected: Record<string, number[]>): Promise<Record<string, number[]>> {
  const got = await runOnBoth(model, feeds);
  for (const [name, want] of Object.entries(expected)) {
    close(got.reference[name]!, want);
    close(got.planned[name]!, want);
    close(got.ort[name]!, want);
  }
  return got.shapes;
}

const x = weights(B * T * E, 1);
const params = { wqkv: weights(3 * E * E, 2), bqkv: weights(3 * E, 3), wo: weights(E * E, 4), bo: weights(E, 5) };
const paramFeeds = {
  wqkv: f32(params.wqkv, [3 * E, E]), bqkv: f32(params.bqkv, [3 * E]), wo: f32(params.wo, [E, E]), bo: f32(params.bo, [E]),
};
const paramSpecs: [string, 'float32', number][] = [['wqkv', 'float32', 2], ['bqkv', 'float32', 1], ['wo', 'float32', 2], ['bo', 'float32', 1]];

describe('aten::_native_multi_head_attention', () => {
  it('self-attention with head-averaged weights matches the plain-loop reference (B=2, T=3, E=4, 2 heads)', async () => {
    const model = lowerForward([
      '_0, _1 = torch._native_multi_head_attention(x, x, x, 4, 2, wqkv, bqkv, wo, bo, None, True, True, None)',
      'return {"out": _0, "weights": _1}',
    ], [['x', 'float32', 3], ...paramSpecs], [['out', 'float32', 3], ['weights', 'float32', 3]]);
    const ref = mhaRef(x, x, x, params.wqkv, params.bqkv, params.wo, params.bo);
    const averaged: number[] = [];
    for (let b = 0; b < B; b++) for (let i = 0; i < T * T; i++) averaged.push((ref.weights[(b * H) * T * T + i]! + ref.weights[(b * H + 1) * T * T + i]!) / H);
    const shapes = await expectBoth(model, { x: f32(x, [B, T, E]), ...paramFeeds }, { out: ref.out, weights: averaged });
    expect(shapes).toEqual({ out: [B, T, E], weights: [B, T, T] });
  });

  it('cross-attention with a key-padding mask (mask_type 1): per-head weights, and a batch with every key excluded gives zero weights', async () => {
    const model = lowerForward([
      '_0, _1 = torch._native_multi_head_attention(q, kv, kv, 4, 2, wqkv, bqkv, wo, bo, mask, True, False, 1)',
      'return {"out": _0, "weights": _1}',
    ], [['q', 'float32', 3], ['kv', 'float32', 3], ['mask', 'bool', 2], ...paramSpecs], [['out', 'float32', 3], ['weights', 'float32', 4]]);
    const kv = weights(B * T * E, 9);
    // Batch 0 excludes key 1; batch 1 excludes every key.
    const padding = [[false, true, false], [true, true, true]];
    const ref = mhaRef(x, kv, kv, params.wqkv, params.bqkv, params.wo, params.bo, (b, _t, s) => padding[b]![s]!);
    const mask = new Tensor('bool', [B, T], Uint8Array.from(padding.flat().map(Number)));
    const shapes = await expectBoth(model, { q: f32(x, [B, T, E]), kv: f32(kv, [B, T, E]), mask, ...paramFeeds }, { out: ref.out, weights: ref.weights });
    expect(shapes.weights).toEqual([B, H, T, T]);
    expect(ref.weights.slice(B * H * T * T / 2).every((w) => w === 0)).toBe(true);
  });

  it('a causal attn_mask (mask_type 0, [T, T]) without weights: the second result is None', async () => {
    const model = lowerForward([
      '_0, _1 = torch._native_multi_head_attention(x, x, x, 4, 2, wqkv, bqkv, wo, bo, mask, False, True, 0)',
      'return {"out": _0}',
    ], [['x', 'float32', 3], ['mask', 'bool', 2], ...paramSpecs], [['out', 'float32', 3]]);
    const causal = new Tensor('bool', [T, T], Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0]));
    const ref = mhaRef(x, x, x, params.wqkv, params.bqkv, params.wo, params.bo, (_b, t, s) => s > t);
    await expectBoth(model, { x: f32(x, [B, T, E]), mask: causal, ...paramFeeds }, { out: ref.out });
  });

  it('slices and transposes constant (parameter) weights at load: no Slice or Transpose of a weight in the graph', async () => {
    const interpreter = new Interpreter(readTorchScriptArchive(archiveWithCode('class M(Module):\n  def forward(self: __torch__.M) -> None:\n    return None\n'), 'm.pt'));
    const input = new Sym('x', 'float32', 3);
    const w = (v: number[], shape: number[]) => f32(v, shape);
    const result = interpreter.operator('aten::_native_multi_head_attention', [
      input, input, input, 4n, 2n, w(params.wqkv, [3 * E, E]), w(params.bqkv, [3 * E]), w(params.wo, [E, E]), w(params.bo, [E]), null, false, true, null,
    ]) as PickleTuple;
    const out = asSym(interpreter, result.items[0]);
    interpreter.builder.node('Identity', [out], ['out']);
    const graph = interpreter.builder.graph('m', [{ name: 'x', type: { kind: 'tensor', dtype: 'float32', shape: [null, null, E] } }], [{ name: 'out', type: { kind: 'tensor', dtype: 'float32' } }]);
    expect(graph.nodes.filter((n) => n.opType === 'Slice')).toHaveLength(0);
    expect(graph.nodes.filter((n) => n.opType === 'Transpose')).toHaveLength(4); // q, k, v heads and the context
    const ref = mhaRef(x, x, x, params.wqkv, params.bqkv, params.wo, params.bo);
    await expectBoth({ graph, opsets: new Map([['', 20]]) }, { x: f32(x, [B, T, E]) }, { out: ref.out });
  });

  it('rejects a rank-2 mask without a mask_type (its layout is ambiguous), naming the line', () => {
    expect(() => lowerForward([
      '_0, _1 = torch._native_multi_head_attention(x, x, x, 4, 2, wqkv, bqkv, wo, bo, mask, False, True, None)',
      'return {"out": _0}',
    ], [['x', 'float32', 3], ['mask', 'bool', 2], ...paramSpecs], [['out', 'float32', 3]])).toThrow(/mask of rank 2 with mask_type None \(TorchScript __torch__\.M\.forward:9\)/);
  });
});

describe('aten::_transformer_encoder_layer_fwd', () => {
  const ffn = { w1: weights(F * E, 6), b1: weights(F, 7), w2: weights(E * F, 8), b2: weights(E, 10) };
  const norms = { n1w: weights(E, 11).map((v) => 1 + v), n1b: weights(E, 12), n2w: weights(E, 13).map((v) => 1 + v), n2b: weights(E, 14) };
  const layerFeeds = {
    ...paramFeeds, n1w: f32(norms.n1w, [E]), n1b: f32(norms.n1b, [E]), n2w: f32(norms.n2w, [E]), n2b: f32(norms.n2b, [E]),
    w1: f32(ffn.w1, [F, E]), b1: f32(ffn.b1, [F]), w2: f32(ffn.w2, [E, F]), b2: f32(ffn.b2, [E]),
  };
  const layerSpecs: [string, 'float32', number][] = [...paramSpecs, ...['n1w', 'n1b', 'n2w', 'n2b'].map((n): [string, 'float32', number] => [n, 'float32', 1]),
    ['w1', 'float32', 2], ['b1', 'float32', 1], ['w2', 'float32', 2], ['b2', 'float32', 1]];
  const eps = 1e-5;
  const add = (a: number[], b: number[]) => a.map((v, i) => v + b[i]!);
  const feedForward = (h: number[], gelu: boolean) => {
    const hidden = linearRef(h, B * T, ffn.w1, ffn.b1, F).map((v) => (gelu ? 0.5 * v * (1 + erf(v / Math.SQRT2)) : Math.max(v, 0)));
    return linearRef(hidden, B * T, ffn.w2, ffn.b2, E);
  };
  const call = (gelu: boolean, normFirst: boolean) => `return {"out": torch._transformer_encoder_layer_fwd(x, 4, 2, wqkv, bqkv, wo, bo, ${gelu ? 'True' : 'False'}, ${normFirst ? 'True' : 'False'}, 1.0000000000000001e-05, n1w, n1b, n2w, n2b, w1, b1, w2, b2, None, None)}`;

  it('post-norm with ReLU: LN2(h + FFN(h)), h = LN1(x + MHA(x))', async () => {
    const model = lowerForward([call(false, false)], [['x', 'float32', 3], ...layerSpecs], [['out', 'float32', 3]]);
    const attn = mhaRef(x, x, x, params.wqkv, params.bqkv, params.wo, params.bo).out;
    const h = layerNormRef(add(x, attn), norms.n1w, norms.n1b, eps);
    const want = layerNormRef(add(h, feedForward(h, false)), norms.n2w, norms.n2b, eps);
    await expectBoth(model, { x: f32(x, [B, T, E]), ...layerFeeds }, { out: want });
  });

  it('pre-norm with exact GELU: h + FFN(LN2(h)), h = x + MHA(LN1(x))', async () => {
    const model = lowerForward([call(true, true)], [['x', 'float32', 3], ...layerSpecs], [['out', 'float32', 3]]);
    const n1 = layerNormRef(x, norms.n1w, norms.n1b, eps);
    const h = add(x, mhaRef(n1, n1, n1, params.wqkv, params.bqkv, params.wo, params.bo).out);
    const want = add(h, feedForward(layerNormRef(h, norms.n2w, norms.n2b, eps), true));
    await expectBoth(model, { x: f32(x, [B, T, E]), ...layerFeeds }, { out: want });
  });
});
