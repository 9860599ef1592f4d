/**
 * Concat of float32 tensors inside wasm memory (block copies with copyWithin), so wasm outputs stay resident
 * through it (squeezenet's fire modules concatenate two conv outputs). Other dtypes and shapes that do not fit go
 * to the reference (kernels/tensor.ts), which reports what is wrong with them.
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

export function tensorWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  return [wasmKernel(rt, 'Concat', (inputs, ctx) => {
    const y = wasmConcat(rt, inputs, ctx);
    return y && [y];
  })];
}
