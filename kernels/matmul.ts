import { NeuropodError } from '../src/api/errors.js';
import type { DType } from '../src/tensor/dtype.js';
import { Tensor, sizeOf, type Shape } from '../src/tensor/tensor.js';
import { optionalTensor, tensorInput } from './elements.js';
import { floatBuffer, floatTensor, floatView, type FloatArray } from './float-data.js';
import { gemm, gemmInt32, gemmInt64, transpose2d } from './gemm.js';
import { broadcastIndexMap, broadcastShapes, stridesOf } from './indexing.js';
import type { ShapeFn, KernelDef } from './registry.js';
import { broadcastDim, broadcastDims, matmulOf, withShapes, type ShapeTable } from './shape-rules.js';
import type { Dim } from '../src/graph/ir.js';

/** Integer products wrap like the hardware does; uint32/uint64 share the signed loops (same bits modulo 2^n). */
type Kind = 'float' | 'int32' | 'int64';
type Storage = FloatArray | Int32Array | BigInt64Array;

function kindOf(dtype: DType): Kind {
  if (dtype === 'int32' || dtype === 'uint32') return 'int32';
  if (dtype === 'int64' || dtype === 'uint64') return 'int64';
  return 'float';
}

function operand(t: Tensor, kind: Kind): Storage {
  const d = t.numeric;
  if (kind === 'int32') return new Int32Array(d.buffer, d.byteOffset, d.length);
  if (kind === 'int64') return new BigInt64Array(d.buffer, d.byteOffset, d.length);
  return floatView(t);
}

function allocateProduct(kind: Kind, dtype: DType, size: number): Storage {
  if (kind === 'int32') return new Int32Array(size);
  if (kind === 'int64') return new BigInt64Array(size);
  return floatBuffer(dtype, size);
}

function product(kind: Kind, m: number, n: number, k: number, a: Storage, aOff: number, b: Storage, bOff: number, c: Storage, cOff: number): void {
  if (kind === 'int32') gemmInt32(m, n, k, a as Int32Array, aOff, b as Int32Array, bOff, c as Int32Array, cOff);
  else if (kind === 'int64') gemmInt64(m, n, k, a as BigInt64Array, aOff, b as BigInt64Array, bOff, c as BigInt64Array, cOff);
  else gemm(m, n, k, a as FloatArray, aOff, b as FloatArray, bOff, c as FloatArray, cOff);
}

function productTensor(kind: Kind, dtype: DType, shape: Shape, c: Storage): Tensor {
  if (kind === 'float') return floatTensor(dtype, shape, c as FloatArray);
  if (dtype === 'uint32') return new Tensor(dtype, [...shape], new Uint32Array((c as Int32Array).buffer));
  if (dtype === 'uint64') return new Tensor(dtype, [...shape], new BigUint64Array((c as BigInt64Array).buffer));
  return new Tensor(dtype, [...shape], c as Int32Array | BigInt64Array);
}

/** numpy.matmul semantics (ONNX MatMul): 1-D operands gain and then lose a unit dim; batch dims broadcast. */
export function matmul(A: Tensor, B: Tensor): Tensor {
  if (A.rank === 0 || B.rank === 0) throw new NeuropodError('INFERENCE_FAILED', `MatMul needs operands of rank 1 or more`);
  const aShape = A.rank === 1 ? [1, A.shape[0]!] : A.shape;
  const bShape = B.rank === 1 ? [B.shape[0]!, 1] : B.shape;
  const m = aShape[aShape.length - 2]!, k = aShape[aShape.length - 1]!, n = bShape[bShape.length - 1]!;
  if (bShape[bShape.length - 2] !== k) throw new NeuropodError('INFERENCE_FAILED', `MatMul: shapes [${A.shape}] and [${B.shape}] do not chain (${k} vs ${bShape[bShape.length - 2]})`);
  const aBatch = aShape.slice(0, -2), bBatch = bShape.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch);
  const aMap = broadcastIndexMap(aBatch, batch), bMap = broadcastIndexMap(bBatch, batch);
  const kind = kindOf(A.dtype);
  const a = operand(A, kind), b = operand(B, kind);
  const c = allocateProduct(kind, A.dtype, sizeOf(batch) * m * n);
  for (let i = 0; i < aMap.length; i++) product(kind, m, n, k, a, aMap[i]! * m * k, b, bMap[i]! * k * n, c, i * m * n);
  const shape = [...batch, ...(A.rank === 1 ? [] : [m]), ...(B.rank === 1 ? [] : [n])];
  return productTensor(kind, A.dtype, shape, c);
}

