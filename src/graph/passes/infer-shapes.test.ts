import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/tensor.js';
import type { Dim } from '../ir.js';
import { inferShapes } from './infer-shapes.js';
import { modelOf, type ModelSpec } from './test-graphs.js';

const int64 = (values: number[], shape = [values.length]): Tensor => new Tensor('int64', shape, BigInt64Array.from(values, BigInt));
const floats = (shape: number[]): Tensor => new Tensor('float32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));

/** The inferred dims of each named value. */
function dimsOf(spec: ModelSpec, names: string[] = spec.outputs): (Dim[] | undefined)[] {
  const { infos } = inferShapes(modelOf(spec));
  return names.map((n) => infos.get(n)?.dims);
}

function infoOf(spec: ModelSpec, name = spec.outputs[0]!) {
  return inferShapes(modelOf(spec)).infos.get(name);
}

describe('matrix products (ONNX MatMul / Gemm docs)', () => {
  it('MatMul keeps a symbolic batch: [batch,128,64] x [64,32] is [batch,128,32]', () => {
    const spec: ModelSpec = { inputs: { a: ['float32', ['batch', 128, 64]] }, initializers: { b: floats([64, 32]) }, nodes: [{ op: 'MatMul', in: ['a', 'b'], out: ['y'] }], outputs: ['y'] };
    expect(infoOf(spec)).toEqual({ dtype: 'float32', dims: ['batch', 128, 32] });
  });

  it('MatMul drops the 1 numpy.matmul adds to a 1-D operand, and broadcasts batch dims', () => {
    const spec: ModelSpec = {
      inputs: { v: ['float32', [4]], m: ['float32', [4, 3]], w: ['float32', [2, 4]], p: ['float32', ['n', 1, 2, 4]], q: ['float32', [5, 4, 6]] },
      nodes: [{ op: 'MatMul', in: ['v', 'm'], out: ['vm'] }, { op: 'MatMul', in: ['w', 'v'], out: ['wv'] }, { op: 'MatMul', in: ['p', 'q'], out: ['pq'] }],
      outputs: ['vm', 'wv', 'pq'],
    };
    expect(dimsOf(spec)).toEqual([[3], [2], ['n', 5, 2, 6]]);
  });

  it('Gemm is [M, N] after transA/transB', () => {
    const spec: ModelSpec = { inputs: { a: ['float32', [64, 'batch']] }, initializers: { b: floats([10, 64]) }, nodes: [{ op: 'Gemm', in: ['a', 'b'], out: ['y'], attrs: { transA: 1, transB: 1 } }], outputs: ['y'] };
    expect(dimsOf(spec)).toEqual([['batch', 10]]);
  });

  it('Einsum takes each output letter from the inputs: bij,bjk->bik and the implicit ij,jk', () => {
    const spec: ModelSpec = {
      inputs: { a: ['float32', ['b', 2, 3]], c: ['float32', ['b', 3, 5]] },
      nodes: [{ op: 'Einsum', in: ['a', 'c'], out: ['y'], attrs: { equation: 'bij,bjk->bik' } }, { op: 'Einsum', in: ['a', 'c'], out: ['z'], attrs: { equation: '...ij,...jk' } }],
      outputs: ['y', 'z'],
    };
    expect(dimsOf(spec)).toEqual([['b', 2, 5], ['b', 2, 5]]);
  });
});

describe('broadcasting (ONNX Broadcasting.md)', () => {
  it('[batch,1,5] + [3,1] is [batch,3,5]; a symbol against a size other than 1 is that size; two symbols are unknown', () => {
    const spec: ModelSpec = {
      inputs: { a: ['float32', ['batch', 1, 5]], b: ['float32', [3, 1]], s: ['float32', ['seq']], t: ['float32', [7]], u: ['float32', ['batch']] },
      nodes: [{ op: 'Add', in: ['a', 'b'], out: ['ab'] }, { op: 'Mul', in: ['s', 't'], out: ['st'] }, { op: 'Sub', in: ['s', 'u'], out: ['su'] }],
      outputs: ['ab', 'st', 'su'],
    };
    expect(dimsOf(spec)).toEqual([['batch', 3, 5], [7], [null]]);
  });

  it('comparisons give bool, Where takes its values dtype, Cast its target', () => {
    const spec: ModelSpec = {
      inputs: { a: ['float32', ['n', 4]], b: ['float32', [4]], i: ['int32', ['n', 1]] },
      nodes: [
        { op: 'Less', in: ['a', 'b'], out: ['lt'] },
        { op: 'Where', in: ['lt', 'i', 'i'], out: ['w'] },
        { op: 'Cast', in: ['a'], out: ['c'], attrs: { to: 11 } },
      ],
      outputs: ['lt', 'w', 'c'],
    };
    const { infos } = inferShapes(modelOf(spec));
    expect(spec.outputs.map((n) => infos.get(n))).toEqual([
      { dtype: 'bool', dims: ['n', 4] },
      { dtype: 'int32', dims: ['n', 4] },
      { dtype: 'float64', dims: ['n', 4], elements: undefined },
    ]);
  });
});

describe('shape arithmetic keeps symbols', () => {
  it('Reshape with a constant target: 0 copies a dim, -1 is what the symbols leave', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['batch', 12, 64]], y: ['float32', ['batch', 768]] },
      initializers: { flat: int64([0, -1]), heads: int64([-1, 12, 64]) },
      nodes: [{ op: 'Reshape', in: ['x', 'flat'], out: ['xf'] }, { op: 'Reshape', in: ['y', 'heads'], out: ['yh'] }],
      outputs: ['xf', 'yh'],
    };
    expect(dimsOf(spec)).toEqual([['batch', 768], ['batch', 12, 64]]);
  });

  it('Shape -> Gather -> Unsqueeze -> Concat builds a Reshape target that keeps the batch symbol', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['batch', 3, 4, 5]] },
      initializers: { zero: int64([0], []), axes: int64([0]), rest: int64([-1]) },
      nodes: [
        { op: 'Shape', in: ['x'], out: ['shape'] },
        { op: 'Gather', in: ['shape', 'zero'], out: ['n'] },
        { op: 'Unsqueeze', in: ['n', 'axes'], out: ['n1'] },
        { op: 'Concat', in: ['n1', 'rest'], out: ['target'], attrs: { axis: 0 } },
        { op: 'Reshape', in: ['x', 'target'], out: ['y'] },
      ],
      outputs: ['y', 'target'],
    };
    const { infos } = inferShapes(modelOf(spec));
    expect(infos.get('y')?.dims).toEqual(['batch', 60]);
    expect(infos.get('target')?.elements).toEqual(['batch', -1]);
  });

  it('Shape of a value whose dims are all known becomes a constant (and says it rests on the declared input dims)', () => {
    const spec: ModelSpec = { inputs: { x: ['float32', [2, 3]] }, nodes: [{ op: 'Shape', in: ['x'], out: ['s'] }, { op: 'Size', in: ['x'], out: ['n'] }], outputs: ['s', 'n'] };
    const result = inferShapes(modelOf(spec));
    expect(Array.from(result.constants.get('s')!.data as BigInt64Array)).toEqual([2n, 3n]);
    expect(Array.from(result.constants.get('n')!.data as BigInt64Array)).toEqual([6n]);
    expect(result.assumesInputDims).toBe(true);
  });

  it('Range(0, n, 1) of a symbolic n has n elements', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['seq', 8]] },
      initializers: { zero: int64([0], []), one: int64([1], []), first: int64([0]) },
      nodes: [{ op: 'Shape', in: ['x'], out: ['s'] }, { op: 'Gather', in: ['s', 'zero'], out: ['n'] }, { op: 'Range', in: ['zero', 'n', 'one'], out: ['r'] }],
      outputs: ['r'],
    };
    expect(infoOf(spec)).toEqual({ dtype: 'int64', dims: ['seq'] });
  });
});

