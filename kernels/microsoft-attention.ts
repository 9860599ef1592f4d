/**
 * The com.microsoft attention family (onnxruntime ContribOperators.md): Attention (input projected by one packed
 * weight), MultiHeadAttention (separate, packed or BNSH key/value, key cache) and GroupQueryAttention (fewer
 * key/value heads, a key cache filled per seqlens_k, optional rotary). Masks add mask_filter_value (default
 * -10000) as onnxruntime does; GroupQueryAttention masks outright.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { Value } from '../src/graph/value.js';
import { Tensor } from '../src/tensor/tensor.js';
import { attend, concatSequence, rotate, toHeadsFirst, toSequenceFirst } from './attention-core.js';
import { fromNumbers, optionalTensor, tensorInput, toIndices, toNumbers } from './elements.js';
import { matmul } from './matmul.js';
import type { KernelContext, KernelDef } from './registry.js';

type Inputs = (Value | undefined)[];
const MS = 'com.microsoft';

/** mask(b, s, l) true where a key is hidden, from the mask_index / key_padding_mask formats onnxruntime accepts. */
function keyMask(mask: Tensor | undefined, batch: number, qLen: number, total: number): ((b: number, s: number, l: number) => boolean) | undefined {
  if (!mask) return undefined;
  const m = toIndices(mask);
  if (mask.rank === 1 && m.length === batch) return (b, _s, l) => l >= m[b]!;
  if (mask.rank === 1 && m.length === 2 * batch) return (b, _s, l) => l >= m[b]! || l < m[batch + b]!;
  if (mask.rank === 2) return (b, _s, l) => m[b * mask.shape[1]! + l] === 0;
  if (mask.rank === 3) return (b, s, l) => m[(b * qLen + s) * total + l] === 0;
  if (mask.rank === 4) {
    const max = mask.shape[3]!;
    const past = total - qLen;
    return (b, s, l) => m[(b * max + past + s) * max + l] === 0;
  }
  throw new NeuropodError('INFERENCE_FAILED', `attention mask of shape [${mask.shape}] is not a format onnxruntime accepts`);
}

/** An additive bias broadcast over [batch, heads, qLen, total] from a [B|1, N|1, S, T] tensor. */
function additiveBias(t: Tensor | undefined): ((b: number, n: number, s: number, l: number) => number) | undefined {
  if (!t) return undefined;
  const v = toNumbers(t);
  const [bDim, nDim, rows, cols] = t.shape as [number, number, number, number];
  return (b, n, s, l) => v[(((bDim === 1 ? 0 : b) * nDim + (nDim === 1 ? 0 : n)) * rows + s) * cols + l]!;
}

interface MaskedBias {
  mask?: (b: number, s: number, l: number) => boolean;
  bias?: (b: number, n: number, s: number, l: number) => number;
  causal: boolean;
  pastLen: number;
  filter: number;
}

/** One score bias: the attention bias plus mask_filter_value where the key mask or causality hides a key. */
function combinedBias(o: MaskedBias): ((b: number, n: number, s: number, l: number) => number) | undefined {
  if (!o.mask && !o.bias && !o.causal) return undefined;
  return (b, n, s, l) => {
    const hidden = (o.mask?.(b, s, l) ?? false) || (o.causal && l > o.pastLen + s);
    return (o.bias ? o.bias(b, n, s, l) : 0) + (hidden ? o.filter : 0);
  };
}

