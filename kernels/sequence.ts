/**
 * Sequence and Optional operators (ONNX Operators.md). A sequence is a list of tensors (src/graph/value.ts);
 * positions may be negative, counting from the end.
 */
import { NeuropodError } from '../src/api/errors.js';
import { Optional, Sequence, type Value } from '../src/graph/value.js';
import { Tensor } from '../src/tensor/tensor.js';
import { stackAlongAxis } from './axis-stack.js';
import { optionalTensor, tensorInput, toIndices } from './elements.js';
import { normalizeAxis } from './indexing.js';
import { concat, withShape } from './layout.js';
import type { KernelContext, KernelDef, ShapeFn } from './registry.js';
import { withShapes } from './shape-rules.js';
import { splitTensor } from './tensor.js';

type Inputs = (Value | undefined)[];

function sequenceInput(inputs: Inputs, i: number, op: string): Sequence {
  const v = inputs[i];
  if (!(v instanceof Sequence)) throw new NeuropodError('INFERENCE_FAILED', `${op}: input ${i} is not a sequence`);
  return v;
}

/** A position in [-n, n + extra), made non-negative (SequenceInsert accepts n itself: "insert at the end"). */
function position(inputs: Inputs, i: number, n: number, fallback: number, op: string, extra = 0): number {
  const t = optionalTensor(inputs, i);
  const p = t ? toIndices(t)[0]! : fallback;
  if (p < -n || p >= n + extra) throw new NeuropodError('INFERENCE_FAILED', `${op}: position ${p} is out of range for a sequence of ${n}`);
  return p < 0 ? p + n : p;
}

const int64Scalar = (v: number): Tensor => new Tensor('int64', [], BigInt64Array.of(BigInt(v)));
const boolScalar = (v: boolean): Tensor => new Tensor('bool', [], Uint8Array.of(v ? 1 : 0));

function sequenceInsert(inputs: Inputs): Sequence {
  const seq = sequenceInput(inputs, 0, 'SequenceInsert');
  const n = seq.items.length;
  const at = position(inputs, 2, n, n, 'SequenceInsert', 1);
  return new Sequence([...seq.items.slice(0, at), tensorInput(inputs, 1, 'SequenceInsert'), ...seq.items.slice(at)]);
}

function sequenceErase(inputs: Inputs): Sequence {
  const seq = sequenceInput(inputs, 0, 'SequenceErase');
  const at = position(inputs, 1, seq.items.length, -1, 'SequenceErase');
  return new Sequence(seq.items.filter((_, i) => i !== at));
}

/** SplitToSequence: by `split` sizes (a scalar: chunks of that size, the last shorter), else into size-1 slices. */
function splitToSequence(inputs: Inputs, ctx: KernelContext): Sequence {
  const x = tensorInput(inputs, 0, 'SplitToSequence');
  const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank);
  const dim = x.shape[axis]!;
  const splitT = optionalTensor(inputs, 1);
  if (!splitT) {
    const parts = splitTensor(x, axis, new Array<number>(dim).fill(1));
    const keep = ctx.attrs.int('keepdims', 1) === 1;
    return new Sequence(keep ? parts : parts.map((p) => withShape(p, p.shape.filter((_, d) => d !== axis))));
  }
  const given = toIndices(splitT);
  const sizes = splitT.rank === 0 ? Array.from({ length: Math.ceil(dim / given[0]!) }, (_, i) => Math.min(given[0]!, dim - i * given[0]!)) : given;
  return new Sequence(splitTensor(x, axis, sizes));
}

/** ConcatFromSequence: concatenated along `axis`, or stacked on a new one when new_axis = 1. */
function concatFromSequence(inputs: Inputs, ctx: KernelContext): Tensor {
  const items = sequenceInput(inputs, 0, 'ConcatFromSequence').items.map((v, i) => tensorInput([v], 0, `ConcatFromSequence item ${i}`));
  if (items.length === 0) throw new NeuropodError('INFERENCE_FAILED', `ConcatFromSequence: the sequence is empty`);
  const newAxis = ctx.attrs.int('new_axis', 0) === 1;
  const rank = items[0]!.rank + (newAxis ? 1 : 0);
  const axis = normalizeAxis(ctx.attrs.require('axis', 'int'), rank);
  return newAxis ? stackAlongAxis(items, axis) : concat(items, axis);
}

/** SequenceMap: the body once per position; sequence inputs give their item there, tensors are passed whole. */
function sequenceMap(inputs: Inputs, ctx: KernelContext): Sequence[] {
  const body = ctx.attrs.require('body', 'graph');
  const n = sequenceInput(inputs, 0, 'SequenceMap').items.length;
  const results: Value[][] = body.outputs.map(() => []);
  for (let i = 0; i < n; i++) {
    const args = inputs.map((v) => (v instanceof Sequence ? v.items[i] : v));
    ctx.runSubgraph(body, args).forEach((out, k) => results[k]!.push(out));
  }
  return results.map((items) => new Sequence(items));
}

function optionalHasElement(inputs: Inputs): Tensor {
  const v = inputs[0];
  return boolScalar(v instanceof Optional ? v.value !== undefined : v !== undefined);
}

function optionalGetElement(inputs: Inputs): Value {
  const v = inputs[0];
  if (v instanceof Optional) {
    if (v.value === undefined) throw new NeuropodError('INFERENCE_FAILED', `OptionalGetElement: the optional is empty`);
    return v.value;
  }
  if (v === undefined) throw new NeuropodError('INFERENCE_FAILED', `OptionalGetElement: no input`);
  return v;
}

/** Sequences and optionals carry no tensor shape here; what they answer about themselves is a scalar. */
const SEQUENCE_SHAPES = {
  SequenceLength: (() => [{ dtype: 'int64', dims: [] }]) as ShapeFn,
  OptionalHasElement: (() => [{ dtype: 'bool', dims: [] }]) as ShapeFn,
};

export const sequenceKernels: KernelDef[] = withShapes([
  { op: 'SequenceConstruct', run: (inputs) => [new Sequence(inputs.map((_, i) => tensorInput(inputs, i, 'SequenceConstruct')))] },
  { op: 'SequenceEmpty', run: () => [new Sequence([])] },
  {
    op: 'SequenceAt',
    run: (inputs) => {
      const seq = sequenceInput(inputs, 0, 'SequenceAt');
      return [seq.items[position(inputs, 1, seq.items.length, 0, 'SequenceAt')]];
    },
  },
  { op: 'SequenceInsert', run: (inputs) => [sequenceInsert(inputs)] },
  { op: 'SequenceErase', run: (inputs) => [sequenceErase(inputs)] },
  { op: 'SequenceLength', run: (inputs) => [int64Scalar(sequenceInput(inputs, 0, 'SequenceLength').items.length)] },
  { op: 'SplitToSequence', run: (inputs, ctx) => [splitToSequence(inputs, ctx)] },
  { op: 'ConcatFromSequence', run: (inputs, ctx) => [concatFromSequence(inputs, ctx)] },
  { op: 'SequenceMap', run: sequenceMap },
  { op: 'Optional', run: (inputs) => [new Optional(inputs[0])] },
  { op: 'OptionalHasElement', run: (inputs) => [optionalHasElement(inputs)] },
  { op: 'OptionalGetElement', run: (inputs) => [optionalGetElement(inputs)] },
], SEQUENCE_SHAPES);

