/**
 * com.microsoft contrib operators (onnxruntime docs/ContribOperators.md): GELU variants, bias adds, the fused
 * skip/simplified layer norms, FusedMatMul, RotaryEmbedding and 4-bit MatMulNBits. The attention family lives in
 * microsoft-attention.ts. Values are computed in float64 and stored in the input's dtype.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { Value } from '../src/graph/value.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { rotate } from './attention-core.js';
import { moveChannels } from './channel-layout.js';
import { convKernels } from './conv.js';
import { fromNumbers, optionalTensor, tensorInput, toIndices, toNumbers } from './elements.js';
import { erf } from './elementwise.js';
import { normalizeAxis } from './indexing.js';
import { matmul, matmulKernels } from './matmul.js';
import { microsoftAttentionKernels } from './microsoft-attention.js';
import type { KernelContext, KernelDef } from './registry.js';
import { MICROSOFT_SHAPES } from './microsoft-shapes.js';
import { withShapes } from './shape-rules.js';

type Inputs = (Value | undefined)[];
const MS = 'com.microsoft';

const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
/** FastGelu: the tanh approximation 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))). */
const fastGelu = (x: number): number => 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));

/** fn(x + bias) where an optional bias repeats along the flat data (onnxruntime-web applies it modulo its length). */
function withBias(inputs: Inputs, op: string, fn: (v: number) => number): Tensor {
  const x = tensorInput(inputs, 0, op);
  const v = toNumbers(x);
  const bias = optionalTensor(inputs, 1);
  const b = bias && bias.size ? toNumbers(bias) : undefined;
  return fromNumbers(x.dtype, x.shape, v.map((e, i) => fn(b ? e + b[i % b.length]! : e)));
}

/** BiasSplitGelu: (X + bias) split in halves on the last axis, left * gelu(right). */
function biasSplitGelu(inputs: Inputs): Tensor {
  const x = tensorInput(inputs, 0, 'BiasSplitGelu');
  const v = toNumbers(x);
  const bias = toNumbers(tensorInput(inputs, 1, 'BiasSplitGelu'));
  const d = x.shape[x.rank - 1]!;
  const half = d / 2;
  const rows = x.size / d;
  const out = new Float64Array(rows * half);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < half; j++) out[r * half + j] = (v[r * d + j]! + bias[j]!) * gelu(v[r * d + half + j]! + bias[half + j]!);
  }
  return fromNumbers(x.dtype, [...x.shape.slice(0, -1), half], out);
}

/** BiasAdd: X + bias (over the last axis) + skip. */
function biasAdd(inputs: Inputs): Tensor {
  const x = tensorInput(inputs, 0, 'BiasAdd');
  const bias = toNumbers(tensorInput(inputs, 1, 'BiasAdd'));
  const skip = toNumbers(tensorInput(inputs, 2, 'BiasAdd'));
  return fromNumbers(x.dtype, x.shape, toNumbers(x).map((e, i) => e + bias[i % bias.length]! + skip[i]!));
}

interface NormOptions {
  /** RMS normalization (no mean subtracted) instead of layer normalization. */
  simplified: boolean;
  epsilon: number;
  scale: Float64Array;
  bias?: Float64Array;
}

/** Normalizes each row of `d` values; returns the output and per-row mean and 1/std. */
function normalizeRows(v: Float64Array, d: number, o: NormOptions): { y: Float64Array; mean: Float64Array; invStd: Float64Array } {
  const rows = v.length / d;
  const y = new Float64Array(v.length);
  const mean = new Float64Array(rows);
  const invStd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    if (!o.simplified) {
      for (let j = 0; j < d; j++) m += v[r * d + j]!;
      m /= d;
    }
    let sq = 0;
    for (let j = 0; j < d; j++) sq += (v[r * d + j]! - m) ** 2;
    const inv = 1 / Math.sqrt(sq / d + o.epsilon);
    mean[r] = m;
    invStd[r] = inv;
    for (let j = 0; j < d; j++) y[r * d + j] = (v[r * d + j]! - m) * inv * o.scale[j % o.scale.length]! + (o.bias ? o.bias[j % o.bias.length]! : 0);
  }
  return { y, mean, invStd };
}

