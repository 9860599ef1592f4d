import { NeuropodError } from '../src/api/errors.js';
import { DTYPES, dtypeFromOnnx, type DType } from '../src/tensor/dtype.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { ElementSink, isBig, readElements, type Scalar } from './element-loops.js';
import { tensorInput } from './elements.js';
import type { KernelDef, ShapeFn } from './registry.js';
import { INTEGER_DTYPES, withShapes } from './shape-rules.js';
import type { Dim } from '../src/graph/ir.js';

/**
 * Strings that name special values (Cast-13 onwards): "+INF"/"INF", "-INF" and "NaN", matched case-insensitively.
 * Other strings are read as plain or scientific decimal numbers.
 */
export function parseNumber(s: string): number {
  const t = s.trim();
  const u = t.toUpperCase();
  if (u === 'INF' || u === '+INF' || u === 'INFINITY' || u === '+INFINITY') return Infinity;
  if (u === '-INF' || u === '-INFINITY') return -Infinity;
  if (u === 'NAN' || u === '+NAN' || u === '-NAN') return NaN;
  return t === '' ? NaN : Number(t);
}

/** A decimal integer string read exactly; other numeric strings truncated ("100.5" to 100, as Cast's doc allows). */
function parseBigInt(s: string): bigint {
  const t = s.trim();
  if (/^[+-]?\d+$/.test(t)) return BigInt(t);
  return truncate64(parseNumber(t));
}

