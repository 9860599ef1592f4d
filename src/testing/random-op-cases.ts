import type { AttributeValue, Model } from '../graph/ir.js';
import { allocate, DTYPES, type DType } from '../tensor/dtype.js';
import { sizeOf, Tensor } from '../tensor/tensor.js';

/** mulberry32: a small seeded PRNG, so a failing case is reproduced by its op and seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bool(): boolean {
    return this.next() < 0.5;
  }

  shape(minRank: number, maxRank: number, maxDim = 4): number[] {
    return Array.from({ length: this.int(minRank, maxRank) }, () => this.int(1, maxDim));
  }

  /** A shape that broadcasts against `shape`: a suffix of it, some dims set to 1. */
  broadcastOf(shape: readonly number[]): number[] {
    return shape.slice(this.int(0, shape.length)).map((d) => (this.next() < 0.3 ? 1 : d));
  }

  floats(shape: readonly number[], lo = -2, hi = 2): Tensor {
    return tensorOf('float32', shape, () => lo + (hi - lo) * this.next());
  }

  /** Distinct axes of a rank, in random order. */
  permutation(rank: number): number[] {
    const p = Array.from({ length: rank }, (_, i) => i);
    for (let i = rank - 1; i > 0; i--) {
      const j = this.int(0, i);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }
}

export function tensorOf(dtype: DType, shape: readonly number[], value: (i: number) => number): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    if (DTYPES[dtype].big) (data as BigInt64Array)[i] = BigInt(Math.trunc(value(i)));
    else (data as Float64Array)[i] = value(i);
  }
  return new Tensor(dtype, [...shape], data);
}

export const int64s = (values: readonly number[]): Tensor => tensorOf('int64', [values.length], (i) => values[i]!);

/** One operator call: inputs by position (undefined = omitted optional input), outputs by dtype. */
export interface OpCase {
  op: string;
  opset: number;
  attributes?: Record<string, AttributeValue>;
  inputs: (Tensor | undefined)[];
  outputs: DType[];
}

const int = (value: number): AttributeValue => ({ type: 'int', value });
const float = (value: number): AttributeValue => ({ type: 'float', value });
const ints = (value: number[]): AttributeValue => ({ type: 'ints', value });
const str = (value: string): AttributeValue => ({ type: 'string', value });

type Generate = (rng: Rng) => OpCase;

const binary = (op: string, avoidZero = false): Generate => (rng) => {
  const a = rng.shape(1, 4);
  const b = rng.broadcastOf(a);
  const [x, y] = rng.bool() ? [a, b] : [b, a];
  // A divisor kept away from zero: near 0 the quotient's rounding, not the kernel, decides the comparison.
  const divisor = avoidZero ? tensorOf('float32', y, () => (rng.bool() ? 1 : -1) * (0.5 + 1.5 * rng.next())) : rng.floats(y);
  return { op, opset: 14, inputs: [rng.floats(x), divisor], outputs: ['float32'] };
};

const unary = (op: string, lo = -3, hi = 3, opset = 13, attributes?: (rng: Rng) => Record<string, AttributeValue>): Generate => (rng) => ({
  op, opset, inputs: [rng.floats(rng.shape(1, 4), lo, hi)], outputs: ['float32'], attributes: attributes?.(rng),
});

const reduce = (op: string): Generate => (rng) => {
  const shape = rng.shape(1, 4);
  const axes = rng.permutation(shape.length).slice(0, rng.int(0, shape.length)).map((a) => (rng.bool() ? a - shape.length : a));
  return { op, opset: 18, inputs: [rng.floats(shape), axes.length ? int64s(axes) : undefined], outputs: ['float32'], attributes: { keepdims: int(rng.int(0, 1)) } };
};

/** Spatial sizes, kernel, strides, pads and dilations that give every output dim at least 1. */
function window(rng: Rng, dims: number, dilate: boolean) {
  const kernel = Array.from({ length: dims }, () => rng.int(1, 3));
  const dilations = kernel.map(() => (dilate ? rng.int(1, 2) : 1));
  const pads = [...kernel, ...kernel].map((k) => rng.int(0, k - 1));
  const spatial = kernel.map((k, i) => rng.int((k - 1) * dilations[i]! + 1, 7));
  const strides = kernel.map(() => rng.int(1, 2));
  return { kernel, dilations, pads, spatial, strides };
}

