/**
 * MaxPool on float32 NCHW with 1 or 2 spatial dims in wasm (wasm/pool.wat): kernel, strides, pads, dilations,
 * auto_pad, ceil_mode. A node that asks for the Indices output, 3-D pools and other dtypes go to the reference
 * (kernels/pool.ts), whose maximum rule (first tap, then strictly greater) the wasm kernel follows.
 */
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import type { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { vectorColumns } from './conv-wasm.js';
import type { KernelContext, KernelDef } from './registry.js';
import { readWindowAttrs, slideWindow } from './window.js';

function wasmMaxPool(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || X.dtype !== 'float32' || (X.rank !== 3 && X.rank !== 4)) return undefined;
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '') return undefined;
  const spatial = X.rank - 2, w = readWindowAttrs(ctx.attrs, spatial);
  if (w.kernel.length !== spatial) return undefined;
  const image = X.shape.slice(2), { grid, padsBegin } = slideWindow(image, w);
  const two = (v: readonly number[], fill: number): [number, number] => (spatial === 1 ? [fill, v[0]!] : [v[0]!, v[1]!]);
  const [H, W] = two(image, 1), [kh, kw] = two(w.kernel, 1), [sh, sw] = two(w.strides, 1), [dh, dw] = two(w.dilations, 1);
  const [pt, pl] = two(padsBegin, 0), [OH, OW] = two(grid, 1);
  if (OH <= 0 || OW <= 0) return undefined;
  const planes = X.shape[0]! * X.shape[1]!, [vlo, vhi] = vectorColumns({ W, kw, dw, sw, pl, OW });
  return rt.call(() => {
    const x = rt.values(X), y = rt.temp(planes * OH * OW);
    rt.pool.maxpool(x, y, planes, H, W, kh, kw, sh, sw, pt, pl, dh, dw, OH, OW, vlo, vhi);
    return rt.output(y, [X.shape[0]!, X.shape[1]!, ...grid]);
  });
}

export function poolWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  return [wasmKernel(rt, 'MaxPool', (inputs, ctx) => {
    const y = wasmMaxPool(rt, inputs, ctx);
    return y && [y];
  })];
}
