import { NeuropodError } from '../src/api/errors.js';
import type { DType } from '../src/tensor/dtype.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { optionalTensor, tensorInput } from './elements.js';
import { floatBuffer, floatTensor, floatView, type FloatArray } from './float-data.js';
import { broadcastIndexMap, normalizeAxis } from './indexing.js';
import type { ShapeFn, KernelContext, KernelDef } from './registry.js';
import { axisOf, sameShape, withShapes, type ShapeTable } from './shape-rules.js';

type Inputs = Parameters<KernelDef['run']>[0];

/** Mean and (population) variance of x[start, start + count), accumulated in float64. */
function moments(x: FloatArray, start: number, count: number): [number, number] {
  let sum = 0;
  for (let i = start; i < start + count; i++) sum += x[i]!;
  const mean = sum / count;
  let sq = 0;
  for (let i = start; i < start + count; i++) sq += (x[i]! - mean) ** 2;
  return [mean, sq / count];
}

/** A parameter broadcast (unidirectionally) to `shape`, as one value per position. */
function spread(t: Tensor | undefined, shape: readonly number[], fallback: number): Float64Array {
  const out = new Float64Array(sizeOf(shape)).fill(fallback);
  if (!t) return out;
  const v = floatView(t), map = broadcastIndexMap(t.shape, shape);
  for (let i = 0; i < out.length; i++) out[i] = v[map[i]!]!;
  return out;
}

/**
 * BatchNormalization. Inference: per channel (axis 1) y = scale·(x - mean)/sqrt(var + ε) + B. training_mode
 * (opset 14+) normalizes by the batch statistics and also returns running_mean/var = input·momentum +
 * batch·(1 - momentum). Before opset 9, spatial=0 gives parameters one value per (channel, position).
 */
function batchNorm(inputs: Inputs, ctx: KernelContext): Tensor[] {
  const X = tensorInput(inputs, 0, 'BatchNormalization'), params = [1, 2, 3, 4].map((i) => tensorInput(inputs, i, 'BatchNormalization'));
  const [scale, bias, mean, variance] = params.map(floatView) as [FloatArray, FloatArray, FloatArray, FloatArray];
  const eps = ctx.attrs.float('epsilon', 1e-5), momentum = ctx.attrs.float('momentum', 0.9);
  const n = X.shape[0]!, c = X.rank > 1 ? X.shape[1]! : 1, inner = sizeOf(X.shape.slice(2));
  const per = scale.length / c, x = floatView(X), y = floatBuffer(X.dtype, X.size);
  const training = ctx.attrs.int('training_mode', 0) === 1;
  const batchMean = new Float64Array(c), batchVar = new Float64Array(c);
  if (training) channelMoments(x, n, c, inner, batchMean, batchVar);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * inner;
      for (let i = 0; i < inner; i++) {
        const p = ch * per + (per === 1 ? 0 : i);
        const mu = training ? batchMean[ch]! : mean[p]!, v = training ? batchVar[ch]! : variance[p]!;
        y[base + i] = scale[p]! * (x[base + i]! - mu) / Math.sqrt(v + eps) + bias[p]!;
      }
    }
  }
  const out = [floatTensor(X.dtype, X.shape, y)];
  if (training) {
    const [, , , M, V] = [X, ...params] as Tensor[];
    out.push(floatTensor(M!.dtype, M!.shape, Float64Array.from(mean, (m, i) => m * momentum + batchMean[i]! * (1 - momentum))));
    out.push(floatTensor(V!.dtype, V!.shape, Float64Array.from(variance, (m, i) => m * momentum + batchVar[i]! * (1 - momentum))));
  }
  return out;
}

function channelMoments(x: FloatArray, n: number, c: number, inner: number, mean: Float64Array, variance: Float64Array): void {
  for (let ch = 0; ch < c; ch++) {
    let sum = 0, sq = 0;
    for (let b = 0; b < n; b++) for (let i = (b * c + ch) * inner, e = i + inner; i < e; i++) sum += x[i]!;
    const mu = sum / (n * inner);
    for (let b = 0; b < n; b++) for (let i = (b * c + ch) * inner, e = i + inner; i < e; i++) sq += (x[i]! - mu) ** 2;
    mean[ch] = mu;
    variance[ch] = sq / (n * inner);
  }
}