describe('layout ops (ONNX Operators.md)', () => {
  it('Transpose permutes, Flatten multiplies around its axis (negative axes count from the rank)', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['batch', 3, 4, 5]] },
      nodes: [
        { op: 'Transpose', in: ['x'], out: ['t'], attrs: { perm: [0, 2, 3, 1] } },
        { op: 'Flatten', in: ['x'], out: ['f1'] },
        { op: 'Flatten', in: ['x'], out: ['f2'], attrs: { axis: -2 } },
      ],
      outputs: ['t', 'f1', 'f2'],
    };
    expect(dimsOf(spec)).toEqual([['batch', 4, 5, 3], ['batch', 60], [null, 20]]);
  });

  it('Squeeze without axes over a symbolic dim leaves the rank unknown; with axes it is exact', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['n', 1, 4]] },
      initializers: { axes: int64([1]) },
      nodes: [{ op: 'Squeeze', in: ['x'], out: ['all'] }, { op: 'Squeeze', in: ['x', 'axes'], out: ['one'] }],
      outputs: ['all', 'one'],
    };
    expect(dimsOf(spec)).toEqual([undefined, ['n', 4]]);
  });

  it('Slice: a symbolic axis taken whole keeps its symbol, taken in part is unknown; a known axis is exact', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['batch', 10]] },
      initializers: { s: int64([0, 2]), e: new Tensor('int64', [2], BigInt64Array.of(9223372036854775807n, -1n)), half: int64([0, 0]), halfEnd: int64([1, 5]), a: int64([0, 1]) },
      nodes: [{ op: 'Slice', in: ['x', 's', 'e', 'a'], out: ['whole'] }, { op: 'Slice', in: ['x', 'half', 'halfEnd', 'a'], out: ['part'] }],
      outputs: ['whole', 'part'],
    };
    expect(dimsOf(spec)).toEqual([['batch', 7], [null, 5]]);
  });

  it('Concat adds along its axis; Split (opset 18 num_outputs) makes the last part smaller', () => {
    const spec: ModelSpec = {
      inputs: { a: ['float32', ['batch', 4]], b: ['float32', ['batch', 6]] },
      nodes: [{ op: 'Concat', in: ['a', 'b'], out: ['c'], attrs: { axis: 1 } }, { op: 'Split', in: ['c'], out: ['p', 'q', 'r'], attrs: { axis: 1, num_outputs: 3 } }],
      outputs: ['c', 'p', 'q', 'r'],
    };
    expect(dimsOf(spec)).toEqual([['batch', 10], ['batch', 4], ['batch', 4], ['batch', 2]]);
  });

  it('Gather puts the indices dims in place of the axis; Expand broadcasts to its target; Tile multiplies', () => {
    const spec: ModelSpec = {
      inputs: { data: ['float32', [5, 4]], idx: ['int64', ['batch', 2]], x: ['float32', [3, 1]] },
      initializers: { target: int64([2, 1, 6]), reps: int64([2, 3]) },
      nodes: [{ op: 'Gather', in: ['data', 'idx'], out: ['g'] }, { op: 'Expand', in: ['x', 'target'], out: ['e'] }, { op: 'Tile', in: ['x', 'reps'], out: ['t'] }],
      outputs: ['g', 'e', 't'],
    };
    expect(dimsOf(spec)).toEqual([['batch', 2, 4], [2, 3, 6], [6, 3]]);
  });

  it('Pad adds the pads to each axis; a symbol padded by zero stays', () => {
    const spec: ModelSpec = { inputs: { x: ['float32', ['n', 3, 4]] }, initializers: { pads: int64([0, 1, 2, 0, 1, 3]) }, nodes: [{ op: 'Pad', in: ['x', 'pads'], out: ['y'] }], outputs: ['y'] };
    expect(dimsOf(spec)).toEqual([['n', 5, 9]]);
  });
});

