import { describe, expect, it } from 'vitest';
import type { AttributeValue, Graph, Model, Node, ValueInfo } from '../src/graph/ir.js';
import type { Value } from '../src/graph/value.js';
import { GraphExecutor } from '../src/runtime/executor.js';
import { Tensor } from '../src/tensor/tensor.js';
import { controlflowKernels } from './controlflow.js';
import { KernelTable, type KernelDef } from './registry.js';

// Same-shape Add on float32/int64, enough for loop bodies without depending on the elementwise family.
const testAdd: KernelDef = {
  op: 'Add',
  run([a, b]) {
    const x = a as Tensor, y = b as Tensor;
    const data = x.dtype === 'int64'
      ? (x.data as BigInt64Array).map((v, i) => v + (y.data as BigInt64Array)[i]!)
      : (x.data as Float32Array).map((v, i) => v + (y.data as Float32Array)[i]!);
    return [new Tensor(x.dtype, x.shape, data)];
  },
};
const testIdentity: KernelDef = { op: 'Identity', run: ([a]) => [a] };
const kernels = new KernelTable([controlflowKernels, [testAdd, testIdentity]]);

const node = (opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttributeValue> = {}): Node =>
  ({ name: `${opType}_${outputs[0]}`, opType, domain: '', inputs, outputs, attributes: new Map(Object.entries(attrs)) });
const graph = (nodes: Node[], inputs: string[], outputs: (string | ValueInfo)[], initializers: Record<string, Tensor> = {}): Graph => ({
  name: 'g', nodes, inputs: inputs.map((name) => ({ name })),
  outputs: outputs.map((o) => (typeof o === 'string' ? { name: o } : o)),
  initializers: new Map(Object.entries(initializers)),
});
const run = (g: Graph, feeds: Record<string, Value>, opset = 17): Value[] => {
  const model: Model = { graph: g, opsets: new Map([['', opset]]) };
  const out = new GraphExecutor(model, kernels).run(new Map(Object.entries(feeds)));
  return g.outputs.map((o) => out.get(o.name)!);
};
const f32 = (shape: number[], v: number[]) => new Tensor('float32', shape, Float32Array.from(v));
const i64 = (shape: number[], v: number[]) => new Tensor('int64', shape, BigInt64Array.from(v.map(BigInt)));
const bool = (v: boolean) => new Tensor('bool', [], Uint8Array.of(v ? 1 : 0));
const values = (v: Value) => Array.from((v as Tensor).data as ArrayLike<number | bigint>, Number);

describe('If', () => {
  const thenG = graph([node('Identity', ['a'], ['r'])], [], ['r']);
  const elseG = graph([node('Identity', ['b'], ['r'])], [], ['r']);
  const g = graph([node('If', ['c'], ['y'], { then_branch: { type: 'graph', value: thenG }, else_branch: { type: 'graph', value: elseG } })], ['c', 'a', 'b'], ['y']);
  it('runs the branch the condition picks, reading outer-scope values', () => {
    expect(values(run(g, { c: bool(true), a: f32([1], [1]), b: f32([1], [2]) })[0]!)).toEqual([1]);
    expect(values(run(g, { c: bool(false), a: f32([1], [1]), b: f32([1], [2]) })[0]!)).toEqual([2]);
  });
});

describe('Loop', () => {
  // body(i, cond, x) -> (cond, x + i, x + i): a running sum of the iteration numbers.
  const body = graph([node('Identity', ['cin'], ['cout']), node('Add', ['x', 'i'], ['xo']), node('Identity', ['xo'], ['scan'])],
    ['i', 'cin', 'x'], ['cout', 'xo', { name: 'scan', type: { kind: 'tensor', dtype: 'int64', shape: [] } }]);
  const g = graph([node('Loop', ['M', 'cond', 'x0'], ['xf', 'ys'], { body: { type: 'graph', value: body } })], ['M', 'cond', 'x0'], ['xf', 'ys']);
  it('threads carried values and stacks scan outputs (0+0+1+2+3 = 6)', () => {
    const [xf, ys] = run(g, { M: i64([], [4]), cond: bool(true), x0: i64([], [0]) });
    expect(values(xf!)).toEqual([6]);
    expect((ys as Tensor).shape).toEqual([4]);
    expect(values(ys!)).toEqual([0, 1, 3, 6]);
  });
  it('runs no iteration when cond starts false; the scan output is empty with the declared dtype', () => {
    const [xf, ys] = run(g, { M: i64([], [4]), cond: bool(false), x0: i64([], [5]) });
    expect(values(xf!)).toEqual([5]);
    expect((ys as Tensor).shape).toEqual([0]);
    expect((ys as Tensor).dtype).toBe('int64');
  });
  it('runs M times when cond is omitted', () => {
    const g2 = graph([node('Loop', ['M', '', 'x0'], ['xf', 'ys'], { body: { type: 'graph', value: body } })], ['M', 'x0'], ['xf', 'ys']);
    expect(values(run(g2, { M: i64([], [3]), x0: i64([], [10]) })[0]!)).toEqual([13]);
  });
});

