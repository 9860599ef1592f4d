import { NeuropodError } from '../../api/errors.js';
import type { AttributeReader } from '../../graph/attributes.js';
import type { Node } from '../../graph/ir.js';
import type { DType } from '../../tensor/dtype.js';
import { Tensor, type Shape } from '../../tensor/tensor.js';
import { canonicalDomain } from '../../../kernels/registry.js';
import type { GpuRun } from './gpu-run.js';
import { GpuTensor } from './gpu-tensor.js';

/** An activation applied to a kernel's output as it is written (Conv + Relu in one dispatch). */
export interface Epilogue {
  /** WGSL of `fn epilogue(v: f32, act: vec4<f32>) -> f32`. */
  wgsl: string;
  /** Up to four parameters the function reads from `act` (Clip's bounds, LeakyRelu's alpha). */
  params: readonly number[];
}

/** The epilogue that leaves values as they are: shaders always call one, so fused and unfused share a template. */
export const NO_EPILOGUE: Epilogue = { wgsl: 'fn epilogue(v: f32, act: vec4<f32>) -> f32 { return v; }', params: [] };

/** What a node sees when it is planned: attributes, opset, and the activation fused into it. */
export interface GpuNodeContext {
  node: Node;
  attrs: AttributeReader;
  opset: number;
  epilogue: Epilogue;
}

export interface GpuKernelContext extends GpuNodeContext {
  run: GpuRun;
}

/** What `accepts` knows of an input: dtype, shape, and whether it is already on the GPU. */
export interface InputInfo {
  dtype: DType;
  shape: Shape;
  onGpu: boolean;
}

export type GpuInput = GpuTensor | Tensor | undefined;

/**
 * A WebGPU kernel. Inputs named in `hostInputs` arrive as host tensors (shapes, axes, indices small enough to
 * read on the CPU); the others as GPU tensors. A node whose inputs `accepts` refuses runs on the reference.
 */
export interface GpuKernelDef {
  op: string;
  domain?: string;
  since?: number;
  hostInputs?: readonly number[];
  /** Whether the node takes a fused activation epilogue. */
  fusesEpilogue?: boolean;
  accepts(inputs: readonly (InputInfo | undefined)[], ctx: GpuNodeContext): boolean;
  /** The WGSL sources this node will dispatch, compiled at prepare time. */
  shaders(ctx: GpuNodeContext): string[];
  encode(inputs: readonly GpuInput[], ctx: GpuKernelContext): (GpuTensor | Tensor | undefined)[];
}

/** WebGPU kernels by domain and op, the highest `since` not above the opset first (as KernelTable does). */
export class GpuKernelTable {
  private readonly table = new Map<string, GpuKernelDef[]>();

  constructor(families: readonly (readonly GpuKernelDef[])[]) {
    for (const family of families) for (const k of family) this.add(k);
  }

  add(kernel: GpuKernelDef): void {
    const key = `${canonicalDomain(kernel.domain)}::${kernel.op}`;
    const list = this.table.get(key) ?? [];
    list.push(kernel);
    list.sort((a, b) => (b.since ?? 1) - (a.since ?? 1));
    this.table.set(key, list);
  }

  find(domain: string, op: string, opset: number): GpuKernelDef | undefined {
    return this.table.get(`${canonicalDomain(domain)}::${op}`)?.find((k) => (k.since ?? 1) <= opset);
  }

  ops(): string[] {
    return [...this.table.keys()].map((k) => k.replace(/^::/, ''));
  }
}

export function gpuInput(inputs: readonly GpuInput[], i: number, op: string): GpuTensor {
  const v = inputs[i];
  if (!(v instanceof GpuTensor)) throw new NeuropodError('INFERENCE_FAILED', `${op}: input ${i} is missing`);
  return v;
}

export function hostInput(inputs: readonly GpuInput[], i: number): Tensor | undefined {
  const v = inputs[i];
  return v instanceof Tensor ? v : undefined;
}

/** Every given input (by position) is float32: the dtype the first kernels handle. */
export function allFloat32(inputs: readonly (InputInfo | undefined)[], positions: readonly number[]): boolean {
  return positions.every((i) => inputs[i] === undefined || inputs[i]!.dtype === 'float32');
}
