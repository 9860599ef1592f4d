import { NeuropodError } from '../src/api/errors.js';
import type { AttributeReader } from '../src/graph/attributes.js';
import { DTYPES, type DType } from '../src/tensor/dtype.js';
import { Tensor } from '../src/tensor/tensor.js';
import { floatToInteger } from './cast.js';
import { optionalTensor, tensorInput } from './elements.js';
import {
  broadcastElements, broadcastSelect, broadcastValues, isBig, isSmallInt, mapElements, readElements, readNumbers, type Scalar,
} from './element-loops.js';
import { roundHalfToEven } from './minifloat.js';
import type { KernelContext, KernelDef } from './registry.js';
import { ELEMENT_ARITHMETIC, binaryOf, broadcastOf, sameAs, sameShape, withShapes, type ShapeTable } from './shape-rules.js';

type Num = (x: number) => number;
type Big = (x: bigint) => bigint;

/** A unary op: `make` builds the per-element function from the node's attributes; `big` serves int64/uint64. */
export interface UnaryRow {
  op: string;
  make: (attrs: AttributeReader) => Num;
  big?: (attrs: AttributeReader) => Big;
  /** Output dtype when it is not the input's (IsNaN, IsInf: bool). */
  out?: DType;
}

export function unaryKernel(row: UnaryRow): KernelDef {
  return {
    op: row.op,
    run(inputs, ctx) {
      const x = tensorInput(inputs, 0, row.op);
      return [applyUnary(x, row.make(ctx.attrs), row.big?.(ctx.attrs), row.out ?? x.dtype)];
    },
  };
}

export function applyUnary(x: Tensor, fn: Num, big: Big | undefined, out: DType = x.dtype): Tensor {
  if (!isBig(x.dtype)) return mapElements(x, out, (v) => fn(v as number));
  if (big && isBig(out)) return mapElements(x, out, (v) => big(v as bigint));
  return mapElements(x, out, (v) => toStored(out, fn(Number(v))));
}

/** A computed number in the form `dtype`'s storage takes (bigint for int64/uint64, truncated; NaN as 0). */
function toStored(dtype: DType, v: number): Scalar {
  return isBig(dtype) ? BigInt(Number.isFinite(v) ? Math.trunc(v) : 0) : v;
}

/** erf by its everywhere-positive series erf(x) = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)). */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (Number.isNaN(x)) return NaN;
  if (a >= 6) return Math.sign(x);
  let term = a;
  let sum = a;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
}

const fixed = (fn: Num) => () => fn;
const fixedBig = (fn: Big) => () => fn;
const bool = (p: (x: number) => boolean): Num => (x) => (p(x) ? 1 : 0);

const UNARY: UnaryRow[] = [
  { op: 'Abs', make: fixed(Math.abs), big: fixedBig((x) => (x < 0n ? -x : x)) },
  { op: 'Neg', make: fixed((x) => -x), big: fixedBig((x) => -x) },
  { op: 'Sign', make: fixed(Math.sign), big: fixedBig((x) => (x > 0n ? 1n : x < 0n ? -1n : 0n)) },
  { op: 'Reciprocal', make: fixed((x) => 1 / x) },
  { op: 'Floor', make: fixed(Math.floor) },
  { op: 'Ceil', make: fixed(Math.ceil) },
  { op: 'Round', make: fixed(roundHalfToEven) },
  { op: 'Sqrt', make: fixed(Math.sqrt) },
  { op: 'Exp', make: fixed(Math.exp) },
  { op: 'Log', make: fixed(Math.log) },
  { op: 'Sin', make: fixed(Math.sin) },
  { op: 'Cos', make: fixed(Math.cos) },
  { op: 'Tan', make: fixed(Math.tan) },
  { op: 'Asin', make: fixed(Math.asin) },
  { op: 'Acos', make: fixed(Math.acos) },
  { op: 'Atan', make: fixed(Math.atan) },
  { op: 'Sinh', make: fixed(Math.sinh) },
  { op: 'Cosh', make: fixed(Math.cosh) },
  { op: 'Tanh', make: fixed(Math.tanh) },
  { op: 'Asinh', make: fixed(Math.asinh) },
  { op: 'Acosh', make: fixed(Math.acosh) },
  { op: 'Atanh', make: fixed(Math.atanh) },
  { op: 'Erf', make: fixed(erf) },
  { op: 'IsNaN', make: fixed(bool(Number.isNaN)), out: 'bool' },
  {
    // IsInf (opset 10): detect_negative / detect_positive choose which infinities count.
    op: 'IsInf',
    out: 'bool',
    make: (a) => {
      const neg = a.int('detect_negative', 1) !== 0;
      const pos = a.int('detect_positive', 1) !== 0;
      return bool((x) => (x === Infinity && pos) || (x === -Infinity && neg));
    },
  },
];