/**
 * SkipLayerNormalization / SkipSimplifiedLayerNormalization: normalize input + skip (+ bias) over the last axis.
 * Outputs: output, mean, inv_std_var, input_skip_bias_sum. Inputs (layer norm): input, skip, gamma, beta, bias;
 * (simplified): input, skip, gamma, bias.
 */
function skipNorm(inputs: Inputs, ctx: KernelContext, simplified: boolean): Tensor[] {
  const op = simplified ? 'SkipSimplifiedLayerNormalization' : 'SkipLayerNormalization';
  const x = tensorInput(inputs, 0, op);
  const skip = toNumbers(tensorInput(inputs, 1, op));
  const gamma = toNumbers(tensorInput(inputs, 2, op));
  const beta = simplified ? undefined : optionalTensor(inputs, 3);
  const bias = optionalTensor(inputs, simplified ? 3 : 4);
  const b = bias && toNumbers(bias);
  const d = x.shape[x.rank - 1]!;
  const sum = toNumbers(x).map((e, i) => e + skip[i % skip.length]! + (b ? b[i % d]! : 0));
  const { y, mean, invStd } = normalizeRows(sum, d, { simplified, epsilon: ctx.attrs.float('epsilon', 1e-12), scale: gamma, bias: beta && toNumbers(beta) });
  const statShape = [...x.shape.slice(0, -1), 1];
  return [fromNumbers(x.dtype, x.shape, y), fromNumbers('float32', statShape, mean), fromNumbers('float32', statShape, invStd), fromNumbers(x.dtype, x.shape, sum)];
}

/**
 * onnxruntime's LayerNormalization / SimplifiedLayerNormalization (registered in the ONNX domain at version 1,
 * before LayerNormalization became standard in opset 17): normalize over the axes from `axis` on.
 */
function layerNorm(inputs: Inputs, ctx: KernelContext, simplified: boolean): Tensor[] {
  const op = simplified ? 'SimplifiedLayerNormalization' : 'LayerNormalization';
  const x = tensorInput(inputs, 0, op);
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.rank);
  const d = sizeOf(x.shape.slice(axis));
  const bias = simplified ? undefined : optionalTensor(inputs, 2);
  const { y, mean, invStd } = normalizeRows(toNumbers(x), d, { simplified, epsilon: ctx.attrs.float('epsilon', 1e-5), scale: toNumbers(tensorInput(inputs, 1, op)), bias: bias && toNumbers(bias) });
  const statShape = [...x.shape.slice(0, axis), ...x.shape.slice(axis).map(() => 1)];
  const stats = [fromNumbers('float32', statShape, mean), fromNumbers('float32', statShape, invStd)];
  return [fromNumbers(x.dtype, x.shape, y), ...(simplified ? stats.slice(1) : stats)];
}

/** The last two axes swapped. */
function transposeLast(t: Tensor): Tensor {
  const [r, c] = t.shape.slice(-2) as [number, number];
  const v = toNumbers(t);
  const out = new Float64Array(v.length);
  for (let m = 0; m < v.length / (r * c); m++) {
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[m * r * c + j * r + i] = v[m * r * c + i * c + j]!;
  }
  return fromNumbers(t.dtype, [...t.shape.slice(0, -2), c, r], out);
}

/** FusedMatMul: alpha * op(A) · op(B), op a transpose of the last two axes when transA/transB. */
function fusedMatMul(inputs: Inputs, ctx: KernelContext): Tensor {
  if (ctx.attrs.int('transBatchA', 0) || ctx.attrs.int('transBatchB', 0)) throw new NeuropodError('OP_UNSUPPORTED', `FusedMatMul with transBatchA/transBatchB is not implemented`);
  let a = tensorInput(inputs, 0, 'FusedMatMul');
  let b = tensorInput(inputs, 1, 'FusedMatMul');
  if (ctx.attrs.int('transA', 0) && a.rank >= 2) a = transposeLast(a);
  if (ctx.attrs.int('transB', 0) && b.rank >= 2) b = transposeLast(b);
  const y = matmul(a, b);
  const alpha = ctx.attrs.float('alpha', 1);
  return alpha === 1 ? y : fromNumbers(y.dtype, y.shape, toNumbers(y).map((v) => v * alpha));
}