describe('windows (ONNX Conv / ConvTranspose / MaxPool docs)', () => {
  const conv = (x: Dim[], attrs: ModelSpec['nodes'][number]['attrs']): ModelSpec => ({
    inputs: { x: ['float32', x] }, initializers: { w: floats([32, 3, 3, 3]) }, nodes: [{ op: 'Conv', in: ['x', 'w'], out: ['y'], attrs }], outputs: ['y'],
  });

  it('Conv: floor((in + pads - dilation·(k-1) - 1) / stride) + 1, SAME_UPPER ceil(in / stride), a symbolic dim unknown', () => {
    expect(dimsOf(conv([1, 3, 224, 224], { strides: [2, 2], pads: [1, 1, 1, 1] }))).toEqual([[1, 32, 112, 112]]);
    expect(dimsOf(conv([1, 3, 225, 225], { strides: [2, 2], auto_pad: 'SAME_UPPER' }))).toEqual([[1, 32, 113, 113]]);
    expect(dimsOf(conv([1, 3, 10, 10], { dilations: [2, 2] }))).toEqual([[1, 32, 6, 6]]);
    expect(dimsOf(conv(['batch', 3, 'h', 16], {}))).toEqual([['batch', 32, null, 14]]);
  });

  it('ConvTranspose: stride·(in-1) + output_padding + kernel - pads (test_convtranspose_pad: [1,2,10,8])', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', [1, 1, 3, 3]] }, initializers: { w: floats([1, 2, 3, 3]) },
      nodes: [{ op: 'ConvTranspose', in: ['x', 'w'], out: ['y'], attrs: { strides: [3, 2], output_padding: [1, 1] } }], outputs: ['y'],
    };
    expect(dimsOf(spec)).toEqual([[1, 2, 10, 8]]);
  });

  it('MaxPool with ceil_mode rounds up (test_maxpool_2d_ceil: 4x4, kernel 3, stride 2 gives 2x2; floor gives 1x1)', () => {
    const pool = (ceil: number): ModelSpec => ({
      inputs: { x: ['float32', ['n', 1, 4, 4]] }, nodes: [{ op: 'MaxPool', in: ['x'], out: ['y', 'i'], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: ceil } }], outputs: ['y', 'i'],
    });
    expect(dimsOf(pool(1))).toEqual([['n', 1, 2, 2], ['n', 1, 2, 2]]);
    expect(dimsOf(pool(0))).toEqual([['n', 1, 1, 1], ['n', 1, 1, 1]]);
    expect(infoOf(pool(1), 'i')?.dtype).toBe('int64');
  });
});

