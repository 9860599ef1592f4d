import type { DType } from '../src/tensor/dtype.js';
import { floatToBfloat16, floatToHalf } from '../src/tensor/float16.js';

/**
 * Floating-point formats narrower than float32, each described by its bit layout (ONNX docs/technical/float8.md
 * and float4.md). Values are decoded to JS numbers and encoded from them with one rounding, to nearest even.
 */
export interface MinifloatFormat {
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /** How the format spends its special codes: 'ieee' (top exponent = Inf/NaN), 'fn' (only S.1111.111 is NaN),
   *  'fnuz' (0x80 is the only NaN, no -0, no Inf), 'none' (float4e2m1: every code is finite). */
  specials: 'ieee' | 'fn' | 'fnuz' | 'none';
}

export const MINIFLOATS: Readonly<Partial<Record<DType, MinifloatFormat>>> = {
  float16: { exponentBits: 5, mantissaBits: 10, bias: 15, specials: 'ieee' },
  bfloat16: { exponentBits: 8, mantissaBits: 7, bias: 127, specials: 'ieee' },
  float8e4m3fn: { exponentBits: 4, mantissaBits: 3, bias: 7, specials: 'fn' },
  float8e4m3fnuz: { exponentBits: 4, mantissaBits: 3, bias: 8, specials: 'fnuz' },
  float8e5m2: { exponentBits: 5, mantissaBits: 2, bias: 15, specials: 'ieee' },
  float8e5m2fnuz: { exponentBits: 5, mantissaBits: 2, bias: 16, specials: 'fnuz' },
  float4e2m1: { exponentBits: 2, mantissaBits: 1, bias: 1, specials: 'none' },
};

export function isMinifloat(dtype: DType): boolean {
  return MINIFLOATS[dtype] !== undefined;
}

function formatOf(dtype: DType): MinifloatFormat {
  const f = MINIFLOATS[dtype];
  if (!f) throw new Error(`${dtype} is not a narrow float format`);
  return f;
}

/** The value of one code. */
export function decodeMinifloat(bits: number, f: MinifloatFormat): number {
  const m = f.mantissaBits;
  const topExp = (1 << f.exponentBits) - 1;
  const signBit = 1 << (f.exponentBits + m);
  if (f.specials === 'fnuz' && bits === signBit) return NaN;
  const sign = bits & signBit ? -1 : 1;
  const exp = (bits >> m) & topExp;
  const mant = bits & ((1 << m) - 1);
  if (f.specials === 'ieee' && exp === topExp) return mant ? NaN : sign * Infinity;
  if (f.specials === 'fn' && exp === topExp && mant === (1 << m) - 1) return NaN;
  if (exp === 0) return sign * mant * 2 ** (1 - f.bias - m);
  return sign * (1 + mant / 2 ** m) * 2 ** (exp - f.bias);
}

/** The largest finite value of a format. */
export function maxFinite(f: MinifloatFormat): number {
  const m = f.mantissaBits;
  const topExp = (1 << f.exponentBits) - 1;
  const code = f.specials === 'ieee' ? ((topExp - 1) << m) | ((1 << m) - 1)
    : f.specials === 'fn' ? (topExp << m) | ((1 << m) - 2)
      : (topExp << m) | ((1 << m) - 1);
  return decodeMinifloat(code, f);
}

function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/** Round half to even (ONNX Round; numpy.rint). */
export function roundHalfToEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function nanCode(f: MinifloatFormat, negative: boolean): number {
  const signBit = 1 << (f.exponentBits + f.mantissaBits);
  const topExp = (1 << f.exponentBits) - 1;
  if (f.specials === 'fnuz') return signBit;
  if (f.specials === 'fn') return (negative ? signBit : 0) | (topExp << f.mantissaBits) | ((1 << f.mantissaBits) - 1);
  // A quiet NaN: top exponent, top mantissa bit.
  return (negative ? signBit : 0) | (topExp << f.mantissaBits) | (1 << (f.mantissaBits - 1));
}

/**
 * The code of `value` rounded to nearest even. Out of range (after rounding) and infinities follow ONNX Cast
 * (opset 19+): with `saturate` they become the largest finite value of that sign; without it they become Inf
 * where the format has one, NaN otherwise. float4e2m1 has neither and always saturates; NaN becomes its
 * largest magnitude (the ONNX reference maps NaN to 0x7).
 */
export function encodeMinifloat(value: number, f: MinifloatFormat, saturate: boolean): number {
  const m = f.mantissaBits;
  const signBit = 1 << (f.exponentBits + m);
  const negative = value < 0 || Object.is(value, -0);
  const sign = negative ? signBit : 0;
  const topExp = (1 << f.exponentBits) - 1;
  const max = maxFinite(f);
  if (Number.isNaN(value)) return f.specials === 'none' ? signBit : nanCode(f, negative);
  const a = Math.abs(value);
  const overflow = (): number => {
    if (saturate || f.specials === 'none') return sign | encodeMinifloat(max, f, true);
    if (f.specials === 'ieee') return sign | (topExp << m);
    return nanCode(f, negative);
  };
  if (a === Infinity) return overflow();
  if (a === 0) return f.specials === 'fnuz' ? 0 : sign;
  const minNormalExp = 1 - f.bias;
  const e = Math.max(floorLog2(a), minNormalExp);
  let r = roundHalfToEven(a / 2 ** (e - m));
  if (r * 2 ** (e - m) > max) return overflow();
  if (r === 0) return f.specials === 'fnuz' ? 0 : sign;
  if (e === minNormalExp && r < 2 ** m) return sign | r;
  let biased = e + f.bias;
  if (r === 2 ** (m + 1)) {
    r = 2 ** m;
    biased++;
  }
  return sign | (biased << m) | (r - 2 ** m);
}

const tables = new Map<DType, Float64Array>();

/** Every code's value, for formats of at most 16 bits (built on first use). */
function decodeTable(dtype: DType): Float64Array {
  let t = tables.get(dtype);
  if (!t) {
    const f = formatOf(dtype);
    t = new Float64Array(2 ** (1 + f.exponentBits + f.mantissaBits));
    for (let i = 0; i < t.length; i++) t[i] = decodeMinifloat(i, f);
    tables.set(dtype, t);
  }
  return t;
}

/** Raw codes (Uint8Array / Uint16Array storage) to values. */
export function decodeMinifloats(dtype: DType, codes: ArrayLike<number>): Float64Array {
  const table = decodeTable(dtype);
  const mask = table.length - 1;
  const out = new Float64Array(codes.length);
  for (let i = 0; i < out.length; i++) out[i] = table[codes[i]! & mask]!;
  return out;
}

/** Values to raw codes in `dtype`'s storage. float16/bfloat16 take a fast path for values already float32. */
export function encodeMinifloats(dtype: DType, values: ArrayLike<number>, saturate = true): Uint8Array | Uint16Array {
  const f = formatOf(dtype);
  const out = f.exponentBits + f.mantissaBits >= 15 ? new Uint16Array(values.length) : new Uint8Array(values.length);
  const fast = dtype === 'float16' ? floatToHalf : dtype === 'bfloat16' ? floatToBfloat16 : undefined;
  // `saturate` is a float8 notion (Cast opset 19); float16 and bfloat16 overflow to Inf as IEEE formats do.
  const sat = saturate && dtype.startsWith('float8');
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = fast && Math.fround(v) === v ? fast(v) : encodeMinifloat(v, f, sat);
  }
  return out;
}