/** Attention (com.microsoft): QKV = input · weights + bias, split by qkv_hidden_sizes; optional past [2, B, N, P, H]. */
function msAttention(inputs: Inputs, ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'Attention');
  const [batch, seq] = x.shape as [number, number];
  const heads = ctx.attrs.require('num_heads', 'int');
  const w = tensorInput(inputs, 1, 'Attention');
  const total3 = w.shape[1]!;
  const [dq, dk, dv] = ctx.attrs.ints('qkv_hidden_sizes', [total3 / 3, total3 / 3, total3 / 3]) as [number, number, number];
  const proj = toNumbers(matmul(fromNumbers('float64', x.shape, toNumbers(x)), fromNumbers('float64', w.shape, toNumbers(w))));
  const bias = optionalTensor(inputs, 2);
  if (bias) {
    const bv = toNumbers(bias);
    for (let i = 0; i < proj.length; i++) proj[i] += bv[i % total3]!;
  }
  const [hq, hv] = [dq / heads, dv / heads];
  const q = toHeadsFirst(proj, batch, seq, heads, hq, total3, 0);
  let k = toHeadsFirst(proj, batch, seq, heads, dk / heads, total3, dq);
  let v = toHeadsFirst(proj, batch, seq, heads, hv, total3, dq + dk);
  const past = optionalTensor(inputs, 4);
  const pastLen = past ? past.shape[3]! : 0;
  if (past) {
    const pv = toNumbers(past);
    const half = pv.length / 2;
    k = concatSequence(pv.subarray(0, half), pastLen, k, seq, batch, heads, hq);
    v = concatSequence(pv.subarray(half), pastLen, v, seq, batch, heads, hv);
  }
  const total = pastLen + seq;
  const out = attend({
    batch, qHeads: heads, kvHeads: heads, qLen: seq, kvLen: total, headSize: hq, vHeadSize: hv, q, k, v,
    scale: ctx.attrs.float('scale', 0) || 1 / Math.sqrt(hq),
    bias: combinedBias({
      mask: keyMask(optionalTensor(inputs, 3), batch, seq, total), bias: additiveBias(optionalTensor(inputs, 5)),
      causal: ctx.attrs.int('unidirectional', 0) !== 0, pastLen, filter: ctx.attrs.float('mask_filter_value', -10000),
    }),
  });
  const present = new Float64Array(k.length + v.length);
  present.set(k);
  present.set(v, k.length);
  return [fromNumbers(x.dtype, [batch, seq, dv], toSequenceFirst(out, batch, heads, seq, hv)), fromNumbers(x.dtype, [2, batch, heads, total, hq], present)];
}

interface HeadsFirst {
  data: Float64Array;
  len: number;
  size: number;
}

/** MultiHeadAttention key/value in any accepted layout, as [B, N, L, H] with bias added where it applies. */
function mhaKeyValue(inputs: Inputs, q3: Tensor, heads: number): { q: HeadsFirst; k: HeadsFirst; v: HeadsFirst } {
  const batch = q3.shape[0]!;
  const seq = q3.shape[1]!;
  const key = optionalTensor(inputs, 1);
  const value = optionalTensor(inputs, 2);
  const biasT = optionalTensor(inputs, 3);
  const bias = biasT ? toNumbers(biasT) : undefined;
  const qv = toNumbers(q3);
  if (q3.rank === 5) {
    // packed QKV [B, S, N, 3, H]
    const h = q3.shape[4]!;
    const part = (j: number): HeadsFirst => ({ data: packedPart(qv, batch, seq, heads, h, j), len: seq, size: h });
    return { q: part(0), k: part(1), v: part(2) };
  }
  const d = q3.shape[2]!;
  const h = d / heads;
  const withBias = (vals: Float64Array, offset: number, width: number): Float64Array => (bias ? vals.map((e, i) => e + bias[offset + (i % width)]!) : vals);
  const q: HeadsFirst = { data: toHeadsFirst(withBias(qv, 0, d), batch, seq, heads, h), len: seq, size: h };
  if (!key) throw new NeuropodError('OP_UNSUPPORTED', 'MultiHeadAttention without a key input is not implemented');
  if (key.rank === 5) {
    // packed KV [B, L, N, 2, H]
    const kv = toNumbers(key);
    const len = key.shape[1]!;
    return { q, k: { data: packedPart(kv, batch, len, heads, h, 0, 2), len, size: h }, v: { data: packedPart(kv, batch, len, heads, h, 1, 2), len, size: h } };
  }
  if (key.rank === 4) {
    const vt = value!;
    return { q, k: { data: toNumbers(key), len: key.shape[2]!, size: key.shape[3]! }, v: { data: toNumbers(vt), len: vt.shape[2]!, size: vt.shape[3]! } };
  }
  const len = key.shape[1]!;
  const dv = value!.shape[2]!;
  return {
    q,
    k: { data: toHeadsFirst(withBias(toNumbers(key), d, d), batch, len, heads, h), len, size: h },
    v: { data: toHeadsFirst(withBias(toNumbers(value!), 2 * d, dv), batch, len, heads, dv / heads), len, size: dv / heads },
  };
}