describe('reductions, normalizations, recurrences', () => {
  it('reductions keep axes as 1 or drop them; ArgMax is int64; GlobalAveragePool makes spatial dims 1', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['n', 8, 7, 7]] },
      initializers: { axes: int64([2, 3]) },
      nodes: [
        { op: 'ReduceMean', in: ['x', 'axes'], out: ['keep'] },
        { op: 'ReduceSum', in: ['x', 'axes'], out: ['drop'], attrs: { keepdims: 0 } },
        { op: 'ArgMax', in: ['x'], out: ['arg'], attrs: { axis: 1, keepdims: 0 } },
        { op: 'GlobalAveragePool', in: ['x'], out: ['gap'] },
      ],
      outputs: ['keep', 'drop', 'arg', 'gap'],
    };
    expect(dimsOf(spec)).toEqual([['n', 8, 1, 1], ['n', 8], ['n', 7, 7], ['n', 8, 1, 1]]);
    expect(infoOf(spec, 'arg')?.dtype).toBe('int64');
  });

  it('LayerNormalization: Y as X, Mean and InvStdDev 1 from the axis on, float32 (stash_type 1)', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float16', ['batch', 'seq', 256]] }, initializers: { g: floats([256]) },
      nodes: [{ op: 'LayerNormalization', in: ['x', 'g'], out: ['y', 'mean', 'inv'] }], outputs: ['y', 'mean', 'inv'],
    };
    const { infos } = inferShapes(modelOf(spec));
    expect(['y', 'mean', 'inv'].map((n) => infos.get(n))).toEqual([
      { dtype: 'float16', dims: ['batch', 'seq', 256] },
      { dtype: 'float32', dims: ['batch', 'seq', 1] },
      { dtype: 'float32', dims: ['batch', 'seq', 1] },
    ]);
  });

  it('a bidirectional LSTM gives Y [seq, 2, batch, hidden] and Y_h, Y_c [2, batch, hidden] (LSTM doc, layout 0)', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['seq', 'batch', 16]] }, initializers: { w: floats([2, 128, 16]), r: floats([2, 128, 32]) },
      nodes: [{ op: 'LSTM', in: ['x', 'w', 'r'], out: ['y', 'h', 'c'], attrs: { hidden_size: 32, direction: 'bidirectional' } }], outputs: ['y', 'h', 'c'],
    };
    expect(dimsOf(spec)).toEqual([['seq', 2, 'batch', 32], [2, 'batch', 32], [2, 'batch', 32]]);
  });

  it('Resize floors in·scale from constant scales; a scale of 1 keeps a symbol', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['n', 3, 10, 15]] }, initializers: { scales: new Tensor('float32', [4], Float32Array.of(1, 1, 2, 0.5)) },
      nodes: [{ op: 'Resize', in: ['x', '', 'scales'], out: ['y'] }], outputs: ['y'],
    };
    expect(dimsOf(spec)).toEqual([['n', 3, 20, 7]]);
  });
});

