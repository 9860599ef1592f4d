import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../../kernels/index.js';
import { GraphExecutor } from '../../runtime/executor.js';
import { Rng } from '../../testing/random-op-cases.js';
import { Tensor } from '../../tensor/tensor.js';
import type { AttributeValue, Model, Node } from '../ir.js';
import { fuseLayerNorms } from './fuse-layer-norm.js';

const node = (name: string, opType: string, inputs: string[], outputs: string[], attributes: [string, AttributeValue][] = []): Node =>
  ({ name, opType, domain: '', inputs, outputs, attributes: new Map(attributes) });
const scalar = (v: number) => new Tensor('float32', [], Float32Array.of(v));
const lastAxis: [string, AttributeValue] = ['axes', { type: 'ints', value: [-1] }];

interface Variant {
  outputs?: string[];
  exponent?: number;
  gammaLength?: number;
  square?: 'pow' | 'mul';
  bias?: boolean;
  opset?: number;
}

/** x [2, 3, 8] -> the nine-node LayerNorm torch exports (eps 1e-5, gamma and beta seeded). */
function decomposed(v: Variant = {}): Model {
  const rng = new Rng(11), opset = v.opset ?? 13;
  const initializers = new Map<string, Tensor>([
    ['two', scalar(v.exponent ?? 2)], ['eps', scalar(1e-5)],
    ['gamma', rng.floats([v.gammaLength ?? 8], 0.5, 2)], ['beta', rng.floats([8], -1, 1)],
  ]);
  const mean = (name: string, input: string, output: string) => opset >= 18
    ? node(name, 'ReduceMean', [input, 'axes'], [output]) : node(name, 'ReduceMean', [input], [output], [lastAxis]);
  if (opset >= 18) initializers.set('axes', new Tensor('int64', [1], BigInt64Array.of(-1n)));
  const nodes = [
    mean('m1', 'x', 'mean'),
    node('sub', 'Sub', ['x', 'mean'], ['d']),
    v.square === 'mul' ? node('sq', 'Mul', ['d', 'd'], ['d2']) : node('sq', 'Pow', ['d', 'two'], ['d2']),
    mean('m2', 'd2', 'var'),
    node('addEps', 'Add', ['var', 'eps'], ['ve']),
    node('sqrt', 'Sqrt', ['ve'], ['sd']),
    node('div', 'Div', ['d', 'sd'], ['q']),
    node('mul', 'Mul', ['gamma', 'q'], [v.bias === false ? 'y' : 'r']),
    ...(v.bias === false ? [] : [node('add', 'Add', ['r', 'beta'], ['y'])]),
  ];
  return {
    opsets: new Map([['', opset]]),
    graph: { name: 'ln', initializers, inputs: [{ name: 'x' }], outputs: (v.outputs ?? ['y']).map((name) => ({ name })), nodes },
  };
}

const shapes = new Map([['x', { dtype: 'float32', dims: [2, 3, 8] }]]);

function run(model: Model, x: Tensor): Float32Array {
  return (new GraphExecutor(model, referenceKernels).run(new Map([['x', x]]), ['y']).get('y') as Tensor).numeric as Float32Array;
}

describe('fuseLayerNorms', () => {
  it('fuses the nine nodes into one LayerNormalization within 1e-6 of the decomposed graph, at opsets 13 and 18', () => {
    for (const opset of [13, 18]) {
      const model = decomposed({ opset }), fused = fuseLayerNorms(model, shapes);
      expect(fused.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs])).toEqual([['LayerNormalization', ['x', 'gamma', 'beta'], ['y']]]);
      expect(fused.graph.nodes[0]!.attributes.get('epsilon')).toEqual({ type: 'float', value: Math.fround(1e-5) });
      expect([...fused.graph.initializers.keys()].sort()).toEqual(['beta', 'gamma']);
      expect(model.graph.nodes).toHaveLength(9);
      const x = new Rng(12).floats([2, 3, 8], -4, 6), want = run(model, x), got = run(fused, x);
      expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-6);
    }
  });

  it('fuses d · d for the square and a pattern without beta (LayerNormalization without B)', () => {
    const model = decomposed({ square: 'mul', bias: false }), fused = fuseLayerNorms(model, shapes);
    expect(fused.graph.nodes.map((n) => [n.opType, n.inputs])).toEqual([['LayerNormalization', ['x', 'gamma']]]);
    const x = new Rng(13).floats([2, 3, 8]), want = run(model, x), got = run(fused, x);
    expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-6);
  });

  it('leaves the nodes alone where the fused op would compute something else or lose a value', () => {
    const opsOf = (m: Model) => m.graph.nodes.map((n) => n.opType);
    // The centred value is also a graph output; a cube, not a square; gamma of another length; x's last dim unknown.
    expect(opsOf(fuseLayerNorms(decomposed({ outputs: ['y', 'd'] }), shapes))).toHaveLength(9);
    expect(opsOf(fuseLayerNorms(decomposed({ exponent: 3 }), shapes))).toHaveLength(9);
    expect(opsOf(fuseLayerNorms(decomposed({ gammaLength: 4 }), shapes))).toHaveLength(9);
    expect(opsOf(fuseLayerNorms(decomposed(), new Map([['x', { dims: [2, 3, 'n'] }]])))).toHaveLength(9);
    expect(opsOf(fuseLayerNorms(decomposed()))).toHaveLength(9);
  });
});
