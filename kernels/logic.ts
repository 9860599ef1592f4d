import { broadcastElements, isBig, mapElements, type Scalar } from './element-loops.js';
import { tensorInput } from './elements.js';
import { legacyOperands } from './elementwise.js';
import type { KernelDef } from './registry.js';
import { binaryOf, broadcastOf, sameAs, withShapes, type ShapeTable } from './shape-rules.js';

/**
 * Comparisons work on decoded elements of any dtype (numbers, int64 as bigint, strings for Equal-19), so one
 * row serves every type; the result is bool. NaN compares unequal and unordered, as IEEE says.
 */
const COMPARISONS: { op: string; test: (a: Scalar, b: Scalar) => boolean }[] = [
  { op: 'Equal', test: (a, b) => a === b },
  { op: 'Less', test: (a, b) => a < b },
  { op: 'Greater', test: (a, b) => a > b },
  { op: 'LessOrEqual', test: (a, b) => a <= b },
  { op: 'GreaterOrEqual', test: (a, b) => a >= b },
];

/** Logical ops on bool (stored 0/1). */
const LOGICAL: { op: string; fn: (a: number, b: number) => number }[] = [
  { op: 'And', fn: (a, b) => a & b },
  { op: 'Or', fn: (a, b) => a | b },
  { op: 'Xor', fn: (a, b) => a ^ b },
];

/** Bitwise ops (opset 18): numbers wrap on store, int64/uint64 use BigInt. */
const BITWISE: { op: string; num: (a: number, b: number) => number; big: (a: bigint, b: bigint) => bigint }[] = [
  { op: 'BitwiseAnd', num: (a, b) => a & b, big: (a, b) => a & b },
  { op: 'BitwiseOr', num: (a, b) => a | b, big: (a, b) => a | b },
  { op: 'BitwiseXor', num: (a, b) => a ^ b, big: (a, b) => a ^ b },
];

/** Comparisons and logic broadcast to bool (Equal, And, ...); bitwise ops broadcast in their input's dtype. */
const LOGIC_SHAPES: ShapeTable = {
  ...Object.fromEntries([...COMPARISONS, ...LOGICAL].map(({ op }) => [op, binaryOf('bool')])),
  ...Object.fromEntries(BITWISE.map(({ op }) => [op, broadcastOf()])),
  Not: sameAs(0, 'bool'),
  BitwiseNot: sameAs(0),
};

export const logicKernels: KernelDef[] = withShapes([
  ...COMPARISONS.map(({ op, test }): KernelDef => ({
    op,
    run: (inputs, ctx) => {
      const [a, b] = legacyOperands(inputs, ctx, op);
      return [broadcastElements(a, b, 'bool', (x, y) => (test(x, y) ? 1 : 0))];
    },
  })),
  ...LOGICAL.map(({ op, fn }): KernelDef => ({
    op,
    run: (inputs, ctx) => {
      const [a, b] = legacyOperands(inputs, ctx, op);
      return [broadcastElements(a, b, 'bool', (x, y) => fn(x as number, y as number))];
    },
  })),
  ...BITWISE.map(({ op, num, big }): KernelDef => ({
    op,
    run: (inputs) => {
      const a = tensorInput(inputs, 0, op);
      const b = tensorInput(inputs, 1, op);
      const f = isBig(a.dtype) ? (x: Scalar, y: Scalar) => big(x as bigint, y as bigint) : (x: Scalar, y: Scalar) => num(x as number, y as number);
      return [broadcastElements(a, b, a.dtype, f)];
    },
  })),
  { op: 'Not', run: (inputs) => [mapElements(tensorInput(inputs, 0, 'Not'), 'bool', (x) => (x ? 0 : 1))] },
  {
    op: 'BitwiseNot',
    run: (inputs) => {
      const x = tensorInput(inputs, 0, 'BitwiseNot');
      return [mapElements(x, x.dtype, (v) => (isBig(x.dtype) ? ~(v as bigint) : ~(v as number)))];
    },
  },
], LOGIC_SHAPES);
