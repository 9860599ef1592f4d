/**
 * The 8-bit and 4-bit float formats of ONNX (docs/Float8.md, Float4.md): raw bits <-> numbers. Encoding rounds to
 * nearest even; `saturate` follows the QuantizeLinear/Cast table (out of range -> +-max, or Inf/NaN when false).
 */
import type { DType } from '../src/tensor/dtype.js';

interface MiniFloat {
  exponentBits: number;
  mantissaBits: number;
  bias: number;
  /** 'ieee': all-ones exponent is Inf/NaN; 'fn': only S.1111.111 is NaN; 'fnuz': 0x80 is NaN, no -0; 'none': no NaN. */
  special: 'ieee' | 'fn' | 'fnuz' | 'none';
}

const FORMATS: Partial<Record<DType, MiniFloat>> = {
  float8e4m3fn: { exponentBits: 4, mantissaBits: 3, bias: 7, special: 'fn' },
  float8e4m3fnuz: { exponentBits: 4, mantissaBits: 3, bias: 8, special: 'fnuz' },
  float8e5m2: { exponentBits: 5, mantissaBits: 2, bias: 15, special: 'ieee' },
  float8e5m2fnuz: { exponentBits: 5, mantissaBits: 2, bias: 16, special: 'fnuz' },
  float4e2m1: { exponentBits: 2, mantissaBits: 1, bias: 1, special: 'none' },
};

export function isMiniFloat(dtype: DType): boolean {
  return FORMATS[dtype] !== undefined;
}

function format(dtype: DType): MiniFloat {
  const f = FORMATS[dtype];
  if (!f) throw new Error(`${dtype} is not a float8/float4 type`);
  return f;
}

function decodeWith(f: MiniFloat, bits: number): number {
  const signBit = 1 << (f.exponentBits + f.mantissaBits);
  const expMax = (1 << f.exponentBits) - 1;
  const mantMax = (1 << f.mantissaBits) - 1;
  const sign = bits & signBit ? -1 : 1;
  const exp = (bits >> f.mantissaBits) & expMax;
  const mant = bits & mantMax;
  if (f.special === 'fnuz' && bits === signBit) return NaN;
  if (f.special === 'fn' && exp === expMax && mant === mantMax) return NaN;
  if (f.special === 'ieee' && exp === expMax) return mant ? NaN : sign * Infinity;
  if (exp === 0) return sign * mant * 2 ** (1 - f.bias - f.mantissaBits);
  return sign * (1 + mant / (mantMax + 1)) * 2 ** (exp - f.bias);
}

/** Finite non-negative values by code, ascending (positive codes are ordered by value in every format). */
const positiveCodes = new Map<DType, number[]>();

function codesOf(dtype: DType): number[] {
  let codes = positiveCodes.get(dtype);
  if (!codes) {
    const f = format(dtype);
    const n = 1 << (f.exponentBits + f.mantissaBits);
    codes = [];
    for (let c = 0; c < n; c++) {
      const v = decodeWith(f, c);
      if (!Number.isFinite(v)) break;
      codes.push(v);
    }
    positiveCodes.set(dtype, codes);
  }
  return codes;
}

export function decodeMiniFloat(dtype: DType, bits: number): number {
  return decodeWith(format(dtype), bits);
}

export function encodeMiniFloat(dtype: DType, value: number, saturate = true): number {
  const f = format(dtype);
  const signBit = 1 << (f.exponentBits + f.mantissaBits);
  const nan = f.special === 'fnuz' ? signBit : f.special === 'none' ? signBit - 1 : signBit - 1;
  const codes = codesOf(dtype);
  const max = codes.length - 1;
  const sign = value < 0 || Object.is(value, -0) ? signBit : 0;
  if (Number.isNaN(value)) return nan;
  const a = Math.abs(value);
  const overflow = (): number => {
    if (saturate || f.special === 'none') return sign | max;
    return f.special === 'ieee' ? sign | (max + 1) : nan;
  };
  if (a === Infinity) return saturate && f.special !== 'fnuz' ? sign | max : f.special === 'ieee' ? sign | (max + 1) : f.special === 'none' ? sign | max : nan;
  let code: number;
  if (a > codes[max]!) {
    // Past max, round as if the exponent went on: values within half an ulp of max still round to max.
    const ulp = codes[max]! - codes[max - 1]!;
    code = a < codes[max]! + ulp / 2 || (a === codes[max]! + ulp / 2 && (max & 1) === 0) ? max : -1;
  } else {
    let lo = 0;
    let hi = max;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (codes[mid]! <= a) lo = mid;
      else hi = mid;
    }
    const dLo = a - codes[lo]!;
    const dHi = codes[hi]! - a;
    code = dLo < dHi || (dLo === dHi && (lo & 1) === 0) ? lo : hi;
  }
  if (code < 0) return overflow();
  if (code === 0 && f.special === 'fnuz') return 0;
  return sign | code;
}
