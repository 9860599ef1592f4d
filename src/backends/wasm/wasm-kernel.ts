import { referenceKernels } from '../../../kernels/index.js';
import type { KernelContext, KernelDef } from '../../../kernels/registry.js';
import { NeuropodError } from '../../api/errors.js';
import type { Value } from '../../graph/value.js';
import type { WasmKernelRuntime } from './wasm-runtime.js';

/** Outputs of a wasm kernel, or undefined when this call is one it does not cover (another dtype, rank...). */
export type WasmAttempt = (inputs: (Value | undefined)[], ctx: KernelContext) => (Value | undefined)[] | undefined;

/**
 * A wasm kernel for `op`: runs `attempt`, and where that declines hands the call to the reference kernel of the
 * same op and opset, marking it so the profile reports 'cpu' for it. A wasm kernel is never less correct than the
 * reference: every case it does not implement is the reference's.
 */
export function wasmKernel(rt: WasmKernelRuntime, op: string, attempt: WasmAttempt, domain = ''): KernelDef {
  return {
    op,
    domain,
    backend: 'wasm',
    run(inputs, ctx) {
      rt.delegatedLast = false;
      const out = attempt(inputs, ctx) ?? delegate(rt, op, domain, inputs, ctx);
      rt.consumed(ctx.node, inputs, false);
      return out;
    },
  };
}

function delegate(rt: WasmKernelRuntime, op: string, domain: string, inputs: (Value | undefined)[], ctx: KernelContext): (Value | undefined)[] {
  rt.delegatedLast = true;
  const reference = referenceKernels.find(domain, op, ctx.opset);
  if (!reference) throw new NeuropodError('OP_UNSUPPORTED', `no reference kernel for ${op} at opset ${ctx.opset} to fall back on`);
  return reference.run(inputs, ctx);
}

/** Output clamp of a fused Relu/Clip epilogue; NO_CLAMP when there is none. */
export interface Clamp {
  lo: number;
  hi: number;
}

export const NO_CLAMP: Clamp = { lo: -Infinity, hi: Infinity };

/**
 * The clamp a com.microsoft Fused* activation asks for, or undefined for one the wasm epilogue does not do
 * (Tanh, Sigmoid, ...: the reference runs those).
 */
export function fusedClamp(activation: string, params: readonly number[]): Clamp | undefined {
  if (activation === '') return NO_CLAMP;
  if (activation === 'Relu') return { lo: 0, hi: Infinity };
  if (activation === 'Clip') return { lo: params[0] ?? -Infinity, hi: params[1] ?? Infinity };
  return undefined;
}
