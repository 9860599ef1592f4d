import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../../kernels/index.js';
import { GraphExecutor } from '../../runtime/executor.js';
import { Rng } from '../../testing/random-op-cases.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Model } from '../ir.js';
import { sinkTransposes } from './sink-transposes.js';
import { modelOf, type NodeSpec } from './test-graphs.js';

const TO_NHWC = { perm: [0, 2, 3, 1] }, TO_NCHW = { perm: [0, 3, 1, 2] };
const i64 = (...v: number[]) => new Tensor('int64', [v.length], BigInt64Array.from(v, BigInt));
const f32 = (shape: number[], ...v: number[]) => new Tensor('float32', shape, Float32Array.from(v));

function run(model: Model, feeds: Record<string, Tensor>): Tensor[] {
  const values = new GraphExecutor(model, referenceKernels).run(new Map(Object.entries(feeds)), model.graph.outputs.map((o) => o.name));
  return model.graph.outputs.map((o) => values.get(o.name) as Tensor);
}

/** Folds a copy of `spec`'s model and checks it computes what the original does, bit for bit; returns the folded op list. */
function foldedOps(spec: Parameters<typeof modelOf>[0], feeds: Record<string, Tensor>): string[] {
  const before = run(modelOf(spec), feeds), model = modelOf(spec);
  sinkTransposes(model.graph);
  const after = run(model, feeds);
  after.forEach((t, i) => {
    expect(t.shape).toEqual(before[i]!.shape);
    expect(Array.from(t.numeric as Float32Array)).toEqual(Array.from(before[i]!.numeric as Float32Array));
  });
  const read = new Set([...model.graph.outputs.map((o) => o.name), ...model.graph.nodes.flatMap((n) => n.inputs)]);
  return model.graph.nodes.filter((n) => n.outputs.some((o) => read.has(o))).map((n) => n.opType);
}

const rng = new Rng(5);

describe('sinkTransposes', () => {
  it('moves the NHWC round trip through Pad (channel pads), Add and Relu until the pair cancels (blazeface\'s residual)', () => {
    const nodes: NodeSpec[] = [
      { op: 'Transpose', in: ['x'], out: ['xt'], attrs: TO_NHWC },
      { op: 'Pad', in: ['xt', 'pads'], out: ['p'], attrs: { mode: 'constant' } },
      { op: 'Transpose', in: ['y'], out: ['yt'], attrs: TO_NHWC },
      { op: 'Add', in: ['p', 'yt'], out: ['s'] },
      { op: 'Relu', in: ['s'], out: ['r'] },
      { op: 'Transpose', in: ['r'], out: ['out'], attrs: TO_NCHW },
    ];
    const ops = foldedOps({ nodes, outputs: ['out'], initializers: { pads: i64(0, 0, 0, 0, 0, 0, 0, 2) } },
      { x: rng.floats([1, 2, 3, 3]), y: rng.floats([1, 4, 3, 3]) });
    expect(ops).toEqual(['Pad', 'Add', 'Relu', 'Identity']);
  });

  it('reshapes a per-channel constant onto the channels-first axes, and keeps a scalar as it is', () => {
    const nodes: NodeSpec[] = [
      { op: 'Transpose', in: ['x'], out: ['xt'], attrs: TO_NHWC },
      { op: 'Mul', in: ['xt', 'scale'], out: ['m'] },
      { op: 'Sub', in: ['half', 'm'], out: ['s'] },
      { op: 'Transpose', in: ['s'], out: ['out'], attrs: TO_NCHW },
    ];
    const ops = foldedOps({ nodes, outputs: ['out'], initializers: { scale: f32([3], 1, -2, 3), half: f32([], 0.5) } }, { x: rng.floats([2, 3, 2, 2]) });
    expect(ops).toEqual(['Mul', 'Sub', 'Identity']);
  });

  it('renumbers a Concat axis and permutes Resize sizes computed from Shape (movenet\'s upsampling)', () => {
    const nodes: NodeSpec[] = [
      { op: 'Transpose', in: ['x'], out: ['xt'], attrs: TO_NHWC },
      { op: 'Shape', in: ['xt'], out: ['shape'] },
      { op: 'Slice', in: ['shape', 'zero', 'one'], out: ['n'] },
      { op: 'Slice', in: ['shape', 'three', 'four'], out: ['c'] },
      { op: 'Concat', in: ['n', 'hw', 'c'], out: ['sizes'], attrs: { axis: 0 } },
      { op: 'Resize', in: ['xt', '', '', 'sizes'], out: ['up'], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel' } },
      { op: 'Transpose', in: ['y'], out: ['yt'], attrs: TO_NHWC },
      { op: 'Concat', in: ['up', 'yt'], out: ['cat'], attrs: { axis: -1 } },
      { op: 'Transpose', in: ['cat'], out: ['out'], attrs: TO_NCHW },
    ];
    const initializers = { zero: i64(0), one: i64(1), three: i64(3), four: i64(4), hw: i64(4, 6) };
    const ops = foldedOps({ nodes, outputs: ['out'], initializers }, { x: rng.floats([1, 2, 2, 3]), y: rng.floats([1, 3, 4, 6]) });
    expect(ops.filter((op) => op === 'Transpose')).toEqual([]);
    expect(ops).toContain('Gather');
  });

  it('composes two Transposes that are not inverses into one, and leaves a transposed graph output in place', () => {
    const nodes: NodeSpec[] = [
      { op: 'Transpose', in: ['x'], out: ['a'], attrs: { perm: [1, 2, 0] } },
      { op: 'Transpose', in: ['a'], out: ['b'], attrs: { perm: [1, 0, 2] } },
      { op: 'Transpose', in: ['x'], out: ['t'], attrs: { perm: [2, 0, 1] } },
      { op: 'Sigmoid', in: ['t'], out: ['sig'] },
    ];
    const ops = foldedOps({ nodes, outputs: ['b', 't', 'sig'] }, { x: rng.floats([2, 3, 4]) });
    expect(ops).toEqual(['Transpose', 'Transpose', 'Sigmoid']);
  });

  it('leaves an Add whose other operand is neither transposed alike nor a one-axis constant', () => {
    const nodes: NodeSpec[] = [
      { op: 'Transpose', in: ['x'], out: ['xt'], attrs: TO_NHWC },
      { op: 'Add', in: ['xt', 'y'], out: ['s'] },
      { op: 'Transpose', in: ['s'], out: ['out'], attrs: TO_NCHW },
    ];
    const ops = foldedOps({ nodes, outputs: ['out'] }, { x: rng.floats([1, 2, 2, 3]), y: rng.floats([1, 2, 3, 2]) });
    expect(ops).toEqual(['Transpose', 'Add', 'Transpose']);
  });
});