/**
 * ONNX Gemm: Y = alpha·A'·B' + beta·C, C broadcast unidirectionally to [M, N]. Integer Gemm computes in float64
 * (alpha and beta are floats), exact while the values stay below 2^53.
 */
function runGemm(inputs: Parameters<KernelDef['run']>[0], ctx: Parameters<KernelDef['run']>[1]): Tensor {
  const A = tensorInput(inputs, 0, 'Gemm'), B = tensorInput(inputs, 1, 'Gemm'), C = optionalTensor(inputs, 2);
  const transA = ctx.attrs.int('transA', 0) !== 0, transB = ctx.attrs.int('transB', 0) !== 0;
  const alpha = ctx.attrs.float('alpha', 1), beta = ctx.attrs.float('beta', 1);
  const [ar, ac] = A.shape as [number, number], [br, bc] = B.shape as [number, number];
  const m = transA ? ac : ar, k = transA ? ar : ac, n = transB ? br : bc;
  if ((transB ? bc : br) !== k) throw new NeuropodError('INFERENCE_FAILED', `Gemm: A' [${m}, ${k}] and B' do not chain (B is [${B.shape}])`);
  let a = floatView(A), b = floatView(B);
  if (transA) a = transpose2d(a, 0, ar, ac, floatBuffer(A.dtype, a.length));
  if (transB) b = transpose2d(b, 0, br, bc, floatBuffer(A.dtype, b.length));
  const y = floatBuffer(A.dtype, m * n);
  if (C && beta !== 0) {
    const cv = floatView(C), map = broadcastIndexMap(C.shape, [m, n]);
    for (let i = 0; i < y.length; i++) y[i] = beta * cv[map[i]!]!;
  }
  if (alpha === 1) gemm(m, n, k, a, 0, b, 0, y, 0);
  else {
    const ab = floatBuffer(A.dtype, m * n);
    gemm(m, n, k, a, 0, b, 0, ab, 0);
    for (let i = 0; i < y.length; i++) y[i] += alpha * ab[i]!;
  }
  return floatTensor(A.dtype, [m, n], y);
}

interface EinsumPlan {
  /** Size of each label; output labels first, then the summed ones. */
  sizes: number[];
  outRank: number;
  /** Per operand, per label: the element stride (repeated labels add theirs: a diagonal). */
  strides: number[][];
}

const ELLIPSIS = '...';

function parseTerm(term: string): string[] {
  const labels: string[] = [];
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith(ELLIPSIS, i)) {
      labels.push(ELLIPSIS);
      i += 2;
    } else if (/[A-Za-z]/.test(term[i]!)) labels.push(term[i]!);
    else throw new NeuropodError('INFERENCE_FAILED', `Einsum: bad character '${term[i]}' in the equation`);
  }
  return labels;
}

/** Replaces '...' by one label a broadcast dim ('0', '1', ... numbered from the right, as numpy aligns them). */
function expandEllipsis(labels: string[], rank: number): string[] {
  const at = labels.indexOf(ELLIPSIS);
  if (at < 0) return labels;
  const count = rank - (labels.length - 1);
  const dims = Array.from({ length: count }, (_, i) => String(count - 1 - i));
  return [...labels.slice(0, at), ...dims, ...labels.slice(at + 1)];
}