/** Normalizes each run of `size` values starting at `base`, then applies the per-position scale and bias. */
function normalizeRun(x: FloatArray, y: FloatArray, base: number, size: number, eps: number, scale: (i: number) => number, bias: (i: number) => number): [number, number] {
  const [mean, variance] = moments(x, base, size);
  const inv = 1 / Math.sqrt(variance + eps);
  for (let i = 0; i < size; i++) y[base + i] = (x[base + i]! - mean) * inv * scale(i) + bias(i);
  return [mean, inv];
}

/** InstanceNormalization: each (n, c) plane normalized over its spatial positions, then scale[c], B[c]. */
function instanceNorm(inputs: Inputs, ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'InstanceNormalization');
  const scale = floatView(tensorInput(inputs, 1, 'InstanceNormalization')), bias = floatView(tensorInput(inputs, 2, 'InstanceNormalization'));
  const eps = ctx.attrs.float('epsilon', 1e-5), c = X.shape[1]!, inner = sizeOf(X.shape.slice(2));
  const x = floatView(X), y = floatBuffer(X.dtype, X.size);
  for (let plane = 0; plane < X.size / Math.max(inner, 1); plane++) {
    const ch = plane % c;
    normalizeRun(x, y, plane * inner, inner, eps, () => scale[ch]!, () => bias[ch]!);
  }
  return floatTensor(X.dtype, X.shape, y);
}

/**
 * GroupNormalization: channels split into num_groups, each (n, group) normalized together. Scale and bias are
 * one per group at opset 18 and one per channel from opset 21; the size tells which.
 */
function groupNorm(inputs: Inputs, ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'GroupNormalization');
  const scale = floatView(tensorInput(inputs, 1, 'GroupNormalization')), bias = floatView(tensorInput(inputs, 2, 'GroupNormalization'));
  const eps = ctx.attrs.float('epsilon', 1e-5), groups = ctx.attrs.require('num_groups', 'int');
  const c = X.shape[1]!, inner = sizeOf(X.shape.slice(2)), cg = c / groups, run = cg * inner;
  if (!Number.isInteger(cg)) throw new NeuropodError('INFERENCE_FAILED', `GroupNormalization: ${c} channels do not split into ${groups} groups`);
  const perChannel = scale.length === c;
  const x = floatView(X), y = floatBuffer(X.dtype, X.size);
  for (let r = 0; r < X.size / Math.max(run, 1); r++) {
    const g = r % groups;
    const at = (i: number) => (perChannel ? g * cg + Math.floor(i / inner) : g);
    normalizeRun(x, y, r * run, run, eps, (i) => scale[at(i)]!, (i) => bias[at(i)]!);
  }
  return floatTensor(X.dtype, X.shape, y);
}

/** Mean/InvStdDev keep X's float width, float32 for the 16-bit floats (the stash_type default). */
function statsDType(x: DType, stashType: number): DType {
  return x === 'float64' || stashType === 11 ? 'float64' : 'float32';
}

/**
 * LayerNormalization (opset 17): rows are X.shape[:axis], each normalized over X.shape[axis:]; Scale and B
 * broadcast to the normalized shape. Mean and InvStdDev have X's shape with the normalized dims set to 1.
 */
function layerNorm(inputs: Inputs, ctx: KernelContext): Tensor[] {
  const X = tensorInput(inputs, 0, 'LayerNormalization');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), X.rank), eps = ctx.attrs.float('epsilon', 1e-5);
  const normShape = X.shape.slice(axis), cols = sizeOf(normShape), rows = sizeOf(X.shape.slice(0, axis));
  const scale = spread(tensorInput(inputs, 1, 'LayerNormalization'), normShape, 1), bias = spread(optionalTensor(inputs, 2), normShape, 0);
  const x = floatView(X), y = floatBuffer(X.dtype, X.size), means = new Float64Array(rows), invs = new Float64Array(rows);
  for (let r = 0; r < rows; r++) [means[r], invs[r]] = normalizeRun(x, y, r * cols, cols, eps, (i) => scale[i]!, (i) => bias[i]!);
  const statShape = [...X.shape.slice(0, axis), ...normShape.map(() => 1)], sd = statsDType(X.dtype, ctx.attrs.int('stash_type', 1));
  return [floatTensor(X.dtype, X.shape, y), floatTensor(sd, statShape, means), floatTensor(sd, statShape, invs)];
}

