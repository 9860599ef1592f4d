import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../../kernels/index.js';
import { GraphExecutor } from '../../runtime/executor.js';
import { Rng } from '../../testing/random-op-cases.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Model, Node } from '../ir.js';
import { fuseGelus } from './fuse-gelu.js';

const node = (name: string, opType: string, inputs: string[], outputs: string[]): Node =>
  ({ name, opType, domain: '', inputs, outputs, attributes: new Map() });
const scalar = (v: number) => new Tensor('float32', [], Float32Array.of(v));

/** x -> y = x · (Erf(x / √2) + 1) · 0.5 as torch exports it (or the 0.5 · x first, or x · 1/√2), then Relu. */
function decomposed(v: { halfFirst?: boolean; multiply?: boolean; root?: number; outputs?: string[] } = {}): Model {
  const initializers = new Map([['root', scalar(v.root ?? (v.multiply ? Math.SQRT1_2 : Math.SQRT2))], ['one', scalar(1)], ['half', scalar(0.5)]]);
  const nodes = [
    node('scale', v.multiply ? 'Mul' : 'Div', ['x', 'root'], ['s']),
    node('erf', 'Erf', ['s'], ['e']),
    node('plus', 'Add', ['one', 'e'], ['p']),
    ...(v.halfFirst
      ? [node('half', 'Mul', ['half', 'x'], ['h']), node('times', 'Mul', ['p', 'h'], ['g'])]
      : [node('times', 'Mul', ['x', 'p'], ['t']), node('half', 'Mul', ['t', 'half'], ['g'])]),
    node('relu', 'Relu', ['g'], ['y']),
  ];
  return { opsets: new Map([['', 13]]), graph: { name: 'gelu', initializers, inputs: [{ name: 'x' }], outputs: (v.outputs ?? ['y']).map((name) => ({ name })), nodes } };
}

function run(model: Model, x: Tensor): Float32Array {
  return (new GraphExecutor(model, referenceKernels).run(new Map([['x', x]]), ['y']).get('y') as Tensor).numeric as Float32Array;
}

describe('fuseGelus', () => {
  it('fuses the five nodes into com.microsoft Gelu in each written form, within 2e-7 of the decomposed graph', () => {
    for (const variant of [{}, { halfFirst: true }, { multiply: true }]) {
      const model = decomposed(variant), fused = fuseGelus(model);
      expect(fused.graph.nodes.map((n) => [n.opType, n.domain, n.inputs, n.outputs])).toEqual([
        ['Gelu', 'com.microsoft', ['x'], ['g']], ['Relu', '', ['g'], ['y']],
      ]);
      expect(fused.graph.initializers.size).toBe(0);
      expect(model.graph.nodes).toHaveLength(6);
      const x = new Rng(21).floats([3, 40], -6, 6), want = run(model, x), got = run(fused, x);
      expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)))).toBeLessThan(2e-7 * 6);
    }
  });

  it('leaves the nodes alone for another constant or a value read outside the pattern', () => {
    expect(fuseGelus(decomposed({ root: 1.5 })).graph.nodes).toHaveLength(6);
    expect(fuseGelus(decomposed({ outputs: ['y', 'e'] })).graph.nodes).toHaveLength(6);
  });
});