/** A binary arithmetic op: `num` for floats, `int` where integer semantics differ (wrapping, truncation), `big` for int64/uint64. */
interface BinaryRow {
  op: string;
  num: (a: number, b: number) => number;
  int?: (a: number, b: number) => number;
  big: (a: bigint, b: bigint) => bigint;
}

function nonZero<T extends number | bigint>(b: T): T {
  if (b === 0 || b === 0n) throw new NeuropodError('INFERENCE_FAILED', 'integer division by zero');
  return b;
}

// Integer Div truncates toward zero like C: typed-array stores truncate, and BigInt division truncates.
const ARITHMETIC: BinaryRow[] = [
  { op: 'Add', num: (a, b) => a + b, big: (a, b) => a + b },
  { op: 'Sub', num: (a, b) => a - b, big: (a, b) => a - b },
  { op: 'Mul', num: (a, b) => a * b, int: Math.imul, big: (a, b) => a * b },
  { op: 'Div', num: (a, b) => a / b, int: (a, b) => a / nonZero(b), big: (a, b) => a / nonZero(b) },
];

/** `a op b` with broadcasting, in `a`'s dtype. */
export function arithmetic(row: Pick<BinaryRow, 'num' | 'int' | 'big'>, a: Tensor, b: Tensor): Tensor {
  const dt = a.dtype;
  if (isBig(dt)) return broadcastElements(a, b, dt, (x, y) => row.big(x as bigint, y as bigint));
  const f = (isSmallInt(dt) && row.int) || row.num;
  return broadcastElements(a, b, dt, (x, y) => f(x as number, y as number));
}

/**
 * Before opset 7, binary ops broadcast only when `broadcast` = 1, aligning B's dims with A's from `axis`
 * (ONNX Changelog, Add-6). Reshaping B so the numpy rule gives the same result covers both.
 */
export function legacyOperands(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext, op: string): [Tensor, Tensor] {
  const a = tensorInput(inputs, 0, op);
  let b = tensorInput(inputs, 1, op);
  const axis = ctx.attrs.int('axis');
  if (ctx.opset < 7 && ctx.attrs.int('broadcast', 0) === 1 && axis !== undefined) {
    const start = axis < 0 ? axis + a.rank : axis;
    const trailing = a.rank - start - b.rank;
    if (trailing > 0) b = new Tensor(b.dtype, [...b.shape, ...new Array<number>(trailing).fill(1)], b.data);
  }
  return [a, b];
}

function binaryKernel(row: BinaryRow): KernelDef {
  return { op: row.op, run: (inputs, ctx) => [arithmetic(row, ...legacyOperands(inputs, ctx, row.op))] };
}

/** base^exponent modulo 2^64 by squaring (what C integer pow loops compute, wrapping). */
function powWrapped(base: bigint, exp: bigint): bigint {
  if (exp < 0n) return base === 1n ? 1n : base === -1n ? (exp % 2n === 0n ? 1n : -1n) : base === 0n ? nonZero(0n) : 0n;
  let result = 1n;
  let b = BigInt.asUintN(64, base);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = BigInt.asUintN(64, result * b);
    b = BigInt.asUintN(64, b * b);
  }
  return BigInt.asIntN(64, result);
}

/** C pow: pow(1, y) and pow(x, 0) are 1 even for NaN, pow(-1, +-Inf) is 1. */
function cpow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) return 1;
  return Math.pow(a, b);
}

/**
 * Pow (opset 12+ allows mixed types): the result takes the base's dtype. int64 to integer powers is exact
 * (wrapping modulo 2^64); other integer bases compute in float64 and convert as a C cast does, as onnxruntime.
 */
export function pow(a: Tensor, b: Tensor): Tensor {
  const intExp = isBig(b.dtype) || isSmallInt(b.dtype);
  if (isBig(a.dtype) && intExp) {
    return broadcastValues(readElements(a), a.shape, readElements(b), b.shape, a.dtype, (x, y) => powWrapped(BigInt(x), BigInt(y)));
  }
  if (!isBig(a.dtype) && !isSmallInt(a.dtype)) return broadcastValues(readElements(a) as ArrayLike<number>, a.shape, readNumbers(b), b.shape, a.dtype, cpow);
  const toInteger = floatToInteger(a.dtype);
  return broadcastValues(readNumbers(a), a.shape, readNumbers(b), b.shape, a.dtype, (x, y) => toInteger(cpow(x, y)));
}