const pool = (op: string): Generate => (rng) => {
  const w = window(rng, rng.int(1, 2), false);
  const attributes: Record<string, AttributeValue> = { kernel_shape: ints(w.kernel), strides: ints(w.strides), pads: ints(w.pads) };
  if (op === 'AveragePool') attributes.count_include_pad = int(rng.int(0, 1));
  return { op, opset: 19, inputs: [rng.floats([rng.int(1, 2), rng.int(1, 3), ...w.spatial])], outputs: ['float32'], attributes };
};

/** Issue 4.4's op list and a few neighbours: each entry draws one random call of the op. */
export const RANDOM_OP_CASES: Record<string, Generate> = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div', true),
  Pow: (rng) => {
    const shape = rng.shape(1, 3);
    return { op: 'Pow', opset: 15, inputs: [rng.floats(shape, 0.5, 2), rng.floats(rng.broadcastOf(shape), -2, 2)], outputs: ['float32'] };
  },
  Relu: unary('Relu', -3, 3, 14),
  Sigmoid: unary('Sigmoid', -6, 6),
  Tanh: unary('Tanh'),
  Exp: unary('Exp'),
  Log: unary('Log', 0.05, 5),
  Sqrt: unary('Sqrt', 0, 5),
  Abs: unary('Abs'),
  Erf: unary('Erf'),
  LeakyRelu: unary('LeakyRelu', -3, 3, 16, (rng) => ({ alpha: float(rng.next()) })),
  Elu: unary('Elu', -3, 3, 6, (rng) => ({ alpha: float(0.5 + rng.next()) })),
  HardSigmoid: unary('HardSigmoid', -4, 4, 6, (rng) => ({ alpha: float(0.1 + rng.next() / 2), beta: float(rng.next()) })),
  Gelu: unary('Gelu', -3, 3, 20, (rng) => ({ approximate: str(rng.pick(['none', 'tanh'])) })),
  Clip: (rng) => {
    const lo = -rng.next();
    return { op: 'Clip', opset: 13, inputs: [rng.floats(rng.shape(1, 3)), tensorOf('float32', [], () => lo), tensorOf('float32', [], () => lo + rng.next() * 2)], outputs: ['float32'] };
  },
  MatMul: (rng) => {
    const [m, k, n] = [rng.int(1, 5), rng.int(1, 5), rng.int(1, 5)];
    const batch = rng.shape(0, 2, 3);
    const other = rng.broadcastOf(batch);
    return { op: 'MatMul', opset: 13, inputs: [rng.floats([...batch, m, k]), rng.floats([...other, k, n])], outputs: ['float32'] };
  },
  Gemm: (rng) => {
    const [m, k, n] = [rng.int(1, 5), rng.int(1, 5), rng.int(1, 5)];
    const [transA, transB] = [rng.int(0, 1), rng.int(0, 1)];
    const c = rng.pick([[n], [m, n], [1, n], [m, 1], []]);
    return {
      op: 'Gemm', opset: 13, outputs: ['float32'],
      inputs: [rng.floats(transA ? [k, m] : [m, k]), rng.floats(transB ? [n, k] : [k, n]), rng.floats(c)],
      attributes: { transA: int(transA), transB: int(transB), alpha: float(rng.next() * 2), beta: float(rng.next() * 2) },
    };
  },
  Conv: (rng) => {
    const w = window(rng, rng.int(1, 2), true);
    const group = rng.int(1, 2);
    const [cin, cout] = [group * rng.int(1, 2), group * rng.int(1, 2)];
    return {
      op: 'Conv', opset: 11, outputs: ['float32'],
      inputs: [rng.floats([rng.int(1, 2), cin, ...w.spatial]), rng.floats([cout, cin / group, ...w.kernel]), rng.bool() ? rng.floats([cout]) : undefined],
      attributes: { kernel_shape: ints(w.kernel), strides: ints(w.strides), pads: ints(w.pads), dilations: ints(w.dilations), group: int(group) },
    };
  },
  ConvTranspose: (rng) => {
    const w = window(rng, 2, false);
    const [cin, cout] = [rng.int(1, 3), rng.int(1, 3)];
    return {
      op: 'ConvTranspose', opset: 11, outputs: ['float32'],
      inputs: [rng.floats([1, cin, rng.int(1, 4), rng.int(1, 4)]), rng.floats([cin, cout, ...w.kernel]), rng.floats([cout])],
      // Each side's pad at most (k-1)/2, so even a 1-pixel input gives an output of at least 1.
      attributes: { kernel_shape: ints(w.kernel), strides: ints(w.strides), pads: ints(w.pads.map((p, i) => Math.min(p, (w.kernel[i % 2]! - 1) >> 1))) },
    };
  },
  MaxPool: pool('MaxPool'),
  AveragePool: pool('AveragePool'),
  GlobalAveragePool: (rng) => ({ op: 'GlobalAveragePool', opset: 1, inputs: [rng.floats([rng.int(1, 2), rng.int(1, 3), ...rng.shape(1, 2, 5)])], outputs: ['float32'] }),
  Softmax: (rng) => {
    const shape = rng.shape(1, 4);
    return { op: 'Softmax', opset: 13, inputs: [rng.floats(shape, -5, 5)], outputs: ['float32'], attributes: { axis: int(rng.int(-shape.length, shape.length - 1)) } };
  },
  ReduceSum: reduce('ReduceSum'),
  ReduceMean: reduce('ReduceMean'),
  ReduceMax: reduce('ReduceMax'),
  ArgMax: (rng) => {
    const shape = rng.shape(1, 4);
    return { op: 'ArgMax', opset: 13, inputs: [rng.floats(shape)], outputs: ['int64'], attributes: { axis: int(rng.int(-shape.length, shape.length - 1)), keepdims: int(rng.int(0, 1)) } };
  },
  Transpose: (rng) => {
    const shape = rng.shape(1, 5, 3);
    return { op: 'Transpose', opset: 13, inputs: [rng.floats(shape)], outputs: ['float32'], attributes: { perm: ints(rng.permutation(shape.length)) } };
  },
  Reshape: (rng) => {
    const shape = rng.shape(1, 4);
    const target = rng.permutation(shape.length).map((i) => shape[i]!);
    // 0 copies the input dim at that position (onnx Reshape), -1 takes what is left.
    const spec = target.map((d, i) => (d === shape[i] && rng.bool() ? 0 : d));
    spec[rng.int(0, spec.length - 1)] = -1;
    return { op: 'Reshape', opset: 14, inputs: [rng.floats(shape), int64s(spec)], outputs: ['float32'] };
  },
  Flatten: (rng) => {
    const shape = rng.shape(1, 4);
    return { op: 'Flatten', opset: 13, inputs: [rng.floats(shape)], outputs: ['float32'], attributes: { axis: int(rng.int(-shape.length, shape.length)) } };
  },
  Concat: (rng) => {
    const shape = rng.shape(1, 4);
    const axis = rng.int(0, shape.length - 1);
    const parts = Array.from({ length: rng.int(1, 3) }, () => rng.floats(shape.map((d, i) => (i === axis ? rng.int(1, 3) : d))));
    return { op: 'Concat', opset: 13, inputs: parts, outputs: ['float32'], attributes: { axis: int(axis - (rng.bool() ? shape.length : 0)) } };
  },
  Split: (rng) => {
    const shape = rng.shape(1, 3, 6);
    const axis = rng.int(0, shape.length - 1);
    const sizes: number[] = [];
    for (let left = shape[axis]!; left > 0; left -= sizes.at(-1)!) sizes.push(rng.int(1, left));
    return { op: 'Split', opset: 13, inputs: [rng.floats(shape), int64s(sizes)], outputs: sizes.map(() => 'float32'), attributes: { axis: int(axis) } };
  },
  Slice: (rng) => {
    const shape = rng.shape(1, 4, 6);
    const axes = rng.permutation(shape.length).slice(0, rng.int(1, shape.length));
    const steps = axes.map(() => rng.pick([1, 1, 2, -1, -2]));
    const starts = axes.map((a) => rng.int(-shape[a]! - 1, shape[a]!));
    const ends = axes.map((a, i) => (rng.next() < 0.2 ? (steps[i]! > 0 ? 2 ** 62 : -(2 ** 62)) : rng.int(-shape[a]! - 1, shape[a]!)));
    return { op: 'Slice', opset: 13, inputs: [rng.floats(shape), int64s(starts), int64s(ends), int64s(axes), int64s(steps)], outputs: ['float32'] };
  },
  Gather: (rng) => {
    const shape = rng.shape(1, 3);
    const axis = rng.int(0, shape.length - 1);
    const indices = tensorOf('int64', rng.shape(0, 2), () => rng.int(-shape[axis]!, shape[axis]! - 1));
    return { op: 'Gather', opset: 13, inputs: [rng.floats(shape), indices], outputs: ['float32'], attributes: { axis: int(axis) } };
  },
  GatherElements: (rng) => {
    const shape = rng.shape(1, 3);
    const axis = rng.int(0, shape.length - 1);
    const indices = tensorOf('int64', shape.map((d, i) => (i === axis ? rng.int(1, 4) : d)), () => rng.int(-shape[axis]!, shape[axis]! - 1));
    return { op: 'GatherElements', opset: 13, inputs: [rng.floats(shape), indices], outputs: ['float32'], attributes: { axis: int(axis) } };
  },
  Where: (rng) => {
    const shape = rng.shape(1, 3);
    const cond = tensorOf('bool', rng.broadcastOf(shape), () => rng.int(0, 1));
    return { op: 'Where', opset: 16, inputs: [cond, rng.floats(shape), rng.floats(rng.broadcastOf(shape))], outputs: ['float32'] };
  },
  Cast: (rng) => {
    const [from, to] = rng.pick<[DType, DType]>([['float32', 'int32'], ['float32', 'float16'], ['int32', 'float32'], ['float32', 'bool'], ['float32', 'int64'], ['int64', 'float32']]);
    const shape = rng.shape(1, 3);
    const x = from === 'float32' ? rng.floats(shape, -100, 100) : tensorOf(from, shape, () => rng.int(-1000, 1000));
    return { op: 'Cast', opset: 13, inputs: [x], outputs: [to], attributes: { to: int(DTYPES[to].onnx) } };
  },
  Expand: (rng) => {
    const target = rng.shape(1, 4);
    return { op: 'Expand', opset: 13, inputs: [rng.floats(rng.broadcastOf(target)), int64s(target)], outputs: ['float32'] };
  },
  Tile: (rng) => {
    const shape = rng.shape(1, 3);
    return { op: 'Tile', opset: 13, inputs: [rng.floats(shape), int64s(shape.map(() => rng.int(1, 3)))], outputs: ['float32'] };
  },
  Pad: (rng) => {
    const shape = rng.shape(1, 3, 5).map((d) => d + 2);
    const mode = rng.pick(['constant', 'reflect', 'edge']);
    const pads = [...shape, ...shape].map(() => rng.int(0, 2));
    return { op: 'Pad', opset: 18, inputs: [rng.floats(shape), int64s(pads), tensorOf('float32', [], () => 0.5)], outputs: ['float32'], attributes: { mode: str(mode) } };
  },
  Unsqueeze: (rng) => {
    const shape = rng.shape(0, 3);
    const axis = rng.int(-shape.length - 1, shape.length);
    return { op: 'Unsqueeze', opset: 13, inputs: [rng.floats(shape), int64s([axis])], outputs: ['float32'] };
  },
  CumSum: (rng) => {
    const shape = rng.shape(1, 3);
    return { op: 'CumSum', opset: 14, inputs: [rng.floats(shape), tensorOf('int64', [], () => rng.int(0, shape.length - 1))], outputs: ['float32'], attributes: { exclusive: int(rng.int(0, 1)), reverse: int(rng.int(0, 1)) } };
  },
  LayerNormalization: (rng) => {
    const shape = rng.shape(1, 4);
    const axis = rng.int(-shape.length, shape.length - 1);
    const normalized = shape.slice(axis < 0 ? axis + shape.length : axis);
    return { op: 'LayerNormalization', opset: 17, inputs: [rng.floats(shape), rng.floats(normalized), rng.floats(normalized)], outputs: ['float32'], attributes: { axis: int(axis), epsilon: float(1e-5) } };
  },
  BatchNormalization: (rng) => {
    const shape = [rng.int(1, 2), rng.int(1, 4), ...rng.shape(0, 2)];
    const c = [shape[1]!];
    return { op: 'BatchNormalization', opset: 15, inputs: [rng.floats(shape), rng.floats(c), rng.floats(c), rng.floats(c), rng.floats(c, 0.1, 2)], outputs: ['float32'], attributes: { epsilon: float(1e-5) } };
  },
  InstanceNormalization: (rng) => {
    const shape = [rng.int(1, 2), rng.int(1, 3), ...rng.shape(1, 2, 5)];
    const c = [shape[1]!];
    return { op: 'InstanceNormalization', opset: 6, inputs: [rng.floats(shape), rng.floats(c), rng.floats(c)], outputs: ['float32'] };
  },
  Einsum: (rng) => {
    const [i, j, k, b] = [rng.int(1, 4), rng.int(1, 4), rng.int(1, 4), rng.int(1, 3)];
    const [equation, shapes] = rng.pick<[string, number[][]]>([
      ['ij,jk->ik', [[i, j], [j, k]]], ['bij,bjk->bik', [[b, i, j], [b, j, k]]], ['ij->ji', [[i, j]]], ['ij,ij->i', [[i, j], [i, j]]], ['i,j->ij', [[i], [j]]],
    ]);
    return { op: 'Einsum', opset: 12, inputs: shapes.map((s) => rng.floats(s)), outputs: ['float32'], attributes: { equation: str(equation) } };
  },
  Resize: (rng) => {
    const shape = [1, rng.int(1, 2), rng.int(1, 5), rng.int(1, 5)];
    const scales = tensorOf('float32', [4], (d) => (d < 2 ? 1 : rng.pick([0.5, 1, 1.5, 2, 3])));
    const mode = rng.pick(['nearest', 'linear']);
    const transform = rng.pick(mode === 'nearest' ? ['half_pixel', 'asymmetric'] : ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel']);
    return { op: 'Resize', opset: 13, inputs: [rng.floats(shape), undefined, scales], outputs: ['float32'], attributes: { mode: str(mode), coordinate_transformation_mode: str(transform) } };
  },
  Min: (rng) => {
    const shape = rng.shape(1, 3);
    return { op: 'Min', opset: 13, inputs: [rng.floats(shape), rng.floats(rng.broadcastOf(shape)), rng.floats(rng.broadcastOf(shape))], outputs: ['float32'] };
  },
  Less: (rng) => {
    const shape = rng.shape(1, 3);
    // Rounded values make ties, where Less and LessOrEqual would differ.
    const x = tensorOf('float32', shape, () => rng.int(-2, 2));
    return { op: 'Less', opset: 13, inputs: [x, tensorOf('float32', rng.broadcastOf(shape), () => rng.int(-2, 2))], outputs: ['bool'] };
  },
};