/** Part j of a packed [B, L, N, parts, H] tensor, as [B, N, L, H]. */
function packedPart(x: Float64Array, batch: number, len: number, heads: number, h: number, j: number, parts = 3): Float64Array {
  const out = new Float64Array(batch * heads * len * h);
  for (let b = 0; b < batch; b++) {
    for (let l = 0; l < len; l++) {
      for (let n = 0; n < heads; n++) {
        const src = (((b * len + l) * heads + n) * parts + j) * h;
        out.set(x.subarray(src, src + h), ((b * heads + n) * len + l) * h);
      }
    }
  }
  return out;
}

function multiHeadAttention(inputs: Inputs, ctx: KernelContext): Tensor[] {
  const query = tensorInput(inputs, 0, 'MultiHeadAttention');
  const heads = ctx.attrs.require('num_heads', 'int');
  const [batch, seq] = query.shape as [number, number];
  const { q, k, v } = mhaKeyValue(inputs, query, heads);
  // onnxruntime reads the past cache only when the node asks for the present one.
  const wantsPresent = (ctx.node.outputs[1] ?? '') !== '';
  const pastK = wantsPresent ? optionalTensor(inputs, 6) : undefined;
  const pastV = wantsPresent ? optionalTensor(inputs, 7) : undefined;
  const pastLen = pastK ? pastK.shape[2]! : 0;
  const keys = pastK ? concatSequence(toNumbers(pastK), pastLen, k.data, k.len, batch, heads, k.size) : k.data;
  const values = pastV ? concatSequence(toNumbers(pastV), pastLen, v.data, v.len, batch, heads, v.size) : v.data;
  const total = pastLen + k.len;
  const out = attend({
    batch, qHeads: heads, kvHeads: heads, qLen: seq, kvLen: total, headSize: q.size, vHeadSize: v.size, q: q.data, k: keys, v: values,
    scale: ctx.attrs.float('scale', 0) || 1 / Math.sqrt(q.size),
    bias: combinedBias({
      mask: keyMask(optionalTensor(inputs, 4), batch, seq, total), bias: additiveBias(optionalTensor(inputs, 5)),
      causal: ctx.attrs.int('unidirectional', 0) !== 0, pastLen, filter: ctx.attrs.float('mask_filter_value', -10000),
    }),
  });
  return [
    fromNumbers(query.dtype, [batch, seq, heads * v.size], toSequenceFirst(out, batch, heads, seq, v.size)),
    fromNumbers(query.dtype, [batch, heads, total, k.size], keys),
    fromNumbers(query.dtype, [batch, heads, total, v.size], values),
  ];
}

/** Writes the new [B, N, S, H] keys after each batch's past into a present cache of `presentLen`. */
function fillCache(past: Float64Array | undefined, pastBuf: number, cur: Float64Array, seq: number, batch: number, heads: number, h: number, presentLen: number, pastLens: number[]): Float64Array {
  const out = new Float64Array(batch * heads * presentLen * h);
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < heads; n++) {
      const dst = (b * heads + n) * presentLen * h;
      if (past) out.set(past.subarray((b * heads + n) * pastBuf * h, (b * heads + n) * pastBuf * h + pastLens[b]! * h), dst);
      out.set(cur.subarray((b * heads + n) * seq * h, (b * heads + n + 1) * seq * h), dst + pastLens[b]! * h);
    }
  }
  return out;
}

/**
 * GroupQueryAttention: per batch, total length seqlens_k + 1 and past length total - S; query s sits at position
 * past + s and sees keys up to it (and within local_window_size). Softcap applies before the mask.
 */