/** Mod: fmod = 1 keeps the dividend's sign (C fmod); fmod = 0 the divisor's (Python %), ONNX Mod-10. */
export function mod(a: Tensor, b: Tensor, fmod: boolean): Tensor {
  const floor = <T extends number | bigint>(r: T, d: T, zero: T): T => (!fmod && r !== zero && r < zero !== d < zero ? ((r as number) + (d as number)) as T : r);
  if (isBig(a.dtype)) return broadcastElements(a, b, a.dtype, (x, y) => floor((x as bigint) % nonZero(y as bigint), y as bigint, 0n));
  const check = isSmallInt(a.dtype) ? nonZero : (y: number) => y;
  return broadcastElements(a, b, a.dtype, (x, y) => floor((x as number) % check(y as number), y as number, 0));
}

/** BitShift (opset 11) on unsigned integers; shifting by the width or more gives 0. */
export function bitShift(a: Tensor, b: Tensor, left: boolean): Tensor {
  if (isBig(a.dtype)) {
    const width = 64n;
    return broadcastElements(a, b, a.dtype, (x, y) => ((y as bigint) >= width ? 0n : left ? (x as bigint) << (y as bigint) : (x as bigint) >> (y as bigint)));
  }
  // x * 2^y is exact in a double and the typed-array store keeps it modulo 2^bits.
  return broadcastElements(a, b, a.dtype, (x, y) => (left ? (x as number) * 2 ** (y as number) : Math.floor((x as number) / 2 ** (y as number))));
}

type Fold = (acc: Scalar, v: Scalar) => Scalar;

const maxOf: Fold = (a, b) => (a > b || a !== a ? a : b);
const minOf: Fold = (a, b) => (a < b || a !== a ? a : b);

/**
 * A variadic op over inputs broadcast together. Floats accumulate in float64 and round once at the end;
 * integers accumulate in their own dtype (wrapping as C does).
 */
export function variadic(op: string, inputs: (Tensor | undefined)[], fold: Fold, finish?: (v: number, count: number) => number): Tensor {
  const tensors = inputs.filter((t): t is Tensor => t instanceof Tensor);
  if (tensors.length === 0) throw new NeuropodError('INFERENCE_FAILED', `${op} needs at least one input`);
  const dtype = tensors[0]!.dtype;
  const work: DType = DTYPES[dtype].float ? 'float64' : dtype;
  let acc = mapElements(tensors[0]!, work, (v) => v);
  for (const t of tensors.slice(1)) acc = broadcastValues(readElements(acc), acc.shape, readElements(t), t.shape, work, fold);
  if (finish) acc = mapElements(acc, work, (v) => finish(v as number, tensors.length));
  return work === dtype ? acc : mapElements(acc, dtype, (v) => v);
}

const add: Fold = (a, b) => ((a as number) + (b as number)) as Scalar;

const VARIADIC: { op: string; fold: Fold; finish?: (v: number, n: number) => number }[] = [
  { op: 'Max', fold: maxOf },
  { op: 'Min', fold: minOf },
  { op: 'Sum', fold: add },
  { op: 'Mean', fold: add, finish: (v, n) => v / n },
];

/** A scalar bound of Clip, as an element of the input's dtype. */
function bound(t: Tensor | undefined): Scalar | undefined {
  return t && t.size > 0 ? readElements(t)[0] : undefined;
}

/**
 * Clip: bounds are attributes before opset 11 (defaulting to +-FLT_MAX), optional inputs after. A min above the
 * max gives the max everywhere (Clip-13: numpy.clip order).
 */
function clip(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'Clip');
  const FLT_MAX = 3.4028234663852886e38;
  const lo = ctx.opset < 11 ? ctx.attrs.float('min', -FLT_MAX) : bound(optionalTensor(inputs, 1));
  const hi = ctx.opset < 11 ? ctx.attrs.float('max', FLT_MAX) : bound(optionalTensor(inputs, 2));
  return mapElements(x, x.dtype, (v) => {
    let r = v;
    if (lo !== undefined && r < lo) r = lo;
    if (hi !== undefined && r > hi) r = hi;
    return r;
  });
}

/**
 * Uniform [0, 1) doubles as numpy's legacy `np.random.seed(seed); np.random.uniform(...)` draws them (MT19937,
 * 53-bit doubles from two words), so a seeded training-mode Dropout matches the ONNX reference's mask.
 */
