/**
 * Shape functions of the com.microsoft contrib ops (kernels/microsoft.ts, microsoft-attention.ts), from
 * onnxruntime's ContribOperators.md and what the reference kernels return.
 */
import type { Dim } from '../src/graph/ir.js';
import { convShape } from './conv.js';
import { gemmShape } from './matmul.js';
import type { ShapeFn, ShapeInfo } from './registry.js';
import { axisOf, matmulDims, sameShape, type ShapeTable } from './shape-rules.js';

const MS = 'com.microsoft';

const times = (a: Dim, b: Dim): Dim => (typeof a === 'number' && typeof b === 'number' ? a * b : null);
const over = (a: Dim, b: number): Dim => (typeof a === 'number' && a % b === 0 ? a / b : null);

/** onnxruntime's LayerNormalization-1 / SimplifiedLayerNormalization: Y as X; float32 stats, 1 from axis on. */
function layerNormV1(simplified: boolean): ShapeFn {
  return (inputs, ctx) => {
    const x = inputs[0];
    if (!x?.dims) return [{ dtype: x?.dtype }];
    const axis = axisOf(ctx.attrs.int('axis', -1), x.dims.length);
    const stats: ShapeInfo = { dtype: 'float32', dims: x.dims.map((d, i) => (i < axis ? d : 1)) };
    return [{ dtype: x.dtype, dims: x.dims }, ...(simplified ? [stats] : [stats, stats])];
  };
}

/** SkipLayerNormalization: output and input_skip_bias_sum as input; mean and inv_std_var [..., 1] in float32. */
const skipNormShape: ShapeFn = (inputs) => {
  const x = inputs[0], y: ShapeInfo = { dtype: x?.dtype, dims: x?.dims };
  const stats: ShapeInfo = { dtype: 'float32', dims: x?.dims ? [...x.dims.slice(0, -1), 1] : undefined };
  return [y, stats, stats, y];
};

/** FusedMatMul: MatMul after optional transposes of the last two dims of A and B (transBatch* is not run). */
const fusedMatMulShape: ShapeFn = (inputs, ctx) => {
  const swap = (dims: Dim[] | undefined, flag: string): Dim[] | undefined =>
    dims && ctx.attrs.int(flag, 0) && dims.length >= 2 ? [...dims.slice(0, -2), dims[dims.length - 1]!, dims[dims.length - 2]!] : dims;
  const a = swap(inputs[0]?.dims, 'transA'), b = swap(inputs[1]?.dims, 'transB');
  return [{ dtype: inputs[0]?.dtype, dims: a && b ? matmulDims(a, b) : undefined }];
};

/** Attention: [batch, seq, v_hidden], v_hidden from qkv_hidden_sizes or a third of the packed weights. */
const attentionShape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0], w = inputs[1];
  const v = ctx.attrs.ints('qkv_hidden_sizes')?.[2] ?? (w?.dims ? over(w.dims[1]!, 3) : null);
  return [{ dtype: x?.dtype, dims: x?.dims?.length === 3 ? [x.dims[0]!, x.dims[1]!, v] : undefined }];
};

/** MultiHeadAttention: [batch, seq, heads · v_head] for a 3-D query; the value's layout gives v_head. */
const multiHeadShape: ShapeFn = (inputs, ctx) => {
  const q = inputs[0], v = inputs[2]?.dims, heads = ctx.attrs.int('num_heads') ?? null;
  const hidden = v?.length === 3 ? v[2]! : v?.length === 4 ? times(heads, v[3]!) : null;
  return [{ dtype: q?.dtype, dims: q?.dims?.length === 3 ? [q.dims[0]!, q.dims[1]!, hidden] : undefined }];
};

/** GroupQueryAttention: [batch, seq, num_heads · head], head from the query width (packed QKV shares it). */
const groupQueryShape: ShapeFn = (inputs, ctx) => {
  const q = inputs[0], heads = ctx.attrs.int('num_heads', 1), kv = ctx.attrs.int('kv_num_heads', 1);
  if (q?.dims?.length !== 3) return [{ dtype: q?.dtype }];
  const packed = (ctx.node.inputs[1] ?? '') === '';
  const width = q.dims[2]!, head = packed ? over(width, heads + 2 * kv) : over(width, heads);
  return [{ dtype: q.dtype, dims: [q.dims[0]!, q.dims[1]!, packed ? times(head, heads) : width] }];
};

/** EmbedLayerNormalization: [batch, seq, hidden] in the embeddings' dtype, mask_index int32 [batch], and the sum. */
const embedNormShape: ShapeFn = (inputs) => {
  const ids = inputs[0]?.dims, word = inputs[2];
  const dims = ids?.length === 2 ? [ids[0]!, ids[1]!, word?.dims?.[1] ?? null] : undefined;
  return [{ dtype: word?.dtype, dims }, { dtype: 'int32', dims: ids ? [ids[0]!] : undefined }, { dtype: word?.dtype, dims }];
};

export const MICROSOFT_SHAPES: ShapeTable = {
  ...Object.fromEntries(['FastGelu', 'BiasGelu', 'Gelu', 'QuickGelu', 'BiasAdd', 'RotaryEmbedding'].map((op) => [`${MS}::${op}`, sameShape])),
  [`${MS}::BiasSplitGelu`]: (inputs) => [{ dtype: inputs[0]?.dtype, dims: inputs[0]?.dims?.map((d, i, all) => (i === all.length - 1 ? over(d, 2) : d)) }],
  [`${MS}::SkipLayerNormalization`]: skipNormShape,
  [`${MS}::SkipSimplifiedLayerNormalization`]: skipNormShape,
  LayerNormalization: layerNormV1(false),
  SimplifiedLayerNormalization: layerNormV1(true),
  [`${MS}::SimplifiedLayerNormalization`]: layerNormV1(true),
  [`${MS}::EmbedLayerNormalization`]: embedNormShape,
  [`${MS}::FusedConv`]: convShape,
  [`${MS}::FusedGemm`]: gemmShape,
  [`${MS}::FusedMatMul`]: fusedMatMulShape,
  [`${MS}::MatMulNBits`]: (inputs, ctx) => [{ dtype: inputs[0]?.dtype, dims: inputs[0]?.dims ? [...inputs[0].dims.slice(0, -1), ctx.attrs.require('N', 'int')] : undefined }],
  [`${MS}::Attention`]: attentionShape,
  [`${MS}::MultiHeadAttention`]: multiHeadShape,
  [`${MS}::GroupQueryAttention`]: groupQueryShape,
};
