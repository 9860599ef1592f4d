/**
 * LayerNormalization on float32 rows in wasm (wasm/norm.wat): the standard op from opset 17 and onnxruntime's
 * ONNX-domain LayerNormalization before it (the one the wasm backend's LayerNorm fusion emits,
 * src/graph/passes/fuse-layer-norm.ts). Rows are X.shape[:axis], each normalized over X.shape[axis:]; Scale and B
 * must hold one value per normalized element (a scalar or another broadcast goes to the reference, as do other
 * dtypes and a stash_type other than float32). Mean and InvStdDev are made when the node asks for them.
 */
import { wasmKernel } from '../src/backends/wasm/wasm-kernel.js';
import type { WasmKernelRuntime } from '../src/backends/wasm/wasm-runtime.js';
import { isTensor, type Value } from '../src/graph/value.js';
import type { Shape, Tensor } from '../src/tensor/tensor.js';
import type { KernelContext, KernelDef } from './registry.js';

/** Whether `t` has `shape` up to leading unit dims (one value per element of `shape`, in its order). */
function fitsRow(t: Tensor, shape: Shape): boolean {
  const trim = (s: Shape) => {
    const out = [...s];
    while (out.length && out[0] === 1) out.shift();
    return out;
  };
  const a = trim(t.shape), b = trim(shape);
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function wasmLayerNorm(rt: WasmKernelRuntime, inputs: (Value | undefined)[], ctx: KernelContext): (Tensor | undefined)[] | undefined {
  const [X, S, B] = inputs;
  const f32 = (v: Value | undefined): v is Tensor => isTensor(v) && v.dtype === 'float32';
  if (!f32(X) || !f32(S) || (B !== undefined && !f32(B)) || X.rank === 0 || X.size === 0) return undefined;
  if (ctx.opset >= 17 && ctx.attrs.int('stash_type', 1) !== 1) return undefined;
  const given = ctx.attrs.int('axis', -1);
  if (given < -X.rank || given >= X.rank) return undefined;
  const axis = given < 0 ? given + X.rank : given, normShape = X.shape.slice(axis);
  const n = normShape.reduce((a, b) => a * b, 1), rows = X.size / n;
  if (!fitsRow(S, normShape) || (B && !fitsRow(B, normShape))) return undefined;
  const wantStats = ctx.node.outputs.slice(1).some((o) => o !== '');
  const eps = ctx.attrs.float('epsilon', 1e-5);
  return rt.call(() => {
    const x = rt.values(X), s = rt.values(S), b = B ? rt.values(B) : 0, y = rt.temp(X.size);
    const mean = wantStats ? rt.temp(rows) : 0, inv = wantStats ? rt.temp(rows) : 0;
    rt.norm.layernorm(x, s, b, B ? 1 : 0, y, mean, inv, wantStats ? 1 : 0, rows, n, eps);
    const out: (Tensor | undefined)[] = [rt.output(y, X.shape)];
    if (wantStats) {
      const statShape = [...X.shape.slice(0, axis), ...normShape.map(() => 1)];
      out.push(rt.output(mean, statShape), rt.output(inv, statShape));
    }
    return out;
  });
}

export function normWasmKernels(rt: WasmKernelRuntime): KernelDef[] {
  return [wasmKernel(rt, 'LayerNormalization', (inputs, ctx) => wasmLayerNorm(rt, inputs, ctx))];
}
