/**
 * Softmax on float32 rows in wasm (wasm/exp.wat): before opset 13 the rows are the input coerced to 2-D at
 * `axis`; from 13 a row runs along `axis`, which must be the last one here. A middle axis and other dtypes go to
 * the reference (kernels/reduce.ts).
 */
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import type { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import type { Tensor } from '../src/tensor/tensor.js';
import type { KernelContext, KernelDef } from './registry.js';

function wasmSoftmax(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || X.dtype !== 'float32' || X.rank === 0 || X.size === 0) return undefined;
  const legacy = ctx.opset < 13, given = ctx.attrs.int('axis', legacy ? 1 : -1);
  if (given < -X.rank || given >= X.rank) return undefined;
  const axis = given < 0 ? given + X.rank : given;
  if (!legacy && axis !== X.rank - 1) return undefined;
  const length = X.shape.slice(axis).reduce((a, b) => a * b, 1);
  return rt.call(() => {
    const x = rt.values(X), y = rt.temp(X.size);
    rt.exp.softmax(x, y, X.size / length, length);
    return rt.output(y, X.shape);
  });
}

export function reduceWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  return [wasmKernel(rt, 'Softmax', (inputs, ctx) => {
    const y = wasmSoftmax(rt, inputs, ctx);
    return y && [y];
  })];
}
