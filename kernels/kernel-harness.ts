/** Runs one reference kernel outside a graph, for the kernel families' unit tests. */
import { AttributeReader } from '../src/graph/attributes.js';
import type { AttributeValue } from '../src/graph/ir.js';
import type { Value } from '../src/graph/value.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { KernelDef } from './registry.js';

/** Plain attribute values: integers become `int`/`ints`, other numbers `float`/`floats`, strings `string`. */
export type LooseAttribute = AttributeValue | number | string | number[];

export function toAttribute(v: LooseAttribute): AttributeValue {
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (Array.isArray(v)) return v.every(Number.isInteger) ? { type: 'ints', value: v } : { type: 'floats', value: v };
  return v;
}

/** The kernel `family` registers for `op` at `opset`, run on `inputs` by a node with `outputs` outputs. */
export function runKernel(family: readonly KernelDef[], op: string, inputs: (Value | undefined)[], attrs: Record<string, LooseAttribute> = {}, opset = 21, outputs = 1): Tensor[] {
  const kernel = family.filter((k) => k.op === op && (k.since ?? 1) <= opset).sort((a, b) => (b.since ?? 1) - (a.since ?? 1))[0];
  if (!kernel) throw new Error(`no ${op} kernel at opset ${opset}`);
  const node = { name: `${op}_test`, opType: op, domain: '', inputs: [], outputs: Array.from({ length: outputs }, (_, i) => `out${i}`), attributes: new Map(Object.entries(attrs).map(([k, v]) => [k, toAttribute(v)])) };
  const outs = kernel.run(inputs, { node, attrs: new AttributeReader(node.attributes, node), opset, runSubgraph: () => { throw new Error('no subgraphs here'); } });
  return outs as Tensor[];
}

/** A float32 tensor from plain numbers. */
export const f32 = (shape: number[], values: number[]): Tensor => new Tensor('float32', shape, Float32Array.from(values));

/** Element values as plain numbers rounded to `digits` decimals (for exact comparisons of float results). */
export function rounded(t: Tensor, digits = 5): number[] {
  return Array.from(t.numeric as ArrayLike<number>, (v) => Number(Number(v).toFixed(digits)) + 0);
}

/** Element values as plain numbers, unrounded. */
export const numbers = (t: Tensor): number[] => Array.from(t.numeric as ArrayLike<number>, Number);

/** Largest |a - b| over the largest |b| (at least 1): float32 sums in another order differ by a few ulps per term. */
export function relativeError(actual: Tensor, expected: Tensor): number {
  const a = numbers(actual), e = numbers(expected);
  let diff = 0, scale = 1;
  e.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(a[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return diff / scale;
}
