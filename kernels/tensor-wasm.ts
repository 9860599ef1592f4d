/**
 * Data movement of float32 tensors inside wasm memory (block copies with copyWithin), so wasm outputs stay resident
 * through it: Concat (squeezenet's fire modules concatenate two conv outputs), Transpose (one that keeps the last
 * axis in place, attention's [b, s, h, d] -> [b, h, s, d], moves whole rows; any other goes through wasm 4×4
 * tiles, wasm/transpose.wat), a Slice with step 1 on the last axis (the Q/K/V split of a fused projection) and
 * Gather of float32 rows (embedding lookups); Reshape, Squeeze, Unsqueeze, Flatten and Identity as views of the
 * same block. Other dtypes, permutations and shapes that do not fit go to the reference (kernels/tensor.ts),
 * which reports what is wrong with them.
 */
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import { referenceKernels } from './index.js';
import type { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import { Tensor } from '../src/tensor/tensor.js';
import { optionalTensor, toIndices } from './elements.js';
import type { KernelContext, KernelDef } from './registry.js';
import { sliceRange, type AxisRange } from './slice.js';

function wasmConcat(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const parts = inputs.filter((v) => v !== undefined);
  if (parts.length === 0 || !parts.every((t) => isTensor(t) && t.dtype === 'float32')) return undefined;
  const tensors = parts as Tensor[], rank = tensors[0]!.rank, axisAttr = ctx.attrs.int('axis');
  if (axisAttr === undefined || rank === 0 || axisAttr < -rank || axisAttr >= rank) return undefined;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr, first = tensors[0]!.shape;
  const fits = tensors.every((t) => t.rank === rank && t.shape.every((d, i) => i === axis || d === first[i]));
  if (!fits) return undefined;
  const outer = first.slice(0, axis).reduce((a, b) => a * b, 1);
  const chunks = tensors.map((t) => t.size / (outer || 1)), row = chunks.reduce((a, b) => a + b, 0);
  const shape = [...first];
  shape[axis] = tensors.reduce((n, t) => n + t.shape[axis]!, 0);
  return rt.call(() => {
    const blocks = tensors.map((t) => rt.values(t) >> 2), y = rt.temp(outer * row);
    const view = rt.f32(), base = y >> 2;
    let offset = 0;
    tensors.forEach((_, k) => {
      for (let o = 0; o < outer; o++) view.copyWithin(base + o * row + offset, blocks[k]! + o * chunks[k]!, blocks[k]! + (o + 1) * chunks[k]!);
      offset += chunks[k]!;
    });
    return rt.output(y, shape);
  });
}

/**
 * Transpose: with perm[-1] = rank-1 each output row of the last dim is one input row, visited in output order;
 * any other permutation goes through 2-D tiles (transposeTiles).
 */
function wasmTranspose(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || X.dtype !== 'float32' || X.rank < 2 || X.size === 0) return undefined;
  const rank = X.rank, perm = ctx.attrs.ints('perm') ?? X.shape.map((_, i) => rank - 1 - i);
  const valid = perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!valid) return undefined;
  const strides = X.shape.map((_, i) => X.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const outShape = perm.map((p) => X.shape[p]!), row = X.shape[rank - 1]!;
  if (perm[rank - 1] !== rank - 1) return transposeTiles(rt, X, perm, strides, outShape);
  const lead = outShape.slice(0, -1), step = perm.slice(0, -1).map((p) => strides[p]!);
  return rt.call(() => {
    const x = rt.values(X) >> 2, y = rt.temp(X.size);
    copyRows(rt.f32(), x, y >> 2, row, lead, step, 0);
    return rt.output(y, outShape);
  });
}

/**
 * A permutation that moves the last axis (attention's K transpose, NCHW <-> NHWC): the input's last axis lands at
 * output position j and the output's last axis is input axis p, so for each index of the other axes the copy is one
 * 2-D transpose of [dim p, last dim] (wasm/transpose.wat's 4×4 tiles); the other axes are an odometer here.
 */
