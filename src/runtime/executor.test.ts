import { describe, expect, it } from 'vitest';
import { KernelTable, type KernelDef } from '../../kernels/registry.js';
import type { Graph, Node } from '../graph/ir.js';
import { Tensor } from '../tensor/tensor.js';
import { GraphExecutor } from './executor.js';

const scalar = (v: number) => new Tensor('float32', [], Float32Array.of(v));
const node = (opType: string, inputs: string[], outputs: string[], name = outputs[0]!): Node => ({ name, opType, domain: '', inputs, outputs, attributes: new Map() });

let calls: string[] = [];
const add: KernelDef = { op: 'Add', run: ([a, b], ctx) => { calls.push(ctx.node.name); return [scalar(Number((a as Tensor).numeric[0]) + Number((b as Tensor).numeric[0]))]; } };
const addV7: KernelDef = { op: 'Add', since: 7, run: (inputs, ctx) => add.run(inputs, ctx).map((t) => scalar(Number((t as Tensor).numeric[0]) * 10)) };
const table = new KernelTable([[add, addV7]]);

function graph(nodes: Node[], outputs: string[]): Graph {
  return { name: 'g', nodes, inputs: [{ name: 'x' }], outputs: outputs.map((name) => ({ name })), initializers: new Map([['one', scalar(1)]]) };
}

describe('GraphExecutor', () => {
  it('runs nodes listed out of order, in dependency order', () => {
    calls = [];
    const g = graph([node('Add', ['a', 'one'], ['b']), node('Add', ['x', 'one'], ['a'])], ['b']);
    const out = new GraphExecutor({ graph: g, opsets: new Map([['', 1]]) }, table).run(new Map([['x', scalar(2)]]));
    expect((out.get('b') as Tensor).numeric[0]).toBe(4);
    expect(calls).toEqual(['a', 'b']);
  });

  it('skips nodes the requested outputs do not need', () => {
    calls = [];
    const g = graph([node('Add', ['x', 'one'], ['a']), node('Add', ['x', 'x'], ['unused'])], ['a', 'unused']);
    new GraphExecutor({ graph: g, opsets: new Map([['', 1]]) }, table).run(new Map([['x', scalar(2)]]), ['a']);
    expect(calls).toEqual(['a']);
  });

  it('picks the kernel for the model opset', () => {
    const g = graph([node('Add', ['x', 'one'], ['a'])], ['a']);
    const out = new GraphExecutor({ graph: g, opsets: new Map([['', 13]]) }, table).run(new Map([['x', scalar(2)]]));
    expect((out.get('a') as Tensor).numeric[0]).toBe(30);
  });

  it('names the op, domain, opset and node of an unsupported operator', () => {
    const g = graph([node('Frobnicate', ['x'], ['y'], 'frob_1')], ['y']);
    const ex = new GraphExecutor({ graph: g, opsets: new Map([['', 17]]) }, table);
    expect(() => ex.checkSupported()).toThrow("Unsupported operator Frobnicate (domain ai.onnx, opset 17) at node 'frob_1'");
  });

  it('rejects a cycle', () => {
    const g = graph([node('Add', ['b', 'one'], ['a']), node('Add', ['a', 'one'], ['b'])], ['b']);
    expect(() => new GraphExecutor({ graph: g, opsets: new Map() }, table).run(new Map([['x', scalar(0)]]))).toThrow(/cycle/);
  });
});
