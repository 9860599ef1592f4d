/**
 * ONNX Attention (opset 23/24) and RotaryEmbedding (opset 23), after the operator docs and the onnx reference
 * (onnx/reference/ops/op_attention.py): softcap before the mask, boolean masks true = attend, a mask shorter than
 * the total length padded with -inf, causal masking offset by the past length (or by nonpad_kv_seqlen - q_len),
 * key/value heads repeated for grouped query heads.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { Value } from '../src/graph/value.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { attend, concatSequence, rotate, toHeadsFirst, toSequenceFirst } from './attention-core.js';
import { fromNumbers, optionalTensor, tensorInput, toIndices, toNumbers } from './elements.js';
import type { KernelContext, KernelDef, ShapeFn } from './registry.js';
import { sameShape, withShapes } from './shape-rules.js';

type Inputs = (Value | undefined)[];

interface Heads {
  data: Float64Array;
  heads: number;
  len: number;
  size: number;
}

/** A Q/K/V input as [B, heads, len, size]; a 3-D [B, len, hidden] input is split into `heads`. */
function headsOf(t: Tensor, heads: number | undefined, what: string): Heads {
  if (t.rank === 4) return { data: toNumbers(t), heads: t.shape[1]!, len: t.shape[2]!, size: t.shape[3]! };
  if (!heads) throw new NeuropodError('MODEL_INVALID', `Attention with a 3-D ${what} needs q_num_heads and kv_num_heads`);
  const [batch, len, hidden] = t.shape as [number, number, number];
  return { data: toHeadsFirst(toNumbers(t), batch, len, heads, hidden / heads), heads, len, size: hidden / heads };
}

/** The attention mask as an additive bias over [B, Nq, S, T], numpy-broadcast from its own shape. */
function maskBias(mask: Tensor | undefined): ((b: number, n: number, s: number, l: number) => number) | undefined {
  if (!mask) return undefined;
  const v = toNumbers(mask);
  const isBool = mask.dtype === 'bool';
  const dims = [1, 1, 1, 1].map((one, i) => mask.shape[i - (4 - mask.rank)] ?? one) as [number, number, number, number];
  const at = (b: number, n: number, s: number, l: number): number =>
    ((((dims[0] === 1 ? 0 : b) * dims[1] + (dims[1] === 1 ? 0 : n)) * dims[2] + (dims[2] === 1 ? 0 : s)) * dims[3]) + l;
  return (b, n, s, l) => {
    if (l >= dims[3]) return -Infinity;
    const x = v[at(b, n, s, l)]!;
    return isBool ? (x ? 0 : -Infinity) : x;
  };
}

function attention(inputs: Inputs, ctx: KernelContext): (Tensor | undefined)[] {
  const Q = tensorInput(inputs, 0, 'Attention');
  const batch = Q.shape[0]!;
  const q = headsOf(Q, ctx.attrs.int('q_num_heads'), 'Q');
  const k = headsOf(tensorInput(inputs, 1, 'Attention'), ctx.attrs.int('kv_num_heads'), 'K');
  const v = headsOf(tensorInput(inputs, 2, 'Attention'), ctx.attrs.int('kv_num_heads'), 'V');
  const pastK = optionalTensor(inputs, 4);
  const pastV = optionalTensor(inputs, 5);
  const nonpad = optionalTensor(inputs, 6);
  const pastLen = pastK ? pastK.shape[2]! : 0;
  const total = pastLen + k.len;
  const keys = pastK ? concatSequence(toNumbers(pastK), pastLen, k.data, k.len, batch, k.heads, k.size) : k.data;
  const values = pastV ? concatSequence(toNumbers(pastV), pastLen, v.data, v.len, batch, v.heads, v.size) : v.data;
  const mask = maskBias(optionalTensor(inputs, 3));
  const causal = ctx.attrs.int('is_causal', 0) !== 0;
  const nonpadLens = nonpad ? toIndices(nonpad) : undefined;
  const offset = (b: number): number => (pastK || !nonpadLens ? pastLen : nonpadLens[b]! - q.len);
  const mode = ctx.attrs.int('qk_matmul_output_mode', 0);
  const wantsQk = (ctx.node.outputs[3] ?? '') !== '';
  const scores = wantsQk ? new Float64Array(batch * q.heads * q.len * total) : undefined;
  const out = attend({
    batch, qHeads: q.heads, kvHeads: k.heads, qLen: q.len, kvLen: total, headSize: q.size, vHeadSize: v.size, q: q.data, k: keys, v: values,
    scale: ctx.attrs.float('scale') ?? 1 / Math.sqrt(q.size),
    softcap: ctx.attrs.float('softcap', 0),
    bias: (b, n, s, l) => {
      if (causal && l > s + offset(b)) return -Infinity;
      if (nonpadLens && l >= nonpadLens[b]!) return -Infinity;
      return mask ? mask(b, n, s, l) : 0;
    },
    // onnx reference: modes 0 and 1 give the (softcapped) product, 2 adds the mask, 3 is the softmax.
    capture: scores && { after: mode === 3 ? 'softmax' : mode === 2 ? 'bias' : 'softcap', into: scores },
  });
  const y = Q.rank === 3 ? toSequenceFirst(out, batch, q.heads, q.len, v.size) : out;
  const yShape = Q.rank === 3 ? [batch, q.len, q.heads * v.size] : [batch, q.heads, q.len, v.size];
  return [
    fromNumbers(Q.dtype, yShape, y),
    fromNumbers(Q.dtype, [batch, k.heads, total, k.size], keys),
    fromNumbers(Q.dtype, [batch, v.heads, total, v.size], values),
    scores && fromNumbers(Q.dtype, [batch, q.heads, q.len, total], scores),
  ];
}

