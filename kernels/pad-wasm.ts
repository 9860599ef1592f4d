/**
 * Pad in constant mode on float32 inside wasm memory: the output is filled with the value, then the kept part of
 * the input (negative pads crop) is copied in as runs of whole rows. Trailing axes with no padding are merged into
 * one run, so blazeface's channel padding of an NCHW tensor is two block copies per image. Other modes and dtypes
 * go to the reference (kernels/pad.ts), which reads the arguments the same way.
 */
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import type { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { padArguments } from './pad.js';
import type { KernelContext, KernelDef } from './registry.js';

/** The axes after merging each run of trailing unpadded axes into the axis before it. */
function mergedAxes(shape: readonly number[], begin: readonly number[], end: readonly number[]) {
  const dims = [...shape], b = [...begin], e = [...end];
  while (dims.length > 1 && b[b.length - 1] === 0 && e[e.length - 1] === 0) {
    const inner = dims.pop()!;
    b.pop();
    e.pop();
    const last = dims.length - 1;
    dims[last]! *= inner;
    b[last]! *= inner;
    e[last]! *= inner;
  }
  return { dims, begin: b, end: e };
}

function wasmPad(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || X.dtype !== 'float32' || X.rank === 0) return undefined;
  const { begin, end, mode, fill } = padArguments(inputs, ctx);
  if (mode !== 'constant' || typeof fill !== 'number') return undefined;
  const outShape = X.shape.map((d, i) => d + begin[i]! + end[i]!);
  if (outShape.some((d) => d < 0)) return undefined;
  const size = outShape.reduce((a, b) => a * b, 1);
  const m = mergedAxes(X.shape, begin, end), rank = m.dims.length;
  const out = m.dims.map((d, i) => d + m.begin[i]! + m.end[i]!);
  // Per axis: the kept input range [from, from + count) lands at output index `at`.
  const from = m.begin.map((b) => Math.max(0, -b)), at = m.begin.map((b) => Math.max(0, b));
  const count = m.dims.map((d, i) => Math.min(d, d + m.end[i]!) - from[i]!);
  return rt.call(() => {
    const y = rt.temp(size);
    const view = rt.f32(), yb = y >> 2;
    view.fill(fill, yb, yb + size);
    if (size === 0 || count.some((c) => c <= 0)) return rt.output(y, outShape);
    const xb = rt.values(X) >> 2, f32 = rt.f32();
    const inStride = m.dims.map((_, i) => m.dims.slice(i + 1).reduce((a, b) => a * b, 1));
    const outStride = out.map((_, i) => out.slice(i + 1).reduce((a, b) => a * b, 1));
    const row = count[rank - 1]!, rows = count.slice(0, -1).reduce((a, b) => a * b, 1);
    const index = new Array<number>(rank - 1).fill(0);
    for (let r = 0; r < rows; r++) {
      let src = xb + from[rank - 1]!, dst = yb + at[rank - 1]!;
      for (let d = 0; d < rank - 1; d++) {
        src += (from[d]! + index[d]!) * inStride[d]!;
        dst += (at[d]! + index[d]!) * outStride[d]!;
      }
      f32.copyWithin(dst, src, src + row);
      for (let d = rank - 2; d >= 0 && ++index[d]! >= count[d]!; d--) index[d] = 0;
    }
    return rt.output(y, outShape);
  });
}

export function padWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  return [wasmKernel(rt, 'Pad', (inputs, ctx) => {
    const y = wasmPad(rt, inputs, ctx);
    return y ? [y] : undefined;
  })];
}