/** The ops issue 4.4 names: the differential test must cover each. */
export const REQUIRED_OPS = [
  'Add', 'Sub', 'Mul', 'Div', 'Relu', 'Sigmoid', 'Tanh', 'Exp', 'MatMul', 'Gemm', 'Conv', 'MaxPool', 'AveragePool', 'Softmax',
  'ReduceSum', 'ReduceMean', 'ReduceMax', 'Transpose', 'Reshape', 'Concat', 'Slice', 'Gather', 'Where', 'Cast',
  'LayerNormalization', 'BatchNormalization', 'Resize',
];

/** The call as a one-node model: inputs `in_i` (omitted ones left ''), outputs `out_i`. */
export function singleOpModel(c: OpCase): Model {
  const fed = c.inputs.map((t, i) => (t ? `in_${i}` : ''));
  return {
    opsets: new Map([['', c.opset]]),
    graph: {
      name: c.op,
      nodes: [{ name: c.op, opType: c.op, domain: '', inputs: fed, outputs: c.outputs.map((_, i) => `out_${i}`), attributes: new Map(Object.entries(c.attributes ?? {})) }],
      inputs: c.inputs.flatMap((t, i) => (t ? [{ name: `in_${i}`, type: { kind: 'tensor' as const, dtype: t.dtype, shape: [...t.shape] } }] : [])),
      outputs: c.outputs.map((dtype, i) => ({ name: `out_${i}`, type: { kind: 'tensor' as const, dtype } })),
      initializers: new Map(),
    },
  };
}