/**
 * RotaryEmbedding (com.microsoft): input [B, S, hidden] or [B, N, S, H]; position_ids one start offset or [B, S];
 * cos/sin caches [max_position, rotary_dim / 2].
 */
function rotaryEmbedding(inputs: Inputs, ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'RotaryEmbedding');
  const pos = toIndices(tensorInput(inputs, 1, 'RotaryEmbedding'));
  const cosT = tensorInput(inputs, 2, 'RotaryEmbedding');
  const cos = toNumbers(cosT);
  const sin = toNumbers(tensorInput(inputs, 3, 'RotaryEmbedding'));
  const half = cosT.shape[cosT.rank - 1]!;
  const rotaryDim = ctx.attrs.int('rotary_embedding_dim', 0) || 2 * half;
  const headsFirst = x.rank === 4;
  const [batch, seq] = headsFirst ? [x.shape[0]!, x.shape[2]!] : [x.shape[0]!, x.shape[1]!];
  const hidden = headsFirst ? x.shape[1]! * x.shape[3]! : x.shape[2]!;
  const numHeads = headsFirst ? x.shape[1]! : ctx.attrs.int('num_heads', 0) || hidden / rotaryDim;
  const position = (b: number, s: number): number => (pos.length === 1 ? pos[0]! + s : pos[b * seq + s]!);
  const v = toNumbers(x);
  rotate(v, {
    batch, seq, heads: numHeads, headSize: hidden / numHeads, headsFirst, rotaryDim,
    interleaved: ctx.attrs.int('interleaved', 0) !== 0,
    cos: (b, s, i) => cos[position(b, s) * half + i]!,
    sin: (b, s, i) => sin[position(b, s) * half + i]!,
  });
  return fromNumbers(x.dtype, x.shape, v);
}

/**
 * MatMulNBits: A · dequant(B)^T (+ bias). B is [N, blocks, blob] with `bits`-bit values packed low bits first;
 * scales [N * blocks]; zero points packed the same way (uint8) or one float per block; default zero point
 * 2^(bits-1); g_idx, when given, names each k's block.
 */
function matMulNBits(inputs: Inputs, ctx: KernelContext): Tensor {
  const a = tensorInput(inputs, 0, 'MatMulNBits');
  const packed = tensorInput(inputs, 1, 'MatMulNBits').data as Uint8Array;
  const scales = toNumbers(tensorInput(inputs, 2, 'MatMulNBits'));
  const zpT = optionalTensor(inputs, 3);
  const gIdx = optionalTensor(inputs, 4);
  const bias = optionalTensor(inputs, 5);
  const k = ctx.attrs.require('K', 'int');
  const n = ctx.attrs.require('N', 'int');
  const bits = ctx.attrs.int('bits', 4);
  const blockSize = ctx.attrs.require('block_size', 'int');
  const blocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const mask = (1 << bits) - 1;
  const unpack = (bytes: Uint8Array, at: number): number => (bytes[Math.floor((at * bits) / 8)]! >> ((at * bits) % 8)) & mask;
  const zpBytesPerRow = Math.ceil((blocks * bits) / 8);
  const zpFloat = zpT && zpT.dtype !== 'uint8' ? toNumbers(zpT) : undefined;
  const zpPacked = zpT && !zpFloat ? (zpT.data as Uint8Array) : undefined;
  const zeroPoint = (col: number, blk: number): number => {
    if (zpFloat) return zpFloat[col * blocks + blk]!;
    if (zpPacked) return unpack(zpPacked, col * zpBytesPerRow * (8 / bits) + blk);
    return 1 << (bits - 1);
  };
  const group = gIdx ? toIndices(gIdx) : undefined;
  const w = new Float64Array(k * n);
  for (let col = 0; col < n; col++) {
    for (let kk = 0; kk < k; kk++) {
      const blk = group ? group[kk]! : Math.floor(kk / blockSize);
      const q = unpack(packed, (col * blocks + Math.floor(kk / blockSize)) * blob * (8 / bits) + (kk % blockSize));
      w[kk * n + col] = (q - zeroPoint(col, blk)) * scales[col * blocks + blk]!;
    }
  }
  const y = matmul(fromNumbers('float64', a.shape, toNumbers(a)), new Tensor('float64', [k, n], w));
  const yv = y.numeric as Float64Array;
  if (bias) {
    const bv = toNumbers(bias);
    for (let i = 0; i < yv.length; i++) yv[i] += bv[i % n]!;
  }
  return fromNumbers(a.dtype, y.shape, yv);
}