/** ONNX Einsum (numpy.einsum conventions): implicit output = ellipsis dims then labels seen once, sorted. */
function planEinsum(equation: string, shapes: Shape[]): EinsumPlan {
  const [lhs, rhs] = equation.replace(/\s/g, '').split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) throw new NeuropodError('INFERENCE_FAILED', `Einsum: the equation names ${terms.length} operands, ${shapes.length} given`);
  const operands = terms.map((t, i) => expandEllipsis(parseTerm(t), shapes[i]!.length));
  const sizes = new Map<string, number>();
  const counts = new Map<string, number>();
  operands.forEach((labels, i) => {
    if (labels.length !== shapes[i]!.length) throw new NeuropodError('INFERENCE_FAILED', `Einsum: term '${terms[i]}' does not fit an operand of rank ${shapes[i]!.length}`);
    labels.forEach((l, d) => {
      const size = shapes[i]![d]!, known = sizes.get(l);
      if (known !== undefined && known !== size && known !== 1 && size !== 1) throw new NeuropodError('INFERENCE_FAILED', `Einsum: label '${l}' has sizes ${known} and ${size}`);
      sizes.set(l, known === undefined || known === 1 ? size : known);
      counts.set(l, (counts.get(l) ?? 0) + 1);
    });
  });
  const broadcastDims = [...sizes.keys()].filter((l) => /\d/.test(l)).sort((x, y) => Number(y) - Number(x));
  const maxRank = broadcastDims.length;
  const out = rhs !== undefined
    ? expandEllipsis(parseTerm(rhs), parseTerm(rhs).length - 1 + maxRank)
    : [...broadcastDims, ...[...counts].filter(([l, c]) => c === 1 && !/\d/.test(l)).map(([l]) => l).sort()];
  const summed = [...sizes.keys()].filter((l) => !out.includes(l));
  const labels = [...out, ...summed];
  const strides = operands.map((ls, i) => {
    const st = stridesOf(shapes[i]!);
    return labels.map((l) => ls.reduce((acc, x, d) => (x === l && shapes[i]![d] !== 1 ? acc + st[d]! : acc), 0));
  });
  return { sizes: labels.map((l) => sizes.get(l) ?? 1), outRank: out.length, strides };
}

/** Walks every label combination once, output labels outermost, keeping one running offset per operand. */
function einsum(equation: string, tensors: Tensor[]): Tensor {
  const plan = planEinsum(equation, tensors.map((t) => t.shape));
  const outShape = plan.sizes.slice(0, plan.outRank);
  const outSize = sizeOf(outShape), sumSize = sizeOf(plan.sizes.slice(plan.outRank));
  const values = tensors.map(floatView);
  const y = floatBuffer(tensors[0]!.dtype, outSize);
  const L = plan.sizes.length, idx = new Array<number>(L).fill(0), off = new Array<number>(tensors.length).fill(0);
  for (let o = 0; o < outSize && sumSize > 0; o++) {
    let acc = 0;
    for (let s = 0; s < sumSize; s++) {
      let p = 1;
      for (let t = 0; t < values.length; t++) p *= values[t]![off[t]!]!;
      acc += p;
      for (let d = L - 1; d >= 0; d--) {
        for (let t = 0; t < off.length; t++) off[t] += plan.strides[t]![d]!;
        if (++idx[d]! < plan.sizes[d]!) break;
        for (let t = 0; t < off.length; t++) off[t] -= plan.strides[t]![d]! * idx[d]!;
        idx[d] = 0;
      }
    }
    y[o] = acc;
  }
  return floatTensor(tensors[0]!.dtype, outShape, y);
}

/** Determinant of each trailing square matrix by LU with partial pivoting, in float64. */
function det(X: Tensor): Tensor {
  const n = X.shape[X.rank - 1]!;
  if (X.rank < 2 || X.shape[X.rank - 2] !== n) throw new NeuropodError('INFERENCE_FAILED', `Det needs square matrices, got [${X.shape}]`);
  const x = floatView(X), batch = X.shape.slice(0, -2), count = sizeOf(batch);
  const y = floatBuffer(X.dtype, count), lu = new Float64Array(n * n);
  for (let b = 0; b < count; b++) {
    lu.set(x.subarray(b * n * n, (b + 1) * n * n));
    y[b] = luDeterminant(lu, n);
  }
  return floatTensor(X.dtype, batch, y);
}