function transposeTiles(rt: WasmKernelRuntime, X: Tensor, perm: readonly number[], strides: readonly number[], outShape: readonly number[]): Tensor {
  const rank = X.rank, p = perm[rank - 1]!, j = perm.indexOf(rank - 1);
  const outStrides = outShape.map((_, i) => outShape.slice(i + 1).reduce((a, b) => a * b, 1));
  const others = outShape.map((_, i) => i).filter((i) => i !== j && i !== rank - 1);
  const dims = others.map((i) => outShape[i]!), count = dims.reduce((a, b) => a * b, 1);
  const srcStep = others.map((i) => strides[perm[i]!]!), dstStep = others.map((i) => outStrides[i]!);
  return rt.call(() => {
    const x = rt.values(X), y = rt.temp(X.size), index = new Array<number>(dims.length).fill(0);
    let src = 0, dst = 0;
    for (let c = 0; c < count; c++) {
      rt.transpose.transpose2d(x + src * 4, y + dst * 4, X.shape[p]!, X.shape[rank - 1]!, strides[p]!, outStrides[j]!);
      for (let d = dims.length - 1; d >= 0; d--) {
        src += srcStep[d]!;
        dst += dstStep[d]!;
        if (++index[d]! < dims[d]!) break;
        src -= srcStep[d]! * dims[d]!;
        dst -= dstStep[d]! * dims[d]!;
        index[d] = 0;
      }
    }
    return rt.output(y, outShape);
  });
}

/** Copies rows of `row` floats: output row r comes from `src` + the odometer over `lead` dims with `step` strides. */
function copyRows(view: Float32Array, x: number, y: number, row: number, lead: readonly number[], step: readonly number[], first: number): void {
  const rows = lead.reduce((a, b) => a * b, 1), index = new Array<number>(lead.length).fill(0);
  let src = first;
  for (let r = 0; r < rows; r++) {
    view.copyWithin(y + r * row, x + src, x + src + row);
    for (let d = lead.length - 1; d >= 0; d--) {
      src += step[d]!;
      if (++index[d]! < lead[d]!) break;
      src -= step[d]! * lead[d]!;
      index[d] = 0;
    }
  }
}

/** The reference's reading of Slice's starts/ends/axes/steps (kernels/slice.ts), or undefined for a zero step. */
function sliceRanges(X: Tensor, inputs: (Value | undefined)[], ctx: KernelContext): AxisRange[] | undefined {
  const fromInputs = ctx.opset >= 10 || inputs.length > 1;
  const list = (i: number, name: string) => {
    if (!fromInputs) return ctx.attrs.ints(name);
    const t = optionalTensor(inputs, i);
    return t ? toIndices(t) : undefined;
  };
  const starts = list(1, 'starts') ?? [], ends = list(2, 'ends') ?? [];
  const axes = list(3, 'axes') ?? starts.map((_, i) => i), steps = (fromInputs ? list(4, 'steps') : undefined) ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length || steps.includes(0)) return undefined;
  const ranges: AxisRange[] = X.shape.map((d) => ({ start: 0, step: 1, length: d }));
  const seen = new Set<number>();
  for (let i = 0; i < axes.length; i++) {
    const axis = axes[i]! < 0 ? axes[i]! + X.rank : axes[i]!;
    if (axis < 0 || axis >= X.rank || seen.has(axis)) return undefined;
    seen.add(axis);
    ranges[axis] = sliceRange(X.shape[axis]!, starts[i]!, ends[i]!, steps[i]!);
  }
  return ranges;
}