export function mt19937Uniform(seed: number): () => number {
  const mt = new Uint32Array(624);
  mt[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) mt[i] = (Math.imul(1812433253, mt[i - 1]! ^ (mt[i - 1]! >>> 30)) + i) >>> 0;
  let next = 624;
  const word = (): number => {
    if (next >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % 624]! & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      next = 0;
    }
    let y = mt[next++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    return (y ^ (y >>> 18)) >>> 0;
  };
  return () => ((word() >>> 5) * 67108864 + (word() >>> 6)) / 9007199254740992;
}

/**
 * Dropout. In inference (every opset before 12, and opset 12+ unless training_mode is true) the output is the
 * input and the mask all true. In training mode each element is kept with probability 1 - ratio and scaled by
 * 1 / (1 - ratio) (Dropout-12). The mask is bool from opset 10, the input's type before.
 */
function dropout(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'Dropout');
  const training = ctx.opset >= 12 && (() => {
    const t = optionalTensor(inputs, 2);
    return t !== undefined && Boolean(readElements(t)[0]);
  })();
  const ratioInput = optionalTensor(inputs, 1);
  const ratio = ratioInput ? Number(readNumbers(ratioInput)[0]) : ctx.attrs.float('ratio', 0.5);
  const maskType: DType = ctx.opset >= 10 ? 'bool' : x.dtype;
  if (!training || ratio === 0) return [x, mapElements(x, maskType, () => (isBig(maskType) ? 1n : 1))];
  const seed = ctx.attrs.int('seed');
  const random = seed === undefined ? Math.random : mt19937Uniform(seed);
  const keep = Uint8Array.from({ length: x.size }, () => (random() >= ratio ? 1 : 0));
  const scale = 1 / (1 - ratio);
  let i = 0;
  const out = mapElements(x, x.dtype, (v) => (keep[i++] ? (v as number) * scale : 0));
  return [out, new Tensor('bool', [...x.shape], keep)];
}

/** Output shapes (ONNX Operators.md): unary ops keep the input's, binary and variadic ones broadcast. */
const ELEMENTWISE_SHAPES: ShapeTable = {
  ...Object.fromEntries(UNARY.map((row) => [row.op, sameAs(0, row.out)])),
  ...Object.fromEntries(ARITHMETIC.map((row) => [row.op, binaryOf(undefined, ELEMENT_ARITHMETIC[row.op as keyof typeof ELEMENT_ARITHMETIC])])),
  ...Object.fromEntries(VARIADIC.map((row) => [row.op, broadcastOf()])),
  Pow: binaryOf(),
  Mod: broadcastOf(),
  BitShift: broadcastOf(),
  Where: (inputs, ctx) => [{ ...broadcastOf()(inputs, ctx)[0], dtype: inputs[1]?.dtype ?? inputs[2]?.dtype }],
  Clip: sameShape,
  // Dropout's mask is bool from opset 10 (T before it).
  Dropout: (inputs, ctx) => [{ dtype: inputs[0]?.dtype, dims: inputs[0]?.dims }, { dtype: ctx.opset >= 10 ? 'bool' : undefined, dims: inputs[0]?.dims }],
};

export const elementwiseKernels: KernelDef[] = withShapes([
  ...UNARY.map(unaryKernel),
  ...ARITHMETIC.map(binaryKernel),
  ...VARIADIC.map(({ op, fold, finish }): KernelDef => ({ op, run: (inputs) => [variadic(op, inputs as (Tensor | undefined)[], fold, finish)] })),
  { op: 'Pow', run: (inputs, ctx) => [pow(...legacyOperands(inputs, ctx, 'Pow'))] },
  { op: 'Mod', run: (inputs, ctx) => [mod(tensorInput(inputs, 0, 'Mod'), tensorInput(inputs, 1, 'Mod'), ctx.attrs.int('fmod', 0) === 1)] },
  {
    op: 'BitShift',
    run: (inputs, ctx) => [bitShift(tensorInput(inputs, 0, 'BitShift'), tensorInput(inputs, 1, 'BitShift'), ctx.attrs.string('direction', '') === 'LEFT')],
  },
  {
    op: 'Where',
    run: (inputs) => [broadcastSelect(tensorInput(inputs, 0, 'Where'), tensorInput(inputs, 1, 'Where'), tensorInput(inputs, 2, 'Where'))],
  },
  { op: 'Clip', run: (inputs, ctx) => [clip(inputs, ctx)] },
  { op: 'Dropout', run: (inputs, ctx) => dropout(inputs, ctx) },
], ELEMENTWISE_SHAPES);