function luDeterminant(a: Float64Array, n: number): number {
  let d = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]!) > Math.abs(a[piv * n + c]!)) piv = r;
    if (a[piv * n + c] === 0) return 0;
    if (piv !== c) {
      for (let j = 0; j < n; j++) [a[c * n + j], a[piv * n + j]] = [a[piv * n + j]!, a[c * n + j]!];
      d = -d;
    }
    const p = a[c * n + c]!;
    d *= p;
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / p;
      for (let j = c + 1; j < n; j++) a[r * n + j] -= f * a[c * n + j]!;
    }
  }
  return d;
}

/** Gemm: Y is [M, N] from A' = transA ? Aᵀ : A and B' likewise (ONNX Gemm doc); C only broadcasts onto it. */
export const gemmShape: ShapeFn = (inputs, ctx) => {
  const [a, b] = inputs;
  if (a?.dims?.length !== 2 || b?.dims?.length !== 2) return [{ dtype: a?.dtype, dims: [null, null] }];
  const m = ctx.attrs.int('transA', 0) !== 0 ? a.dims[1]! : a.dims[0]!, n = ctx.attrs.int('transB', 0) !== 0 ? b.dims[0]! : b.dims[1]!;
  return [{ dtype: a.dtype, dims: [m, n] }];
};

/**
 * Einsum's output dims (ONNX Einsum doc): each output letter takes its size from the inputs that carry it; the
 * ellipsis dims broadcast; without '->' the output is the ellipsis then the letters used once, sorted.
 */
const einsumShape: ShapeFn = (inputs, ctx) => {
  const equation = ctx.attrs.require('equation', 'string').replace(/\s/g, '');
  const [lhs, given] = equation.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  const sizes = new Map<string, Dim>(), seen = new Map<string, number>(), ellipses: Dim[][] = [];
  for (const [i, term] of terms.entries()) {
    const dims = inputs[i]?.dims;
    if (!dims) return [{ dtype: inputs[0]?.dtype }];
    const letters = term.replace('...', '');
    const dotsAt = term.indexOf('...'), extra = dims.length - letters.length;
    if (dotsAt >= 0) ellipses.push(dims.slice(dotsAt, dotsAt + extra));
    [...letters].forEach((c, j) => {
      const d = dims[dotsAt >= 0 && j >= dotsAt ? j + extra : j]!;
      sizes.set(c, sizes.has(c) ? broadcastDim(sizes.get(c)!, d) : d);
      seen.set(c, (seen.get(c) ?? 0) + 1);
    });
  }
  const output = given ?? `${ellipses.length ? '...' : ''}${[...seen].filter(([, n]) => n === 1).map(([c]) => c).sort().join('')}`;
  const dots = broadcastDims(ellipses);
  const dims = output.split('...').map((part) => [...part].map((c) => sizes.get(c) ?? null));
  return [{ dtype: inputs[0]?.dtype, dims: dims.length === 2 ? [...dims[0]!, ...dots, ...dims[1]!] : dims[0] }];
};

const MATMUL_SHAPES: ShapeTable = {
  Einsum: einsumShape,
  MatMul: matmulOf(),
  Gemm: gemmShape,
  Det: (inputs) => [{ dtype: inputs[0]?.dtype, dims: inputs[0]?.dims?.slice(0, -2) }],
};

export const matmulKernels: KernelDef[] = withShapes([
  { op: 'MatMul', run: (inputs) => [matmul(tensorInput(inputs, 0, 'MatMul'), tensorInput(inputs, 1, 'MatMul'))] },
  { op: 'Gemm', run: (inputs, ctx) => [runGemm(inputs, ctx)] },
  { op: 'Einsum', since: 12, run: (inputs, ctx) => [einsum(ctx.attrs.require('equation', 'string'), inputs.map((_, i) => tensorInput(inputs, i, 'Einsum')))] },
  { op: 'Det', since: 11, run: (inputs) => [det(tensorInput(inputs, 0, 'Det'))] },
], MATMUL_SHAPES);
