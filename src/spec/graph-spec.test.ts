import { describe, expect, it } from 'vitest';
import type { Graph } from '../graph/ir.js';
import { tensor } from '../tensor/tensor.js';
import { specFromGraph } from './graph-spec.js';

const graph: Graph = {
  name: 'g',
  nodes: [],
  inputs: [
    { name: 'x', type: { kind: 'tensor', dtype: 'float32', shape: ['batch', 3, null] } },
    { name: 'w', type: { kind: 'tensor', dtype: 'float32', shape: [3] } },
    { name: 'ids', type: { kind: 'tensor', dtype: 'int64', shape: [0, -1] } },
  ],
  outputs: [
    { name: 'y', type: { kind: 'tensor', dtype: 'float32', shape: ['batch', 3] } },
    { name: 'z', type: { kind: 'tensor', dtype: 'bool' } },
    { name: 'untyped' },
  ],
  initializers: new Map([['w', tensor([1, 2, 3], [3])]]),
};

describe('specFromGraph', () => {
  it('takes graph inputs that are not initializers, keeping symbols and nulls', () => {
    expect(specFromGraph(graph).inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: ['batch', 3, null] },
      { name: 'ids', dtype: 'int64', shape: [null, null] },
    ]);
  });

  it('marks what the graph leaves unknown instead of guessing it', () => {
    expect(specFromGraph(graph).outputs).toEqual([
      { name: 'y', dtype: 'float32', shape: ['batch', 3] },
      { name: 'z', dtype: 'bool', shape: [], shapeUnknown: true },
      { name: 'untyped', dtype: 'float32', shape: [], shapeUnknown: true, dtypeUnknown: true },
    ]);
  });
});
