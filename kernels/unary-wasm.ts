/**
 * Float32 activations in wasm, one pass over the tensor each: Relu, Clip (constant scalar bounds, or attributes
 * before opset 11), LeakyRelu, HardSigmoid, Sqrt and Abs (wasm/unary.wat, the reference's comparisons and
 * correctly rounded sqrt, so the same floats),
 * Sigmoid and Tanh (wasm/exp.wat's vector exp: within 3e-7 of the reference); Cast to float32 from the dtypes a
 * Float32Array store converts as the reference does. A resident input is read in place
 * and the output stays resident. Other dtypes go to the reference (kernels/activation.ts, kernels/elementwise.ts).
 */
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import type { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import type { Tensor } from '../src/tensor/tensor.js';
import type { KernelContext, KernelDef } from './registry.js';

const FLT_MAX = 3.4028234663852886e38;

/** Clip's bounds as the reference reads them (a missing bound is none), or undefined for a non-scalar one. */
function clipBounds(inputs: (Value | undefined)[], ctx: KernelContext): [number, number] | undefined {
  if (ctx.opset < 11) return [ctx.attrs.float('min', -FLT_MAX), ctx.attrs.float('max', FLT_MAX)];
  const bound = (i: number, none: number): number | undefined => {
    const t = inputs[i];
    if (t === undefined) return none;
    if (!isTensor(t) || t.dtype !== 'float32' || t.size > 1) return undefined;
    return t.size === 0 ? none : (t.data as Float32Array)[0]!;
  };
  const lo = bound(1, -Infinity), hi = bound(2, Infinity);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

/** op and its two parameters for wasm/unary.wat, or undefined when this call is the reference's. */
type Params = (inputs: (Value | undefined)[], ctx: KernelContext) => [number, number, number] | undefined;

const UNARY: Record<string, Params> = {
  Relu: () => [0, 0, Infinity],
  Clip: (inputs, ctx) => {
    const b = clipBounds(inputs, ctx);
    return b && [0, b[0], b[1]];
  },
  LeakyRelu: (_, ctx) => [1, ctx.attrs.float('alpha', 0.01), 0],
  HardSigmoid: (_, ctx) => [2, ctx.attrs.float('alpha', 0.2), ctx.attrs.float('beta', 0.5)],
  Sqrt: () => [3, 0, 0],
  Abs: () => [4, 0, 0],
};

function floatInput(inputs: (Value | undefined)[]): Tensor | undefined {
  const X = inputs[0];
  return isTensor(X) && X.dtype === 'float32' ? X : undefined;
}

function wasmUnary(rt: WasmKernelRuntime, params: Params, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = floatInput(inputs), p = X && params(inputs, ctx);
  if (!X || !p) return undefined;
  return rt.call(() => {
    const y = rt.temp(X.size);
    rt.unary.unary(p[0], rt.values(X), y, X.size, p[1], p[2]);
    return rt.output(y, X.shape);
  });
}

function wasmSigmoidTanh(rt: WasmKernelRuntime, op: 0 | 1, inputs: (Value | undefined)[]): Tensor | undefined {
  const X = floatInput(inputs);
  if (!X) return undefined;
  return rt.call(() => {
    const y = rt.temp(X.size);
    rt.exp.sigmoid_tanh(op, rt.values(X), y, X.size);
    return rt.output(y, X.shape);
  });
}

/** Input dtypes whose every value a Float32Array store rounds as the reference's Cast does. */
const TO_FLOAT32 = new Set(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32']);

/** Cast to float32 (ONNX `to` 1): a model's integer image input lands in wasm memory, converted on the way in. */
function wasmCast(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): Tensor | undefined {
  const X = inputs[0];
  if (!isTensor(X) || ctx.attrs.int('to') !== 1 || !TO_FLOAT32.has(X.dtype)) return undefined;
  return rt.call(() => {
    const y = rt.temp(X.size);
    if (X.dtype === 'float32') {
      const x = rt.values(X) >> 2;
      rt.f32().copyWithin(y >> 2, x, x + X.size);
    } else rt.f32().set(X.data as Int32Array, y >> 2);
    return rt.output(y, X.shape);
  });
}

export function unaryWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  const one = (t: Tensor | undefined) => (t ? [t] : undefined);
  return [
    ...Object.entries(UNARY).map(([op, params]) => wasmKernel(rt, op, (inputs, ctx) => one(wasmUnary(rt, params, inputs, ctx)))),
    wasmKernel(rt, 'Sigmoid', (inputs) => one(wasmSigmoidTanh(rt, 0, inputs))),
    wasmKernel(rt, 'Tanh', (inputs) => one(wasmSigmoidTanh(rt, 1, inputs))),
    wasmKernel(rt, 'Cast', (inputs, ctx) => one(wasmCast(rt, inputs, ctx))),
  ];
}