/** RMSNormalization (opset 23): y = x / sqrt(mean(x²) + ε) · scale over X.shape[axis:]. */
function rmsNorm(inputs: Inputs, ctx: KernelContext): Tensor {
  const X = tensorInput(inputs, 0, 'RMSNormalization');
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), X.rank), eps = ctx.attrs.float('epsilon', 1e-5);
  const normShape = X.shape.slice(axis), cols = sizeOf(normShape), rows = sizeOf(X.shape.slice(0, axis));
  const scale = spread(tensorInput(inputs, 1, 'RMSNormalization'), normShape, 1);
  const x = floatView(X), y = floatBuffer(X.dtype, X.size);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let i = r * cols; i < (r + 1) * cols; i++) sq += x[i]! ** 2;
    const inv = 1 / Math.sqrt(sq / cols + eps);
    for (let i = 0; i < cols; i++) y[r * cols + i] = x[r * cols + i]! * inv * scale[i]!;
  }
  return floatTensor(X.dtype, X.shape, y);
}

/** LRN (ONNX LRN doc): y = x / (bias + alpha/size · Σ x² over channels c - ⌊(size-1)/2⌋ .. c + ⌈(size-1)/2⌉)^beta. */
function lrn(X: Tensor, ctx: KernelContext): Tensor {
  const size = ctx.attrs.require('size', 'int'), alpha = ctx.attrs.float('alpha', 1e-4), beta = ctx.attrs.float('beta', 0.75), k = ctx.attrs.float('bias', 1);
  const n = X.shape[0]!, c = X.shape[1]!, inner = sizeOf(X.shape.slice(2)), below = Math.floor((size - 1) / 2), above = Math.ceil((size - 1) / 2);
  const x = floatView(X), y = floatBuffer(X.dtype, X.size);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < inner; i++) {
        let sq = 0;
        for (let q = Math.max(0, ch - below); q <= Math.min(c - 1, ch + above); q++) sq += x[(b * c + q) * inner + i]! ** 2;
        const at = (b * c + ch) * inner + i;
        y[at] = x[at]! / (k + (alpha / size) * sq) ** beta;
      }
    }
  }
  return floatTensor(X.dtype, X.shape, y);
}

/** Flat offsets of the kept dims (one per group) and of the reduced `axes` (one per group member). */
function reductionGroups(shape: readonly number[], axes: number[]): { outer: number[]; inner: number[] } {
  const strides: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  const offsets = (dims: number[]) => dims.reduce<number[]>((acc, d) => acc.flatMap((o) => Array.from({ length: shape[d]! }, (_, i) => o + i * strides[d]!)), [0]);
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  return { outer: offsets(kept), inner: offsets(axes) };
}

/** MeanVarianceNormalization (its ONNX function body): (x - mean) / (sqrt(E[x²] - mean²) + 1e-9) over `axes`. */
function mvn(X: Tensor, ctx: KernelContext): Tensor {
  const axes = ctx.attrs.ints('axes', [0, 2, 3]).map((a) => normalizeAxis(a, X.rank));
  const { outer, inner } = reductionGroups(X.shape, axes);
  const x = floatView(X), y = floatBuffer(X.dtype, X.size);
  for (const o of outer) {
    let sum = 0, sq = 0;
    for (const i of inner) {
      sum += x[o + i]!;
      sq += x[o + i]! ** 2;
    }
    const mean = sum / inner.length, std = Math.sqrt(sq / inner.length - mean * mean);
    for (const i of inner) y[o + i] = (x[o + i]! - mean) / (std + 1e-9);
  }
  return floatTensor(X.dtype, X.shape, y);
}

/** LpNormalization: x / ‖x‖_p along `axis` (p is 1 or 2). */
function lpNorm(X: Tensor, ctx: KernelContext): Tensor {
  const axis = normalizeAxis(ctx.attrs.int('axis', -1), X.rank), p = ctx.attrs.int('p', 2);
  if (p !== 1 && p !== 2) throw new NeuropodError('INFERENCE_FAILED', `LpNormalization: p must be 1 or 2, got ${p}`);
  const { outer, inner } = reductionGroups(X.shape, [axis]);
  const x = floatView(X), y = floatBuffer(X.dtype, X.size);
  for (const o of outer) {
    let acc = 0;
    for (const i of inner) acc += p === 1 ? Math.abs(x[o + i]!) : x[o + i]! ** 2;
    const norm = p === 1 ? acc : Math.sqrt(acc);
    for (const i of inner) y[o + i] = norm === 0 ? 0 : x[o + i]! / norm;
  }
  return floatTensor(X.dtype, X.shape, y);
}