function groupQueryAttention(inputs: Inputs, ctx: KernelContext): Tensor[] {
  const query = tensorInput(inputs, 0, 'GroupQueryAttention');
  const qHeads = ctx.attrs.require('num_heads', 'int');
  const kvHeads = ctx.attrs.require('kv_num_heads', 'int');
  const [batch, seq, width] = query.shape as [number, number, number];
  const key = optionalTensor(inputs, 1);
  const packed = !key;
  const h = packed ? width / (qHeads + 2 * kvHeads) : width / qHeads;
  const qv = toNumbers(query);
  const stride = packed ? width : qHeads * h;
  const q = toHeadsFirst(qv, batch, seq, qHeads, h, stride, 0);
  let k = packed ? toHeadsFirst(qv, batch, seq, kvHeads, h, stride, qHeads * h) : toHeadsFirst(toNumbers(key), batch, seq, kvHeads, h);
  const v = packed ? toHeadsFirst(qv, batch, seq, kvHeads, h, stride, (qHeads + kvHeads) * h) : toHeadsFirst(toNumbers(tensorInput(inputs, 2, 'GroupQueryAttention')), batch, seq, kvHeads, h);
  const pastK = optionalTensor(inputs, 3);
  const pastV = optionalTensor(inputs, 4);
  const pastBuf = pastK ? pastK.shape[2]! : 0;
  const totals = toIndices(tensorInput(inputs, 5, 'GroupQueryAttention')).map((n) => n + 1);
  const totalSeq = toIndices(tensorInput(inputs, 6, 'GroupQueryAttention'))[0]!;
  const pastLens = totals.map((t) => t - seq);
  const presentLen = Math.max(pastBuf, totalSeq);
  if (ctx.attrs.int('do_rotary', 0)) {
    const cosT = tensorInput(inputs, 7, 'GroupQueryAttention');
    const cos = toNumbers(cosT);
    const sin = toNumbers(tensorInput(inputs, 8, 'GroupQueryAttention'));
    const half = cosT.shape[1]!;
    const posIds = optionalTensor(inputs, 9);
    const pos = posIds ? toIndices(posIds) : undefined;
    const at = (b: number, s: number): number => (pos ? pos[b * seq + s]! : pastLens[b]! + s);
    const spec = { batch, seq, headSize: h, headsFirst: true, rotaryDim: 2 * half, interleaved: ctx.attrs.int('rotary_interleaved', 0) !== 0, cos: (b: number, s: number, i: number) => cos[at(b, s) * half + i]!, sin: (b: number, s: number, i: number) => sin[at(b, s) * half + i]! };
    rotate(q, { ...spec, heads: qHeads });
    rotate(k, { ...spec, heads: kvHeads });
  }
  k = fillCache(pastK && toNumbers(pastK), pastBuf, k, seq, batch, kvHeads, h, presentLen, pastLens);
  const vCache = fillCache(pastV && toNumbers(pastV), pastBuf, v, seq, batch, kvHeads, h, presentLen, pastLens);
  const window = ctx.attrs.int('local_window_size', -1);
  const extra = additiveBias(optionalTensor(inputs, 10));
  const out = attend({
    batch, qHeads, kvHeads, qLen: seq, kvLen: presentLen, headSize: h, vHeadSize: h, q, k, v: vCache,
    scale: ctx.attrs.float('scale', 0) || 1 / Math.sqrt(h),
    softcap: ctx.attrs.float('softcap', 0),
    bias: (b, n, s, l) => {
      const posQ = pastLens[b]! + s;
      if (l > posQ || l >= totals[b]! || (window > 0 && l <= posQ - window)) return -Infinity;
      return extra ? extra(b, n, s, l) : 0;
    },
  });
  return [
    fromNumbers(query.dtype, [batch, seq, qHeads * h], toSequenceFirst(out, batch, qHeads, seq, h)),
    fromNumbers(query.dtype, [batch, kvHeads, presentLen, h], k),
    fromNumbers(query.dtype, [batch, kvHeads, presentLen, h], vCache),
  ];
}

export const microsoftAttentionKernels: KernelDef[] = [
  { op: 'Attention', domain: MS, run: (inputs, ctx) => msAttention(inputs, ctx) },
  { op: 'MultiHeadAttention', domain: MS, run: (inputs, ctx) => multiHeadAttention(inputs, ctx) },
  { op: 'GroupQueryAttention', domain: MS, run: (inputs, ctx) => groupQueryAttention(inputs, ctx) },
];