/**
 * EmbedLayerNormalization: word + position (+ segment) embeddings of each token, layer-normalized. Outputs: output,
 * mask_index (the count of ones in each mask row; zeros without a mask), embedding_sum.
 */
function embedLayerNorm(inputs: Inputs, ctx: KernelContext): Tensor[] {
  const ids = tensorInput(inputs, 0, 'EmbedLayerNormalization');
  const [batch, seq] = ids.shape as [number, number];
  const tokens = toIndices(ids);
  const segments = optionalTensor(inputs, 1);
  const segIds = segments && toIndices(segments);
  const wordT = tensorInput(inputs, 2, 'EmbedLayerNormalization');
  const hidden = wordT.shape[1]!;
  const word = toNumbers(wordT);
  const pos = toNumbers(tensorInput(inputs, 3, 'EmbedLayerNormalization'));
  const segT = optionalTensor(inputs, 4);
  const seg = segT && toNumbers(segT);
  const posIdsT = optionalTensor(inputs, 8);
  const posIds = posIdsT && toIndices(posIdsT);
  const positionOf = (b: number, s: number): number => (posIds ? posIds[posIds.length === seq ? s : b * seq + s]! : s);
  const sum = new Float64Array(batch * seq * hidden);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      const t = b * seq + s;
      for (let j = 0; j < hidden; j++) {
        sum[t * hidden + j] = word[tokens[t]! * hidden + j]! + pos[positionOf(b, s) * hidden + j]! + (seg && segIds ? seg[segIds[t]! * hidden + j]! : 0);
      }
    }
  }
  const { y } = normalizeRows(sum, hidden, {
    simplified: false, epsilon: ctx.attrs.float('epsilon', 1e-12),
    scale: toNumbers(tensorInput(inputs, 5, 'EmbedLayerNormalization')), bias: toNumbers(tensorInput(inputs, 6, 'EmbedLayerNormalization')),
  });
  const mask = optionalTensor(inputs, 7);
  const m = mask && toIndices(mask);
  const maskIndex = Int32Array.from({ length: batch }, (_, b) => (m ? m.slice(b * seq, (b + 1) * seq).filter((v) => v !== 0).length : 0));
  return [fromNumbers(wordT.dtype, [batch, seq, hidden], y), new Tensor('int32', [batch], maskIndex), fromNumbers(wordT.dtype, [batch, seq, hidden], sum)];
}

/** FusedConv activations with their activation_params (onnxruntime's fused-activation defaults). */
const FUSED_ACTIVATIONS: Record<string, (p: number[]) => (x: number) => number> = {
  Relu: () => (x) => Math.max(0, x),
  Tanh: () => Math.tanh,
  Sigmoid: () => (x) => 1 / (1 + Math.exp(-x)),
  LeakyRelu: ([alpha = 0.01]) => (x) => (x >= 0 ? x : alpha * x),
  Clip: ([lo = -Infinity, hi = Infinity]) => (x) => Math.min(hi, Math.max(lo, x)),
  HardSigmoid: ([alpha = 0.2, beta = 0.5]) => (x) => Math.max(0, Math.min(1, alpha * x + beta)),
};

/**
 * FusedConv (com.microsoft) and the NHWC Conv onnxruntime's layout transformer emits (com.ms.internal.nhwc, which
 * takes the same activation attributes): Conv(X, W, B) + Z, then the activation. The convolution is the Conv kernel's.
 */
