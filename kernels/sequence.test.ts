import { describe, expect, it } from 'vitest';
import { AttributeReader } from '../src/graph/attributes.js';
import type { Graph } from '../src/graph/ir.js';
import { Optional, Sequence, type Value } from '../src/graph/value.js';
import { Tensor } from '../src/tensor/tensor.js';
import { f32, numbers } from './kernel-harness.js';
import type { KernelContext } from './registry.js';
import { sequenceKernels } from './sequence.js';

const i64 = (v: number) => new Tensor('int64', [], BigInt64Array.of(BigInt(v)));

/** Runs a sequence kernel; `runSubgraph` stands in for the executor running SequenceMap's body. */
function run(op: string, inputs: (Value | undefined)[], attrs: Record<string, number> = {}, runSubgraph?: KernelContext['runSubgraph']): (Value | undefined)[] {
  const kernel = sequenceKernels.find((k) => k.op === op)!;
  const attributes = new Map(Object.entries(attrs).map(([k, v]) => [k, { type: 'int' as const, value: v }]));
  const body: Graph = { name: 'body', nodes: [], inputs: [], outputs: [{ name: 'y' }], initializers: new Map() };
  if (runSubgraph) attributes.set('body', { type: 'graph', value: body } as never);
  const node = { name: op, opType: op, domain: '', inputs: [], outputs: ['y'], attributes };
  return kernel.run(inputs, { node, attrs: new AttributeReader(node.attributes, node), opset: 21, runSubgraph: runSubgraph ?? (() => []) });
}

const seqOf = (...values: number[][]) => new Sequence(values.map((v) => f32([v.length], v)));
const items = (v: Value | undefined) => (v as Sequence).items.map((t) => numbers(t as Tensor));

describe('sequences', () => {
  it('inserts at a negative position and erases the last item by default', () => {
    const s = run('SequenceInsert', [seqOf([1], [2]), f32([1], [9]), i64(-1)])[0];
    expect(items(s)).toEqual([[1], [9], [2]]);
    expect(items(run('SequenceErase', [s])[0])).toEqual([[1], [9]]);
  });
  it('reads an item and the length', () => {
    expect(numbers(run('SequenceAt', [seqOf([1], [2, 3]), i64(-1)])[0] as Tensor)).toEqual([2, 3]);
    expect((run('SequenceLength', [seqOf([1], [2])])[0] as Tensor).data).toEqual(BigInt64Array.of(2n));
  });
  it('splits into size-1 slices without keepdims and concatenates them back on a new axis', () => {
    const parts = run('SplitToSequence', [f32([2, 2], [1, 2, 3, 4])], { axis: 1, keepdims: 0 })[0] as Sequence;
    expect(parts.items.map((t) => (t as Tensor).shape)).toEqual([[2], [2]]);
    const back = run('ConcatFromSequence', [parts], { axis: 1, new_axis: 1 })[0] as Tensor;
    expect([back.shape, numbers(back)]).toEqual([[2, 2], [1, 2, 3, 4]]);
  });
  it('splits by a scalar chunk size, the last chunk shorter (SplitToSequence doc)', () => {
    expect(items(run('SplitToSequence', [f32([5], [1, 2, 3, 4, 5]), i64(2)])[0])).toEqual([[1, 2], [3, 4], [5]]);
  });
  it('runs SequenceMap\'s body once per item, passing tensors whole', () => {
    const calls: Value[][] = [];
    const out = run('SequenceMap', [seqOf([1], [2]), f32([1], [10])], {}, (_g, args) => {
      calls.push(args as Value[]);
      return [f32([1], [numbers(args[0] as Tensor)[0]! + numbers(args[1] as Tensor)[0]!])];
    });
    expect(calls.length).toBe(2);
    expect(items(out[0])).toEqual([[11], [12]]);
  });
});

describe('optionals', () => {
  it('has an element unless empty or omitted', () => {
    const has = (v: Value | undefined) => (run('OptionalHasElement', [v])[0] as Tensor).data[0];
    expect(has(new Optional(f32([1], [1])))).toBe(1);
    expect(has(new Optional(undefined))).toBe(0);
    expect(has(undefined)).toBe(0);
    expect(has(f32([1], [1]))).toBe(1);
  });
  it('unwraps the element, and passes a plain tensor through (OptionalGetElement-18)', () => {
    const t = f32([1], [5]);
    expect(run('OptionalGetElement', [new Optional(t)])[0]).toBe(t);
    expect(run('OptionalGetElement', [t])[0]).toBe(t);
    expect(() => run('OptionalGetElement', [new Optional(undefined)])).toThrow(/empty/);
  });
});
