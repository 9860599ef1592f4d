import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../../kernels/index.js';
import { isNeuropodError } from '../../api/errors.js';
import { decodeOnnxModel } from '../../formats/onnx/decode.js';
import { GraphExecutor } from '../../runtime/executor.js';
import { readNpy } from '../../testing/npy.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Model } from '../ir.js';
import { checkAssumedInputs, planGraph } from './plan-graph.js';
import { removeDeadNodes } from './remove-dead-nodes.js';
import { modelOf, type ModelSpec } from './test-graphs.js';

const f32 = (shape: number[], values: number[]): Tensor => new Tensor('float32', shape, Float32Array.from(values));
const run = (model: Model, feeds: Record<string, Tensor>) => new GraphExecutor(model, referenceKernels).run(new Map(Object.entries(feeds)));

/** y = x · (Wᵀ · 2) reshaped to [rows, -1] through Shape/Gather/Concat: everything but the MatMul and Reshape is constant. */
const foldable: ModelSpec = {
  inputs: { x: ['float32', [2, 4]] },
  initializers: {
    w: f32([3, 4], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    zero: new Tensor('int64', [1], BigInt64Array.of(0n)),
    rest: new Tensor('int64', [1], BigInt64Array.of(-1n)),
  },
  nodes: [
    { op: 'Transpose', in: ['w'], out: ['wt'] },
    { op: 'Constant', in: [], out: ['two'], attrs: { value_float: 2.5 } },
    { op: 'Mul', in: ['wt', 'two'], out: ['w2'] },
    { op: 'MatMul', in: ['x', 'w2'], out: ['xw'] },
    { op: 'Shape', in: ['xw'], out: ['shape'] },
    { op: 'Gather', in: ['shape', 'zero'], out: ['rows'] },
    { op: 'Concat', in: ['rows', 'rest'], out: ['target'], attrs: { axis: 0 } },
    { op: 'Reshape', in: ['xw', 'target'], out: ['y'] },
    { op: 'Relu', in: ['x'], out: ['unused'] },
  ],
  outputs: ['y'],
};

describe('planGraph: constant folding and dead-node removal', () => {
  it('folds the constant chain and the shape arithmetic, drops the dead Relu, and computes the same bits', () => {
    const model = modelOf(foldable);
    const planned = planGraph(model);
    expect(planned.model.graph.nodes.map((n) => n.opType)).toEqual(['MatMul', 'Reshape']);
    expect([...planned.model.graph.initializers.keys()].sort()).toEqual(['target', 'w2']);
    const x = f32([2, 4], [0.5, -1, 2, 3, 1, 1, -2, 0.25]);
    const before = run(model, { x }).get('y') as Tensor, after = run(planned.model, { x }).get('y') as Tensor;
    expect(after.shape).toEqual([2, 3]);
    expect(after.data).toEqual(before.data);
    // 0.5·2.5·1 - 1·2.5·2 + 2·2.5·3 + 3·2.5·4 = 41.25 (row 0 of x times column 0 of 2.5·Wᵀ).
    expect((after.data as Float32Array)[0]).toBe(41.25);
  });

  it('leaves the caller model as it was', () => {
    const model = modelOf(foldable);
    const nodes = [...model.graph.nodes], initializers = [...model.graph.initializers.keys()];
    planGraph(model);
    expect(model.graph.nodes).toEqual(nodes);
    expect([...model.graph.initializers.keys()]).toEqual(initializers);
  });

  it('records that the folded Shape rests on the declared [2, 4], and refuses a feed of other dims (SPEC_DIM)', () => {
    const planned = planGraph(modelOf(foldable));
    expect(planned.assumedInputs.map((i) => i.name)).toEqual(['x']);
    expect(() => checkAssumedInputs(planned, new Map([['x', f32([2, 4], new Array(8).fill(0))]]))).not.toThrow();
    let error: unknown;
    try {
      checkAssumedInputs(planned, new Map([['x', f32([3, 4], new Array(12).fill(0))]]));
    } catch (e) {
      error = e;
    }
    expect(isNeuropodError(error) && error.code).toBe('SPEC_DIM');
    expect((error as Error).message).toContain(`input 'x' has shape [3, 4], but the model declares [2, 4]`);
  });

  it('keeps random ops, and a node that makes a graph output, even when their inputs are constant', () => {
    const spec: ModelSpec = {
      initializers: { a: f32([2], [1, 2]) },
      nodes: [{ op: 'RandomNormal', in: [], out: ['r'], attrs: { shape: [2] } }, { op: 'Neg', in: ['a'], out: ['n'] }, { op: 'Add', in: ['r', 'n'], out: ['y'] }],
      outputs: ['y', 'n'],
    };
    expect(planGraph(modelOf(spec)).model.graph.nodes.map((n) => n.opType)).toEqual(['RandomNormal', 'Neg', 'Add']);
  });

  it('an initializer that is also a graph input is an overridable default, never folded', () => {
    const spec: ModelSpec = { inputs: { a: ['float32', [2]] }, initializers: { a: f32([2], [1, 2]) }, nodes: [{ op: 'Neg', in: ['a'], out: ['n'] }, { op: 'Abs', in: ['n'], out: ['y'] }], outputs: ['y'] };
    const planned = planGraph(modelOf(spec));
    expect(planned.model.graph.nodes.map((n) => n.opType)).toEqual(['Neg', 'Abs']);
    expect(run(planned.model, { a: f32([2], [-3, 4]) }).get('y')!).toEqual(f32([2], [3, 4]));
  });

  it('a shape vector holding INT64_MAX (a Slice end) is not made a constant from inexact JS numbers', () => {
    const int64 = (v: bigint[], shape = [v.length]) => new Tensor('int64', shape, BigInt64Array.from(v));
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['batch', 5]] },
      initializers: { zero: int64([0n]), one: int64([1n]), at1: int64([1n], []), max: int64([9223372036854775807n]), axes: int64([0n]) },
      nodes: [
        { op: 'Shape', in: ['x'], out: ['s'] },
        { op: 'Slice', in: ['s', 'zero', 'one'], out: ['rows'] },
        { op: 'Concat', in: ['rows', 'max'], out: ['both'], attrs: { axis: 0 } },
        { op: 'Gather', in: ['both', 'at1'], out: ['end'] },
        { op: 'Unsqueeze', in: ['end', 'axes'], out: ['ends'] },
        { op: 'Slice', in: ['x', 'one', 'ends', 'one'], out: ['y'] },
      ],
      outputs: ['y'],
    };
    const model = modelOf(spec), planned = planGraph(model);
    expect(planned.shapes.get('ends')?.elements).toEqual([2 ** 63]);
    expect(planned.model.graph.initializers.has('ends')).toBe(false);
    const x = f32([2, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run(planned.model, { x }).get('y')).toEqual(f32([2, 4], [1, 2, 3, 4, 6, 7, 8, 9]));
  });

  it('before ONNX IR version 4 every initializer was listed as an input, so there they are constants and fold', () => {
    const spec: ModelSpec = { inputs: { a: ['float32', [2]] }, initializers: { a: f32([2], [1, -2]) }, nodes: [{ op: 'Neg', in: ['a'], out: ['n'] }, { op: 'Abs', in: ['n'], out: ['y'] }], outputs: ['y'] };
    const model = { ...modelOf(spec), metadata: { format: 'onnx', ir_version: '3' } };
    const planned = planGraph(model);
    expect(planned.model.graph.nodes.map((n) => n.opType)).toEqual(['Abs']);
    expect(planned.model.graph.initializers.get('n')).toEqual(f32([2], [-1, 2]));
  });
});

