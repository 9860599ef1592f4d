/** Test support: one-node models run on WebGPU and on the reference, and a skip line when no adapter exists. */
import type { AttributeValue, Model, Node } from '../../graph/ir.js';
import type { Value } from '../../graph/value.js';
import { GraphExecutor, type OpTiming } from '../../runtime/executor.js';
import { Rng } from '../../testing/random-op-cases.js';
import { Tensor } from '../../tensor/tensor.js';
import { referenceKernels } from '../../../kernels/index.js';
import { findGpu } from './gpu-source.js';
import { WebGpuModel } from './webgpu-backend.js';

let reason: Promise<string | undefined> | undefined;
/** Why WebGPU cannot run here (printed once), or undefined when it can. */
export async function webgpuMissing(): Promise<string | undefined> {
  reason ??= findGpu().then((f) => {
    if (typeof f !== 'string') return undefined;
    console.warn(`[neuropod-web] no WebGPU adapter: skipping WebGPU tests (${f})`);
    return f;
  });
  return reason;
}

type Loose = AttributeValue | number | string | number[];

function attribute(v: Loose): AttributeValue {
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (Array.isArray(v)) return v.every(Number.isInteger) ? { type: 'ints', value: v } : { type: 'floats', value: v };
  return v;
}

export interface OneNode {
  op: string;
  inputs: (Tensor | undefined)[];
  attrs?: Record<string, Loose>;
  opset?: number;
  /** Inputs given as initializers (constants) rather than feeds, by position. */
  constants?: number[];
}

/** A graph of one node: inputs x0.. (feeds, or initializers where `constants` says), output y. */
export function oneNodeModel(c: OneNode): { model: Model; feeds: Map<string, Value> } {
  const names = c.inputs.map((t, i) => (t ? `x${i}` : ''));
  const node: Node = { name: `${c.op}_0`, opType: c.op, domain: '', inputs: names, outputs: ['y'], attributes: new Map(Object.entries(c.attrs ?? {}).map(([k, v]) => [k, attribute(v)])) };
  const feeds = new Map<string, Value>();
  const initializers = new Map<string, Tensor>();
  c.inputs.forEach((t, i) => {
    if (!t) return;
    if (c.constants?.includes(i)) initializers.set(names[i]!, t);
    else feeds.set(names[i]!, t);
  });
  const graph = { name: c.op, nodes: [node], inputs: [...feeds.keys()].map((name) => ({ name })), outputs: [{ name: 'y' }], initializers };
  return { model: { graph, opsets: new Map([['', c.opset ?? 21]]) }, feeds };
}

/** The node's output on WebGPU and on the reference kernels, and where each op ran on WebGPU. */
export async function runBoth(c: OneNode): Promise<{ gpu: Tensor; cpu: Tensor; ranOn: string[] }> {
  const { model, feeds } = oneNodeModel(c);
  const cpu = new GraphExecutor(model, referenceKernels).run(new Map(feeds), ['y']).get('y') as Tensor;
  const prepared = await WebGpuModel.prepare(model);
  try {
    const profile: OpTiming[] = [];
    const gpu = (await prepared.run(feeds, ['y'], profile)).get('y') as Tensor;
    return { gpu, cpu, ranOn: profile.map((p) => p.backend) };
  } finally {
    prepared.dispose();
  }
}

/** Seeded uniform floats in [lo, hi). */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  return new Tensor('float32', shape, Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next()));
}

/** Largest |a - b| / max(1, |b|) over the elements (shapes must match). */
export function worstRelative(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  const x = a.numeric, y = b.numeric;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(Number(x[i]) - Number(y[i])) / Math.max(1, Math.abs(Number(y[i])));
    worst = Number.isNaN(d) ? (Number.isNaN(Number(x[i])) && Number.isNaN(Number(y[i])) ? worst : Infinity) : Math.max(worst, d);
  }
  return worst;
}