describe('Scan', () => {
  // body(s, x) -> (s + x, s + x): a cumulative sum over the scanned rows.
  const body = graph([node('Add', ['s', 'x'], ['so']), node('Identity', ['so'], ['out'])], ['s', 'x'], ['so', 'out']);
  const x = f32([3, 2], [1, 2, 3, 4, 5, 6]);
  it('scans forward (opset 9 form): cumulative sums [[1,2],[4,6],[9,12]]', () => {
    const g = graph([node('Scan', ['s0', 'x'], ['sf', 'ys'], { body: { type: 'graph', value: body }, num_scan_inputs: { type: 'int', value: 1 } })], ['s0', 'x'], ['sf', 'ys']);
    const [sf, ys] = run(g, { s0: f32([2], [0, 0]), x });
    expect(values(sf!)).toEqual([9, 12]);
    expect(values(ys!)).toEqual([1, 2, 4, 6, 9, 12]);
  });
  it('honours scan_input_directions and scan_output_axes', () => {
    const g = graph([node('Scan', ['s0', 'x'], ['sf', 'ys'], {
      body: { type: 'graph', value: body }, num_scan_inputs: { type: 'int', value: 1 },
      scan_input_directions: { type: 'ints', value: [1] }, scan_output_axes: { type: 'ints', value: [1] },
    })], ['s0', 'x'], ['sf', 'ys']);
    const [, ys] = run(g, { s0: f32([2], [0, 0]), x });
    // reversed rows [5,6],[3,4],[1,2] give sums [5,6],[8,10],[9,12]; stacked on axis 1 that is their transpose.
    expect((ys as Tensor).shape).toEqual([2, 3]);
    expect(values(ys!)).toEqual([5, 8, 9, 6, 10, 12]);
  });
  it('runs the opset 8 batch form, stopping each batch at its sequence_lens and zero-padding', () => {
    const g = graph([node('Scan', ['lens', 's0', 'x'], ['sf', 'ys'], { body: { type: 'graph', value: body }, num_scan_inputs: { type: 'int', value: 1 } })], ['lens', 's0', 'x'], ['sf', 'ys']);
    const [sf, ys] = run(g, { lens: new Tensor('int32', [2], Int32Array.of(3, 1)), s0: f32([2, 1], [0, 0]), x: f32([2, 3, 1], [1, 2, 3, 10, 20, 30]) }, 8);
    expect(values(sf!)).toEqual([6, 10]);
    expect(values(ys!)).toEqual([1, 3, 6, 10, 0, 0]);
  });
  it('reverses each batch within its own sequence length (opset 8 directions)', () => {
    const g = graph([node('Scan', ['lens', 's0', 'x'], ['sf', 'ys'], { body: { type: 'graph', value: body }, num_scan_inputs: { type: 'int', value: 1 }, directions: { type: 'ints', value: [1] } })], ['lens', 's0', 'x'], ['sf', 'ys']);
    const [sf, ys] = run(g, { lens: new Tensor('int32', [2], Int32Array.of(3, 1)), s0: f32([2, 1], [0, 0]), x: f32([2, 3, 1], [1, 2, 3, 10, 20, 30]) }, 8);
    expect(values(sf!)).toEqual([6, 10]);
    expect(values(ys!)).toEqual([3, 5, 6, 10, 0, 0]);
  });
});