/**
 * RotaryEmbedding (opset 23): X [B, S, hidden] (num_heads given) or [B, N, S, H]; with position_ids the caches are
 * [max_position, rotary_dim / 2] rows picked per token, without them [B, S, rotary_dim / 2].
 */
function rotaryEmbedding(inputs: Inputs, ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'RotaryEmbedding');
  const cosT = tensorInput(inputs, 1, 'RotaryEmbedding');
  const cos = toNumbers(cosT);
  const sin = toNumbers(tensorInput(inputs, 2, 'RotaryEmbedding'));
  const ids = optionalTensor(inputs, 3);
  const pos = ids ? toIndices(ids) : undefined;
  const headsFirst = x.rank === 4;
  const [batch, seq] = headsFirst ? [x.shape[0]!, x.shape[2]!] : [x.shape[0]!, x.shape[1]!];
  const heads = headsFirst ? x.shape[1]! : ctx.attrs.require('num_heads', 'int');
  const headSize = headsFirst ? x.shape[3]! : x.shape[2]! / heads;
  const half = cosT.shape[cosT.rank - 1]!;
  const row = (b: number, s: number): number => (pos ? pos[b * seq + s]! : b * seq + s) * half;
  const v = toNumbers(x);
  rotate(v, {
    batch, seq, heads, headSize, headsFirst,
    rotaryDim: ctx.attrs.int('rotary_embedding_dim', 0) || headSize,
    interleaved: ctx.attrs.int('interleaved', 0) !== 0,
    cos: (b, s, i) => cos[row(b, s) + i]!,
    sin: (b, s, i) => sin[row(b, s) + i]!,
  });
  return fromNumbers(x.dtype, x.shape, v);
}

/**
 * Attention-23's Y: a 4-D Q [B, qH, qS, h] gives [B, qH, qS, v_head]; a 3-D Q [B, qS, qH·h] gives
 * [B, qS, q_num_heads · v_head] with v_head = V's width / kv_num_heads.
 */
const attentionShape: ShapeFn = (inputs, ctx) => {
  const q = inputs[0]?.dims, v = inputs[2]?.dims, dtype = inputs[0]?.dtype;
  if (q?.length === 4) return [{ dtype, dims: [q[0]!, q[1]!, q[2]!, v?.length === 4 ? v[3]! : null] }];
  if (q?.length !== 3) return [{ dtype }];
  const qHeads = ctx.attrs.int('q_num_heads'), kvHeads = ctx.attrs.int('kv_num_heads'), width = v?.length === 3 ? v[2] : undefined;
  const vHead = typeof width === 'number' && kvHeads && width % kvHeads === 0 ? width / kvHeads : v?.length === 4 && typeof v[3] === 'number' ? v[3] : null;
  return [{ dtype, dims: [q[0]!, q[1]!, qHeads && vHead !== null ? qHeads * vHead : null] }];
};

const ATTENTION_SHAPES = { Attention: attentionShape, RotaryEmbedding: sameShape };

export const attentionKernels: KernelDef[] = withShapes([
  { op: 'Attention', since: 23, run: (inputs, ctx) => attention(inputs, ctx) },
  { op: 'RotaryEmbedding', since: 23, run: (inputs, ctx) => [rotaryEmbedding(inputs, ctx)] },
], ATTENTION_SHAPES);