/**
 * A float as C's printf("%.8g") writes it, which is onnxruntime's float-to-string rule (8 significant digits,
 * as numpy prints float32), with NaN, INF and -INF spelled as Cast's doc spells them.
 */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, expText] = v.toExponential(7).split('e') as [string, string];
  const exp = Number(expText);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);
  if (exp < -4 || exp >= 8) return `${trim(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(v.toFixed(Math.max(0, 7 - exp)));
}

const INDEFINITE_64 = -(1n << 63n);

/**
 * Float to integer as onnxruntime computes it on x86-64, since the spec leaves out-of-range values undefined:
 * truncation toward zero, with NaN and values beyond the converting instruction's range giving its "integer
 * indefinite", -2^31 (32-bit cvttsd2si) or -2^63 (64-bit); narrower targets keep the low bits, as C casts do.
 */
function truncate32(v: number): number {
  const t = Math.trunc(v);
  return t >= -(2 ** 31) && t < 2 ** 31 ? t : -(2 ** 31);
}

function truncate64(v: number): bigint {
  const t = Math.trunc(v);
  return t >= -(2 ** 63) && t < 2 ** 63 ? BigInt(t) : INDEFINITE_64;
}

/** To uint64, values from 2^63 convert offset by 2^63 (the compilers' sequence); NaN takes the signed path. */
function truncateU64(v: number): bigint {
  return BigInt.asUintN(64, v >= 2 ** 63 ? truncate64(v - 2 ** 63) ^ INDEFINITE_64 : truncate64(v));
}

export function floatToInteger(to: DType): (v: number) => Scalar {
  if (to === 'int64') return truncate64;
  if (to === 'uint64') return truncateU64;
  // uint32: values from 2^31 take the 64-bit instruction (low 32 bits kept), the rest the 32-bit one.
  if (to === 'uint32') return (v) => (v >= 2 ** 31 ? Number(BigInt.asUintN(32, truncate64(v))) : truncate32(v));
  return truncate32;
}

/** One element's conversion into the storage form of `to` (before narrow-float / int4 encoding, which the sink does). */
function converter(from: DType, to: DType): (v: Scalar) => Scalar {
  if (to === 'string') {
    if (DTYPES[from].float) return (v) => formatFloat(v as number);
    return (v) => String(v);
  }
  if (to === 'bool') {
    if (from === 'string') return (v) => (parseNumber(v as string) ? 1 : 0);
    return (v) => (v === 0 || v === 0n ? 0 : 1);
  }
  const integer = !DTYPES[to].float && to !== 'int4' && to !== 'uint4';
  const big = isBig(to);
  const wrap = to === 'int64' ? (b: bigint) => BigInt.asIntN(64, b) : (b: bigint) => BigInt.asUintN(64, b);
  if (from === 'string') {
    if (big) return (v) => wrap(parseBigInt(v as string));
    return integer ? (v) => floatToInteger(to)(parseNumber(v as string)) : (v) => parseNumber(v as string);
  }
  if (isBig(from)) {
    if (big) return (v) => wrap(v as bigint);
    // int64 to narrower ints wraps modulo 2^32 first (exact), then the typed-array store wraps the rest.
    return integer ? (v) => Number(BigInt.asIntN(32, v as bigint)) : (v) => Number(v as bigint);
  }
  if (integer && DTYPES[from].float) return floatToInteger(to) as (v: Scalar) => Scalar;
  return big ? (v) => wrap(BigInt(v as number)) : (v) => v;
}

/** int4/uint4 from Cast-25 on: truncated toward zero, then wrapped to 4 bits as other integer casts wrap. */
function wrapTo4Bits(to: DType, v: number): number {
  const u = (((Number.isFinite(v) ? Math.trunc(v) : 0) % 16) + 16) % 16;
  return to === 'int4' && u >= 8 ? u - 16 : u;
}

export interface CastOptions {
  /** Out-of-range values to float8 become the largest finite value (Cast-19 `saturate`, default on). */
  saturate?: boolean;
  /** Opset of the Cast: before 25, int4/uint4 targets round half to even and clamp (the opset-21 reference). */
  opset?: number;
}

/**
 * Cast (all opsets) between every dtype: float to int truncates toward zero; to float8 rounds to nearest even
 * and, with `saturate`, clamps out-of-range values to the largest finite value; strings parse and print as
 * Cast's doc says.
 */
export function castTensor(x: Tensor, to: DType, { saturate = true, opset = 25 }: CastOptions = {}): Tensor {
  if (x.dtype === to) return x;
  const base = converter(x.dtype, to);
  const convert = (to === 'int4' || to === 'uint4') && opset >= 25
    ? (v: Scalar) => wrapTo4Bits(to, typeof v === 'bigint' ? Number(BigInt.asIntN(8, v)) : (base(v) as number))
    : base;
  const v = readElements(x);
  const sink = new ElementSink(to, x.size, saturate);
  for (let i = 0; i < v.length; i++) sink.values[i] = convert(v[i]!);
  return sink.finish(x.shape);
}

function targetOf(code: number): DType {
  const dtype = dtypeFromOnnx(code);
  if (!dtype) throw new NeuropodError('OP_UNSUPPORTED', `Cast to ONNX data type ${code} is not supported`);
  return dtype;
}

// Cast-1 named the type as a string ('FLOAT'); later opsets use the TensorProto enum.
function castTarget(attrs: Parameters<ShapeFn>[1]['attrs']): DType {
  const to = attrs.raw('to');
  return to?.type === 'string' ? targetOf(STRING_NAMES[to.value.toUpperCase()] ?? -1) : targetOf(attrs.require('to', 'int'));
}

/** Integer ranges a cast keeps an element in unchanged (int64/uint64 as far as JS numbers are exact). */
const INTEGER_RANGES: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-(2 ** 31), 2 ** 31 - 1], uint32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** A cast keeps the shape; integer shape vectors keep their elements across integer casts that do not wrap them. */
function castShape(dtype: DType, x: Parameters<ShapeFn>[0][number]): ReturnType<ShapeFn>[number] {
  const range = INTEGER_RANGES[dtype];
  // A symbol is a size: it fits the types that hold any size (int32 and wider), not int8/uint8/int16/uint16.
  const fits = (d: Dim) => range !== undefined && (typeof d === 'string' ? range[1] >= 2 ** 31 - 1 : typeof d === 'number' && d >= range[0] && d <= range[1]);
  const keeps = x?.dtype !== undefined && INTEGER_DTYPES.has(x.dtype) && x.elements?.every(fits);
  return { dtype, dims: x?.dims, elements: keeps ? x?.elements : undefined };
}

const CAST_SHAPES = {
  Cast: ((inputs, ctx) => [castShape(castTarget(ctx.attrs), inputs[0])]) as ShapeFn,
  CastLike: ((inputs) => (inputs[1]?.dtype ? [castShape(inputs[1].dtype, inputs[0])] : [{ dims: inputs[0]?.dims }])) as ShapeFn,
};

export const castKernels: KernelDef[] = withShapes([
  {
    op: 'Cast',
    run(inputs, ctx) {
      const dtype = castTarget(ctx.attrs);
      return [castTensor(tensorInput(inputs, 0, 'Cast'), dtype, { saturate: ctx.attrs.int('saturate', 1) === 1, opset: ctx.opset })];
    },
  },
  {
    op: 'CastLike',
    run(inputs, ctx) {
      const target = tensorInput(inputs, 1, 'CastLike');
      return [castTensor(tensorInput(inputs, 0, 'CastLike'), target.dtype, { saturate: ctx.attrs.int('saturate', 1) === 1, opset: ctx.opset })];
    },
  },
], CAST_SHAPES);

const STRING_NAMES: Record<string, number> = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13,
};