function fusedConv(inputs: Inputs, ctx: KernelContext, channelsLast: boolean): Tensor {
  const x = tensorInput(inputs, 0, 'FusedConv');
  const conv = convKernels.find((k) => k.op === 'Conv')!;
  const input = channelsLast ? fromNumbers(x.dtype, [x.shape[0]!, x.shape[x.rank - 1]!, ...x.shape.slice(1, -1)], moveChannels(toNumbers(x), x.shape, false)) : x;
  const y = conv.run([input, inputs[1], inputs[2]], { ...ctx, opset: 11 })[0] as Tensor;
  const name = ctx.attrs.string('activation', '');
  const make = FUSED_ACTIVATIONS[name];
  if (name && !make) throw new NeuropodError('OP_UNSUPPORTED', `FusedConv activation '${name}' is not implemented`);
  const act = make ? make(ctx.attrs.floats('activation_params', [])) : (v: number) => v;
  const z = optionalTensor(inputs, 3);
  const zv = z && toNumbers(z);
  const v = toNumbers(y).map((e, i) => act(e + (zv ? zv[i]! : 0)));
  if (!channelsLast) return fromNumbers(y.dtype, y.shape, v);
  return fromNumbers(y.dtype, [y.shape[0]!, ...y.shape.slice(2), y.shape[1]!], moveChannels(v, y.shape, true));
}

/** FusedGemm (com.microsoft): the Gemm kernel's result through `activation` with activation_alpha/beta. */
function fusedGemm(inputs: Inputs, ctx: KernelContext): Tensor {
  const gemm = matmulKernels.filter((k) => k.op === 'Gemm').sort((a, b) => (b.since ?? 1) - (a.since ?? 1))[0]!;
  const y = gemm.run(inputs, { ...ctx, opset: 13 })[0] as Tensor;
  const name = ctx.attrs.string('activation', '');
  const make = FUSED_ACTIVATIONS[name];
  if (name && !make) throw new NeuropodError('OP_UNSUPPORTED', `FusedGemm activation '${name}' is not implemented`);
  if (!make) return y;
  const act = make([ctx.attrs.float('activation_alpha'), ctx.attrs.float('activation_beta')] as number[]);
  return fromNumbers(y.dtype, y.shape, toNumbers(y).map(act));
}

const unary = (op: string, fn: (v: number, ctx: KernelContext) => number): KernelDef => ({
  op, domain: MS, run: (inputs, ctx) => [withBias(inputs, op, (v) => fn(v, ctx))],
});

export const microsoftKernels: KernelDef[] = withShapes([
  unary('FastGelu', fastGelu),
  unary('BiasGelu', gelu),
  unary('Gelu', gelu),
  unary('QuickGelu', (v, ctx) => {
    const alpha = ctx.attrs.float('alpha', 1.702);
    return v / (1 + Math.exp(-alpha * v));
  }),
  { op: 'BiasSplitGelu', domain: MS, run: (inputs) => [biasSplitGelu(inputs)] },
  { op: 'BiasAdd', domain: MS, run: (inputs) => [biasAdd(inputs)] },
  { op: 'SkipLayerNormalization', domain: MS, run: (inputs, ctx) => skipNorm(inputs, ctx, false) },
  { op: 'SkipSimplifiedLayerNormalization', domain: MS, run: (inputs, ctx) => skipNorm(inputs, ctx, true) },
  { op: 'LayerNormalization', run: (inputs, ctx) => layerNorm(inputs, ctx, false) },
  { op: 'SimplifiedLayerNormalization', run: (inputs, ctx) => layerNorm(inputs, ctx, true) },
  { op: 'SimplifiedLayerNormalization', domain: MS, run: (inputs, ctx) => layerNorm(inputs, ctx, true) },
  { op: 'EmbedLayerNormalization', domain: MS, run: (inputs, ctx) => embedLayerNorm(inputs, ctx) },
  { op: 'FusedConv', domain: MS, run: (inputs, ctx) => [fusedConv(inputs, ctx, false)] },
  { op: 'Conv', domain: 'com.ms.internal.nhwc', run: (inputs, ctx) => [fusedConv(inputs, ctx, true)] },
  { op: 'FusedConv', domain: 'com.ms.internal.nhwc', run: (inputs, ctx) => [fusedConv(inputs, ctx, true)] },
  { op: 'FusedGemm', domain: MS, run: (inputs, ctx) => [fusedGemm(inputs, ctx)] },
  { op: 'FusedMatMul', domain: MS, run: (inputs, ctx) => [fusedMatMul(inputs, ctx)] },
  { op: 'RotaryEmbedding', domain: MS, run: (inputs, ctx) => [rotaryEmbedding(inputs, ctx)] },
  { op: 'MatMulNBits', domain: MS, run: (inputs, ctx) => [matMulNBits(inputs, ctx)] },
  ...microsoftAttentionKernels,
], MICROSOFT_SHAPES);
