/**
 * Data movement of float32 tensors inside wasm memory (block copies with copyWithin), so wasm outputs stay resident
 * through it: Concat (squeezenet's fire modules concatenate two conv outputs) and a Transpose that keeps the last
 * axis in place (attention's [b, s, h, d] -> [b, h, s, d]: whole rows move). Other dtypes, permutations and shapes
 * that do not fit go to the reference (kernels/tensor.ts), which reports what is wrong with them.
 */
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import type { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import type { Tensor } from '../src/tensor/tensor.js';
import type { KernelContext, KernelDef } from './registry.js';

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

/** Transpose with perm[-1] = rank-1: each output row of the last dim is one input row, visited in output order. */
function wasmTranspose(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || X.dtype !== 'float32' || X.rank < 2 || X.size === 0) return undefined;
  const rank = X.rank, perm = ctx.attrs.ints('perm') ?? X.shape.map((_, i) => rank - 1 - i);
  const valid = perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!valid || perm[rank - 1] !== rank - 1) return undefined;
  const strides = X.shape.map((_, i) => X.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const outShape = perm.map((p) => X.shape[p]!), row = X.shape[rank - 1]!, rows = X.size / row;
  const lead = outShape.slice(0, -1), step = perm.slice(0, -1).map((p) => strides[p]!);
  return rt.call(() => {
    const x = rt.values(X) >> 2, y = rt.temp(X.size), view = rt.f32(), index = new Array<number>(lead.length).fill(0);
    let src = 0;
    for (let r = 0; r < rows; r++) {
      view.copyWithin((y >> 2) + r * row, x + src, x + src + row);
      for (let d = lead.length - 1; d >= 0; d--) {
        src += step[d]!;
        if (++index[d]! < lead[d]!) break;
        src -= step[d]! * lead[d]!;
        index[d] = 0;
      }
    }
    return rt.output(y, outShape);
  });
}

export function tensorWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  const one = (t: Tensor | undefined) => (t ? [t] : undefined);
  return [
    wasmKernel(rt, 'Concat', (inputs, ctx) => one(wasmConcat(rt, inputs, ctx))),
    wasmKernel(rt, 'Transpose', (inputs, ctx) => one(wasmTranspose(rt, inputs, ctx))),
  ];
}