/** [N, spatial..., C] ⇄ [N, C, spatial...] (toFirst picks the direction), for onnxruntime's NHWC-domain ops. */
function moveChannels(t: Tensor, toFirst: boolean): Tensor {
  const n = t.shape[0]!, c = toFirst ? t.shape[t.rank - 1]! : t.shape[1]!, s = t.size / Math.max(n * c, 1);
  const src = t.numeric, dst = new (src.constructor as new (size: number) => typeof src)(src.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < s; i++) {
        const first = (b * c + ch) * s + i, last = (b * s + i) * c + ch;
        dst[toFirst ? first : last] = src[toFirst ? last : first]!;
      }
    }
  }
  const shape = toFirst ? [n, c, ...t.shape.slice(1, -1)] : [n, ...t.shape.slice(2), c];
  return new Tensor(t.dtype, shape, dst);
}

/** onnxruntime's internal com.ms.internal.nhwc BatchNormalization: the same op on channels-last data. */
function batchNormNhwc(inputs: Inputs, ctx: KernelContext): Tensor[] {
  const X = tensorInput(inputs, 0, 'BatchNormalization');
  if (X.rank <= 2) return batchNorm(inputs, ctx);
  const [Y, ...rest] = batchNorm([moveChannels(X, true), ...inputs.slice(1)], ctx);
  return [moveChannels(Y!, false), ...rest];
}

/** BatchNormalization: Y is X's shape; in training mode the running mean and variance keep their inputs' shapes. */
const batchNormShape: ShapeFn = (inputs) => [{ dtype: inputs[0]?.dtype, dims: inputs[0]?.dims }, inputs[3], inputs[4]];

/** LayerNormalization (opset 17 doc): Y as X; Mean and InvStdDev keep X's dims before axis and are 1 from it, in the stash type. */
export const layerNormShape: ShapeFn = (inputs, ctx) => {
  const x = inputs[0];
  const stash = x?.dtype ? statsDType(x.dtype, ctx.attrs.int('stash_type', 1)) : undefined;
  if (!x?.dims) return [{ dtype: x?.dtype }, { dtype: stash }, { dtype: stash }];
  const axis = axisOf(ctx.attrs.int('axis', -1), x.dims.length);
  const stats = x.dims.map((d, i) => (i < axis ? d : 1));
  return [{ dtype: x.dtype, dims: x.dims }, { dtype: stash, dims: stats }, { dtype: stash, dims: stats }];
};

const NORMALIZATION_SHAPES: ShapeTable = {
  'com.ms.internal.nhwc::BatchNormalization': batchNormShape,
  BatchNormalization: batchNormShape,
  InstanceNormalization: sameShape,
  GroupNormalization: sameShape,
  LayerNormalization: layerNormShape,
  RMSNormalization: sameShape,
  LRN: sameShape,
  MeanVarianceNormalization: sameShape,
  LpNormalization: sameShape,
};

export const normalizationKernels: KernelDef[] = withShapes([
  { op: 'BatchNormalization', domain: 'com.ms.internal.nhwc', run: (inputs, ctx) => batchNormNhwc(inputs, ctx) },
  { op: 'BatchNormalization', run: (inputs, ctx) => batchNorm(inputs, ctx) },
  { op: 'InstanceNormalization', run: (inputs, ctx) => [instanceNorm(inputs, ctx)] },
  { op: 'GroupNormalization', since: 18, run: (inputs, ctx) => [groupNorm(inputs, ctx)] },
  { op: 'LayerNormalization', since: 17, run: (inputs, ctx) => layerNorm(inputs, ctx) },
  { op: 'RMSNormalization', since: 23, run: (inputs, ctx) => [rmsNorm(inputs, ctx)] },
  { op: 'LRN', run: (inputs, ctx) => [lrn(tensorInput(inputs, 0, 'LRN'), ctx)] },
  { op: 'MeanVarianceNormalization', since: 9, run: (inputs, ctx) => [mvn(tensorInput(inputs, 0, 'MeanVarianceNormalization'), ctx)] },
  { op: 'LpNormalization', run: (inputs, ctx) => [lpNorm(tensorInput(inputs, 0, 'LpNormalization'), ctx)] },
], NORMALIZATION_SHAPES);
