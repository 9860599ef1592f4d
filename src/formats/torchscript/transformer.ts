import { Tensor } from '../../tensor/tensor.js';
import { floatAttr, Sym } from './graph-builder.js';
import { linear } from './linear.js';
import type { OperatorContext } from './operators.js';
import { asSym, cast, constFloat, constInt, type LoweringContext } from './tensor-values.js';
import { PickleTuple, type PyValue } from './values.js';

/**
 * The fused fast-path ops torch.nn.MultiheadAttention / TransformerEncoderLayer call in eval mode, lowered to
 * MatMul/Softmax/LayerNormalization. Semantics from aten/src/ATen/native/transformers (attention.cpp,
 * transformer.cpp): inputs are [B, T, E] (batch first); qkv_weight [3E, E] stacks the q, k, v projections;
 * q gets its bias, then is scaled by 1/sqrt(E / heads); the mask is boolean (a non-bool one is cast: nonzero
 * excludes) and a fully excluded row gives zero weights, as _masked_softmax does.
 */

interface Projections {
  embed: number;
  heads: number;
  qkvWeight: PyValue;
  qkvBias: PyValue;
  projWeight: PyValue;
  projBias: PyValue;
}

/** aten::_native_multi_head_attention -> (output [B, T, E], weights or None). */
export function lowerMultiHeadAttention(c: OperatorContext, args: PyValue[]): PyValue {
  const [query, key, value, embed, heads, qkvWeight, qkvBias, projWeight, projBias, mask, needWeights, average, maskType] = args;
  const p: Projections = { embed: constInt(c, embed, 'embed_dim'), heads: constInt(c, heads, 'num_head'), qkvWeight, qkvBias, projWeight, projBias };
  const { output, weights } = attention(c, p, [query, key, value], mask, maskType);
  if (needWeights === false) return new PickleTuple([output, null]);
  if (average === false) return new PickleTuple([output, weights]);
  const summed = c.builder.op('ReduceSum', [weights, c.builder.int64s([1])], weights.dtype, 3, { keepdims: 0 });
  return new PickleTuple([output, c.builder.op('Div', [summed, c.builder.scalar(p.heads, weights.dtype)], weights.dtype, 3)]);
}

/** aten::_transformer_encoder_layer_fwd: self-attention and a two-layer feed-forward, each with a residual and LayerNorm (before or after). */
export function lowerEncoderLayer(c: OperatorContext, args: PyValue[]): PyValue {
  const [src, embed, heads, qkvWeight, qkvBias, projWeight, projBias, useGelu, normFirst, eps, nw1, nb1, nw2, nb2, fw1, fb1, fw2, fb2, mask, maskType] = args;
  const p: Projections = { embed: constInt(c, embed, 'embed_dim'), heads: constInt(c, heads, 'num_heads'), qkvWeight, qkvBias, projWeight, projBias };
  const preNorm = loadTimeBool(c, normFirst, 'norm_first');
  const gelu = loadTimeBool(c, useGelu, 'use_gelu');
  const epsilon = constFloat(c, eps, 'eps');
  const input = asSym(c, src);
  const norm = (x: Sym, w: PyValue, b: PyValue) => c.builder.op('LayerNormalization', [x, asSym(c, w, x.dtype), asSym(c, b, x.dtype)], x.dtype, x.rank, {
    axis: -1, epsilon: floatAttr(epsilon),
  });
  let x = preNorm ? norm(input, nw1, nb1) : input;
  x = add(c, attention(c, p, [x, x, x], mask, maskType).output, input);
  if (!preNorm) x = norm(x, nw1, nb1);
  const residual = x;
  if (preNorm) x = norm(x, nw2, nb2);
  const hidden = linear(c, x, fw1, fb1);
  // _addmm_activation on CPU: exact (erf) GELU or ReLU.
  const activated = gelu ? c.builder.op('Gelu', [hidden], hidden.dtype, hidden.rank, { approximate: 'none' }) : c.builder.op('Relu', [hidden], hidden.dtype, hidden.rank);
  x = add(c, linear(c, activated, fw2, fb2), residual);
  return preNorm ? x : norm(x, nw2, nb2);
}