describe('what inference does not know it says so', () => {
  it('an op with no kernel leaves its outputs, and what they feed, unknown without an error', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', [2, 3]] }, nodes: [{ op: 'NoSuchOp', in: ['x'], out: ['u'] }, { op: 'Relu', in: ['u'], out: ['r'] }, { op: 'Relu', in: ['x'], out: ['k'] }], outputs: ['r', 'k'],
    };
    const { infos } = inferShapes(modelOf(spec));
    expect([infos.get('u'), infos.get('r'), infos.get('k')]).toEqual([undefined, { dtype: undefined, dims: undefined }, { dtype: 'float32', dims: [2, 3] }]);
  });

  it('a Reshape whose target is a graph input knows only the rank', () => {
    const spec: ModelSpec = { inputs: { x: ['float32', [2, 3]], shape: ['int64', [3]] }, nodes: [{ op: 'Reshape', in: ['x', 'shape'], out: ['y'] }], outputs: ['y'] };
    expect(dimsOf(spec)).toEqual([[null, null, null]]);
  });

  it('a shape rule that meets incompatible dims leaves the output unknown (running reports the fault)', () => {
    const spec: ModelSpec = { inputs: { a: ['float32', [2, 3]], b: ['float32', [4, 3]] }, nodes: [{ op: 'Add', in: ['a', 'b'], out: ['y'] }], outputs: ['y'] };
    expect(infoOf(spec)).toBeUndefined();
  });
});

describe('control flow', () => {
  const branch = (name: string, shape: number[]) => modelOf({ initializers: { [`${name}_v`]: floats(shape) }, nodes: [{ op: 'Identity', in: [`${name}_v`], out: [`${name}_out`] }], outputs: [`${name}_out`] }).graph;

  it('If with a known condition has the taken branch shape; otherwise the dims both branches agree on', () => {
    const attrs = { then_branch: { type: 'graph' as const, value: branch('t', [2, 3]) }, else_branch: { type: 'graph' as const, value: branch('e', [2, 5]) } };
    const known: ModelSpec = { initializers: { c: new Tensor('bool', [], Uint8Array.of(0)) }, inputs: { x: ['float32', [1]] }, nodes: [{ op: 'If', in: ['c'], out: ['y'], attrs }], outputs: ['y'] };
    const open: ModelSpec = { inputs: { c: ['bool', []] }, nodes: [{ op: 'If', in: ['c'], out: ['y'], attrs }], outputs: ['y'] };
    expect(dimsOf(known)).toEqual([[2, 5]]);
    expect(dimsOf(open)).toEqual([[2, null]]);
  });
});