function wasmSlice(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || X.dtype !== 'float32' || X.rank === 0) return undefined;
  const ranges = sliceRanges(X, inputs, ctx);
  if (!ranges || ranges[X.rank - 1]!.step !== 1) return undefined;
  const strides = X.shape.map((_, i) => X.shape.slice(i + 1).reduce((a, b) => a * b, 1)), outShape = ranges.map((r) => r.length);
  const size = outShape.reduce((a, b) => a * b, 1);
  const first = ranges.reduce((s, r, d) => s + r.start * strides[d]!, 0);
  return rt.call(() => {
    const y = rt.temp(size);
    if (size > 0) {
      const x = rt.values(X) >> 2;
      copyRows(rt.f32(), x, y >> 2, outShape[X.rank - 1]!, outShape.slice(0, -1), ranges.slice(0, -1).map((r, d) => r.step * strides[d]!), first);
    }
    return rt.output(y, outShape);
  });
}

const NO_VALUES = new Float32Array(0);

/**
 * Reshape, Squeeze, Unsqueeze, Flatten and Identity of a resident tensor, without a copy: the reference kernel
 * works out (and checks) the output shape on a stand-in that has X's shape and no values, and the output is a
 * second tensor on X's wasm block. An input in the JS heap goes to the reference, which moves nothing either.
 */
function wasmView(rt: WasmKernelRuntime, op: string, inputs: (Value | undefined)[], ctx: KernelContext): Tensor[] | undefined {
  const X = inputs[0], reference = referenceKernels.find('', op, ctx.opset);
  if (!rt.isResident(X) || !reference) return undefined;
  const [shaped] = reference.run([new Tensor('float32', X.shape, NO_VALUES), ...inputs.slice(1)], ctx);
  return [rt.view(X, (shaped as Tensor).shape)];
}

export const VIEW_OPS = ['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity'];

/**
 * Gather of float32 data (an embedding table: a constant, so it is copied into wasm memory once) by integer
 * indices: each index copies one inner block inside wasm memory, so the looked-up rows are resident for the next
 * wasm kernel. An index out of range goes to the reference, which names it.
 */
function wasmGather(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const [X, I] = inputs;
  if (!isTensor(X) || !isTensor(I) || X.dtype !== 'float32' || (I.dtype !== 'int64' && I.dtype !== 'int32') || X.rank === 0) return undefined;
  const given = ctx.attrs.int('axis', 0);
  if (given < -X.rank || given >= X.rank) return undefined;
  const axis = given < 0 ? given + X.rank : given, n = X.shape[axis]!;
  const indices = toIndices(I).map((i) => (i < 0 ? i + n : i));
  if (indices.some((i) => i < 0 || i >= n)) return undefined;
  const outer = X.shape.slice(0, axis).reduce((a, b) => a * b, 1), inner = X.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const shape = [...X.shape.slice(0, axis), ...I.shape, ...X.shape.slice(axis + 1)];
  return rt.call(() => {
    const y = rt.temp(outer * indices.length * inner);
    if (outer * indices.length * inner > 0) {
      const x = rt.values(X) >> 2, view = rt.f32(), base = y >> 2;
      let at = base;
      for (let o = 0; o < outer; o++) {
        for (const i of indices) {
          const from = x + (o * n + i) * inner;
          view.copyWithin(at, from, from + inner);
          at += inner;
        }
      }
    }
    return rt.output(y, shape);
  });
}

export function tensorWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  const one = (t: Tensor | undefined) => (t ? [t] : undefined);
  return [
    wasmKernel(rt, 'Concat', (inputs, ctx) => one(wasmConcat(rt, inputs, ctx))),
    wasmKernel(rt, 'Transpose', (inputs, ctx) => one(wasmTranspose(rt, inputs, ctx))),
    wasmKernel(rt, 'Slice', (inputs, ctx) => one(wasmSlice(rt, inputs, ctx))),
    wasmKernel(rt, 'Gather', (inputs, ctx) => one(wasmGather(rt, inputs, ctx))),
    ...VIEW_OPS.map((op) => wasmKernel(rt, op, (inputs, ctx) => wasmView(rt, op, inputs, ctx))),
  ];
}