function attention(c: OperatorContext, p: Projections, [query, key, value]: PyValue[], mask: PyValue, maskType: PyValue): { output: Sym; weights: Sym } {
  const q0 = asSym(c, query);
  const dtype = q0.dtype;
  if (q0.rank !== undefined && q0.rank !== 3) throw c.fail('OP_UNSUPPORTED', `multi-head attention on a ${q0.rank}-d query (the fast path takes [batch, seq, embed])`);
  if (p.embed % p.heads !== 0) throw c.fail('MODEL_INVALID', `embed_dim ${p.embed} does not divide into ${p.heads} heads`);
  const E = p.embed, headDim = E / p.heads;
  const project = (x: PyValue, block: number) => linear(c, asSym(c, x, dtype), rowBlock(c, p.qkvWeight, block, E), rowBlock(c, p.qkvBias, block, E));
  const scaled = c.builder.op('Mul', [project(q0, 0), c.builder.scalar(1 / Math.sqrt(headDim), dtype)], dtype, 3);
  const split = (x: Sym, perm: number[]) => c.builder.op('Transpose', [c.builder.op('Reshape', [x, c.builder.int64s([0, 0, p.heads, headDim])], dtype, 4)], dtype, 4, { perm });
  const q = split(scaled, [0, 2, 1, 3]); // [B, H, T, d]
  const kT = split(project(key, 1), [0, 2, 3, 1]); // [B, H, d, S]
  const v = split(project(value, 2), [0, 2, 1, 3]); // [B, H, S, d]
  const scores = c.builder.op('MatMul', [q, kT], dtype, 4);
  const weights = maskedSoftmax(c, scores, mask, maskType);
  const context = c.builder.op('Transpose', [c.builder.op('MatMul', [weights, v], dtype, 4)], dtype, 4, { perm: [0, 2, 1, 3] });
  const merged = c.builder.op('Reshape', [context, c.builder.int64s([0, 0, E])], dtype, 3);
  return { output: linear(c, merged, p.projWeight, p.projBias), weights };
}

/**
 * Softmax over the last axis with excluded positions (mask true) left out; a row with every position excluded is
 * all zeros. mask_type 0: [T, S] (attn_mask), 1: [B, S] (key padding), 2: broadcastable to [B, H, T, S].
 */
function maskedSoftmax(c: OperatorContext, scores: Sym, mask: PyValue, maskType: PyValue): Sym {
  const b = c.builder;
  if (mask === null || mask === undefined) return b.op('Softmax', [scores], scores.dtype, 4, { axis: -1 });
  let m = cast(c, asSym(c, mask), 'bool');
  const type = maskType === null || maskType === undefined ? undefined : constInt(c, maskType, 'mask_type');
  if (type === 1) m = b.op('Unsqueeze', [m, b.int64s([1, 2])], 'bool', 4);
  else if (!(type === 0 || type === 2 || (type === undefined && m.rank === 4))) {
    throw c.fail('OP_UNSUPPORTED', `a fast-path attention mask of rank ${m.rank ?? 'unknown'} with mask_type ${type ?? 'None'}`);
  }
  const excluded = b.op('Where', [m, b.scalar(-Infinity, scores.dtype), scores], scores.dtype, 4);
  const softmax = b.op('Softmax', [excluded], scores.dtype, 4, { axis: -1 });
  return b.op('Where', [m, b.scalar(0, scores.dtype), softmax], scores.dtype, 4);
}

/** Rows [block * rows, (block + 1) * rows) of a weight or bias: sliced at load when constant, by Slice otherwise. */
function rowBlock(c: LoweringContext, w: PyValue, block: number, rows: number): PyValue {
  if (w === null || w === undefined) return w;
  if (w instanceof Tensor) {
    const width = w.size / w.shape[0]!;
    const data = (w.data as unknown as { slice(a: number, b: number): unknown }).slice(block * rows * width, (block + 1) * rows * width);
    return new Tensor(w.dtype, [rows, ...w.shape.slice(1)], data as never);
  }
  const s = asSym(c, w);
  return c.builder.op('Slice', [s, c.builder.int64s([block * rows]), c.builder.int64s([(block + 1) * rows]), c.builder.int64s([0])], s.dtype, s.rank);
}

function add(c: LoweringContext, a: Sym, b: Sym): Sym {
  return c.builder.op('Add', [a, b], a.dtype, a.rank);
}

function loadTimeBool(c: LoweringContext, v: PyValue, what: string): boolean {
  if (typeof v !== 'boolean') throw c.fail('OP_UNSUPPORTED', `${what} must be known at load`);
  return v;
}