describe('Loop and Scan bodies (ONNX Loop / Scan docs)', () => {
  it('Scan summing rows: the state keeps [2], the scan output stacks the sequence length in front', () => {
    // The Scan doc's cumulative sum: body(sum_in, next) -> (sum_out, scan_out), both sum_in + next.
    const body = modelOf({
      inputs: { sum_in: ['float32', [2]], next: ['float32', [2]] },
      nodes: [{ op: 'Add', in: ['sum_in', 'next'], out: ['sum_out'] }, { op: 'Identity', in: ['sum_out'], out: ['scan_out'] }],
      outputs: ['sum_out', 'scan_out'],
    }).graph;
    const spec: ModelSpec = {
      inputs: { init: ['float32', [2]], xs: ['float32', ['steps', 2]] },
      nodes: [{ op: 'Scan', in: ['init', 'xs'], out: ['sum', 'sums'], attrs: { num_scan_inputs: 1, body: { type: 'graph', value: body } } }],
      outputs: ['sum', 'sums'],
    };
    expect(dimsOf(spec)).toEqual([[2], ['steps', 2]]);
  });

  it('a Loop whose body grows a carried value by Concat leaves that dim unknown; an unchanged one keeps its dims', () => {
    const body = modelOf({
      inputs: { i: ['int64', []], c: ['bool', []], grow: ['float32', [null]], same: ['float32', [3]] },
      initializers: { one: new Tensor('float32', [1], Float32Array.of(1)) },
      nodes: [{ op: 'Identity', in: ['c'], out: ['c_out'] }, { op: 'Concat', in: ['grow', 'one'], out: ['grow_out'], attrs: { axis: 0 } }, { op: 'Neg', in: ['same'], out: ['same_out'] }],
      outputs: ['c_out', 'grow_out', 'same_out', 'same_out'],
    }).graph;
    const spec: ModelSpec = {
      inputs: { m: ['int64', []], cond: ['bool', []], g: ['float32', [0]], s: ['float32', [3]] },
      nodes: [{ op: 'Loop', in: ['m', 'cond', 'g', 's'], out: ['g_final', 's_final', 's_each'], attrs: { body: { type: 'graph', value: body } } }],
      outputs: ['g_final', 's_final', 's_each'],
    };
    expect(dimsOf(spec)).toEqual([[null], [3], [null, 3]]);
  });
});

describe('com.microsoft and Attention-23 (onnxruntime ContribOperators.md, ONNX Attention doc)', () => {
  it('SkipLayerNormalization, MatMulNBits and Attention keep batch and sequence', () => {
    const spec: ModelSpec = {
      inputs: { x: ['float32', ['batch', 'seq', 64]] },
      initializers: { g: floats([64]), w: floats([64, 192]), b: floats([192]), q: new Tensor('uint8', [16, 2, 16], new Uint8Array(512)), s: floats([32]) },
      nodes: [
        { op: 'SkipLayerNormalization', domain: 'com.microsoft', in: ['x', 'x', 'g'], out: ['n', '', '', 'sum'] },
        { op: 'MatMulNBits', domain: 'com.microsoft', in: ['x', 'q', 's'], out: ['mm'], attrs: { K: 64, N: 16, bits: 4, block_size: 32 } },
        { op: 'Attention', domain: 'com.microsoft', in: ['x', 'w', 'b'], out: ['att'], attrs: { num_heads: 4 } },
      ],
      outputs: ['n', 'sum', 'mm', 'att'],
    };
    expect(dimsOf(spec)).toEqual([['batch', 'seq', 64], ['batch', 'seq', 64], ['batch', 'seq', 16], ['batch', 'seq', 64]]);
  });

  it('Attention-23 with 3-D Q, K, V gives [batch, q_seq, q_num_heads · v_head]', () => {
    const spec: ModelSpec = {
      inputs: { q: ['float32', ['b', 4, 32]], k: ['float32', ['b', 6, 16]], v: ['float32', ['b', 6, 24]] },
      nodes: [{ op: 'Attention', in: ['q', 'k', 'v'], out: ['y'], attrs: { q_num_heads: 4, kv_num_heads: 2 } }], outputs: ['y'], opset: 23,
    };
    expect(dimsOf(spec)).toEqual([['b', 4, 48]]);
  });
});
