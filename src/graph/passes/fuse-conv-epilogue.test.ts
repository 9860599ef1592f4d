import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../../kernels/index.js';
import { GraphExecutor } from '../../runtime/executor.js';
import { Rng } from '../../testing/random-op-cases.js';
import { Tensor } from '../../tensor/tensor.js';
import type { AttributeValue, Model, Node } from '../ir.js';
import { fuseConvEpilogues } from './fuse-conv-epilogue.js';

const node = (name: string, opType: string, inputs: string[], outputs: string[], attributes: [string, AttributeValue][] = []): Node =>
  ({ name, opType, domain: '', inputs, outputs, attributes: new Map(attributes) });

/** x -> Conv 3×3 (pads 1) -> BatchNormalization -> Clip(0, 6): mobilenet_v2's block, weights seeded. */
function convBnClip(outputs: string[] = ['y']): Model {
  const rng = new Rng(3), t = (shape: number[], lo = -1, hi = 1) => rng.floats(shape, lo, hi);
  const initializers = new Map<string, Tensor>([
    ['w', t([4, 2, 3, 3])], ['b', t([4])], ['gamma', t([4], 0.5, 2)], ['beta', t([4])], ['mean', t([4])], ['var', t([4], 0.1, 3)],
    ['lo', new Tensor('float32', [], Float32Array.of(0))], ['hi', new Tensor('float32', [], Float32Array.of(6))],
  ]);
  return {
    opsets: new Map([['', 13]]),
    graph: {
      name: 'block', initializers,
      inputs: [{ name: 'x' }], outputs: outputs.map((name) => ({ name })),
      nodes: [
        node('conv', 'Conv', ['x', 'w', 'b'], ['c'], [['pads', { type: 'ints', value: [1, 1, 1, 1] }]]),
        node('bn', 'BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['n'], [['epsilon', { type: 'float', value: 1e-3 }]]),
        node('clip', 'Clip', ['n', 'lo', 'hi'], ['y']),
      ],
    },
  };
}

function run(model: Model, x: Tensor, outputs = ['y']): Tensor[] {
  const values = new GraphExecutor(model, referenceKernels).run(new Map([['x', x]]), outputs);
  return outputs.map((o) => values.get(o) as Tensor);
}

describe('fuseConvEpilogues', () => {
  it('folds BatchNormalization into the Conv weights and Clip into a FusedConv, computing the same values', () => {
    const model = convBnClip(), fused = fuseConvEpilogues(model);
    expect(fused.graph.nodes.map((n) => [n.opType, n.domain, n.inputs, n.outputs])).toEqual([
      ['FusedConv', 'com.microsoft', ['x', 'w_bn', 'w_bn_bias'], ['y']],
    ]);
    expect(fused.graph.nodes[0]!.attributes.get('activation_params')).toEqual({ type: 'floats', value: [0, 6] });
    // The unfolded weights have no reader left; the input model is untouched.
    expect([...fused.graph.initializers.keys()].sort()).toEqual(['w_bn', 'w_bn_bias']);
    expect(model.graph.nodes).toHaveLength(3);
    const x = new Rng(4).floats([1, 2, 5, 5], -3, 3);
    const [want] = run(model, x), [got] = run(fused, x);
    const diff = Math.max(...Array.from(got!.numeric as Float32Array, (v, i) => Math.abs(v - (want!.numeric as Float32Array)[i]!)));
    expect(diff).toBeLessThan(1e-5);
  });

  it('leaves a value another reader needs: the Conv output that is also a graph output stays unfused', () => {
    const fused = fuseConvEpilogues(convBnClip(['y', 'c']));
    expect(fused.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'BatchNormalization', 'Clip']);
  });

  it('fuses Conv + Add of a residual computed after it + Relu into one FusedConv with Z, run where the Add was', () => {
    const rng = new Rng(6);
    const model: Model = {
      opsets: new Map([['', 13]]),
      graph: {
        name: 'residual', initializers: new Map([['w', rng.floats([3, 3, 1, 1])], ['b', rng.floats([3])]]),
        inputs: [{ name: 'x' }], outputs: [{ name: 'y' }],
        nodes: [
          node('conv', 'Conv', ['x', 'w', 'b'], ['c']),
          node('neg', 'Neg', ['x'], ['r']),
          node('add', 'Add', ['r', 'c'], ['s']),
          node('relu', 'Relu', ['s'], ['y']),
        ],
      },
    };
    const dims = [1, 3, 4, 4], shapes = new Map(['x', 'c', 'r', 's', 'y'].map((v) => [v, { dims }]));
    const fused = fuseConvEpilogues(model, shapes);
    expect(fused.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs, n.attributes.get('activation')?.value])).toEqual([
      ['Neg', ['x'], ['r'], undefined], ['FusedConv', ['x', 'w', 'b', 'r'], ['y'], 'Relu'],
    ]);
    const x = rng.floats(dims);
    const [want] = run(model, x), [got] = run(fused, x);
    const diff = Math.max(...Array.from(got!.numeric as Float32Array, (v, i) => Math.abs(v - (want!.numeric as Float32Array)[i]!)));
    expect(diff).toBeLessThan(1e-6);
    // Without known shapes (the Add might broadcast the Conv output up) the Add stays.
    expect(fuseConvEpilogues(model).graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Neg', 'Add', 'Relu']);
  });

  it('fuses a Relu after a Gemm into FusedGemm, and a Clip with a non-constant bound not at all', () => {
    const gemm: Model = {
      opsets: new Map([['', 13]]),
      graph: {
        name: 'g', initializers: new Map([['w', new Tensor('float32', [2, 2], Float32Array.of(1, 2, 3, 4))]]),
        inputs: [{ name: 'x' }, { name: 'top' }], outputs: [{ name: 'y' }, { name: 'z' }],
        nodes: [node('mm', 'Gemm', ['x', 'w'], ['a']), node('r', 'Relu', ['a'], ['y']), node('mm2', 'Gemm', ['x', 'w'], ['b']), node('c', 'Clip', ['b', '', 'top'], ['z'])],
      },
    };
    expect(fuseConvEpilogues(gemm).graph.nodes.map((n) => [n.opType, n.outputs[0]])).toEqual([['FusedGemm', 'y'], ['Gemm', 'b'], ['Clip', 'z']]);
  });
});