describe('removeDeadNodes', () => {
  const spec: ModelSpec = {
    inputs: { x: ['float32', [2]] },
    initializers: { b: f32([2], [1, 1]), c: f32([2], [2, 2]) },
    nodes: [{ op: 'Add', in: ['x', 'b'], out: ['y'] }, { op: 'Mul', in: ['x', 'c'], out: ['next'] }],
    outputs: ['y'],
  };

  it('drops what no graph output reads, with the initializers only it read', () => {
    const pruned = removeDeadNodes(modelOf(spec));
    expect(pruned.graph.nodes.map((n) => n.opType)).toEqual(['Add']);
    expect([...pruned.graph.initializers.keys()]).toEqual(['b']);
  });

  it('keeps the values named in keep (a variable next value a run asks for)', () => {
    expect(removeDeadNodes(modelOf(spec), ['next']).graph.nodes.map((n) => n.opType)).toEqual(['Add', 'Mul']);
  });
});

describe.runIf(sharedOrSkip('bench models for constant folding'))('planning the bench models', () => {
  it('encoder_mini computes identical outputs after folding its Shape/Gather/Concat subgraphs, with fewer nodes', async () => {
    const dir = sharedPath('bench', 'encoder_mini');
    const model = await decodeOnnxModel(readFileSync(`${dir}/model.onnx`), { source: 'encoder_mini' });
    const planned = planGraph(model);
    expect(planned.model.graph.nodes.length).toBeLessThan(model.graph.nodes.length / 2);
    expect(planned.shapes.get('out')?.dims).toEqual(['batch', 2]);
    const ids = readNpy(readFileSync(`${dir}/input.npy`));
    const before = run(model, { ids }).get('out') as Tensor, after = run(planned.model, { ids }).get('out') as Tensor;
    expect(after.shape).toEqual(before.shape);
    expect(after.data).toEqual(before.data);
  });
});
