import { describe, expect, it } from 'vitest';
import { type DType } from '../src/tensor/dtype.js';
import { Tensor } from '../src/tensor/tensor.js';
import { castKernels, castTensor, formatFloat, parseNumber } from './cast.js';
import { f32, numbers, runKernel } from './kernel-harness.js';

const f64 = (v: number[]) => new Tensor('float64', [v.length], Float64Array.from(v));
const codes = (x: Tensor, to: DType, opts = {}) => [...(castTensor(x, to, opts).data as Uint8Array | Uint16Array | Int8Array)];

describe('casts to narrow floats', () => {
  it('float8e4m3fn saturates to 448 (0x7E) by default and gives NaN (0x7F) without saturate (Cast-19 table)', () => {
    const x = f32([3], [1000, -1000, Infinity]);
    expect(codes(x, 'float8e4m3fn')).toEqual([0x7e, 0xfe, 0x7e]);
    expect(codes(x, 'float8e4m3fn', { saturate: false })).toEqual([0x7f, 0xff, 0x7f]);
  });

  it('rounds to nearest even before the range check (460 -> 448; 470 -> 480, out of range, NaN)', () => {
    expect(codes(f32([2], [460, 470]), 'float8e4m3fn', { saturate: false })).toEqual([0x7e, 0x7f]);
    // 1.0625 lies halfway between 1 and 1.125 (-> even 1.0); 1.1875 between 1.125 and 1.25 (-> even 1.25).
    expect(codes(f32([2], [1.0625, 1.1875]), 'float8e4m3fn')).toEqual([0x38, 0x3a]);
  });

  it('float8e5m2 keeps Inf without saturate and saturates to 57344 (0x7B) with it', () => {
    const x = f32([2], [Infinity, 61440]);
    expect(codes(x, 'float8e5m2', { saturate: false })).toEqual([0x7c, 0x7c]);
    expect(codes(x, 'float8e5m2')).toEqual([0x7b, 0x7b]);
  });

  it('fnuz formats have no -0 and one NaN, 0x80 (float8e4m3fnuz max 240 = 0x7F)', () => {
    expect(codes(f32([3], [-0, NaN, 240]), 'float8e4m3fnuz')).toEqual([0x00, 0x80, 0x7f]);
  });

  it('float4e2m1 rounds to {0, .5, 1, 1.5, 2, 3, 4, 6}, ties to even, and saturates (float4 doc)', () => {
    expect(codes(f32([4], [2.6, 5, 100, -0.25]), 'float4e2m1')).toEqual([0x5, 0x6, 0x7, 0x8]);
  });

  it('rounds float64 to float16 once (1 + 2^-11 + 2^-40 -> 0x3C01; through float32 it would tie to 0x3C00)', () => {
    expect(codes(f64([1 + 2 ** -11 + 2 ** -40]), 'float16')).toEqual([0x3c01]);
  });

  it('rounds float32 to bfloat16 to nearest even (1/3 = 0x3EAAAAAB -> 0x3EAB)', () => {
    expect(codes(f32([1], [1 / 3]), 'bfloat16')).toEqual([0x3eab]);
  });

  it('decodes float8 back exactly (0x7E as float8e4m3fn is 448)', () => {
    expect(numbers(castTensor(new Tensor('float8e4m3fn', [1], Uint8Array.of(0x7e)), 'float32'))).toEqual([448]);
  });
});

describe('casts between integers and floats', () => {
  it('truncates floats toward zero and keeps the low bits like C (-1.7 -> -1, 1.7 -> 1, 300.5 -> 44 in int8; NaN -> 0)', () => {
    expect(numbers(castTensor(f32([4], [-1.7, 1.7, 300.5, NaN]), 'int8'))).toEqual([-1, 1, 44, 0]);
  });

  it('gives out-of-range floats and NaN the x86 "integer indefinite", as onnxruntime-node 1.30 does (measured)', () => {
    expect(numbers(castTensor(f32([4], [-1.7, 3e9, NaN, Infinity]), 'int32'))).toEqual([-1, -2147483648, -2147483648, -2147483648]);
    expect([...(castTensor(f32([2], [3e19, NaN]), 'int64').data as BigInt64Array)]).toEqual([-(2n ** 63n), -(2n ** 63n)]);
    expect([...(castTensor(f32([3], [-1, 1e19, 3e19]), 'uint64').data as BigUint64Array)]).toEqual([2n ** 64n - 1n, 9999999980506447872n, 0n]);
    expect(numbers(castTensor(f32([3], [-3e9, NaN, 5e9]), 'uint32'))).toEqual([2147483648, 2147483648, 705032704]);
  });

  it('wraps int64 to int32 (2^32 + 5 -> 5) and widens exactly', () => {
    expect(numbers(castTensor(new Tensor('int64', [1], BigInt64Array.of(2n ** 32n + 5n)), 'int32'))).toEqual([5]);
    expect([...(castTensor(new Tensor('int32', [1], Int32Array.of(-7)), 'int64').data as BigInt64Array)]).toEqual([-7n]);
  });

  it('casts any nonzero (NaN included) to true', () => {
    expect(numbers(castTensor(f32([3], [0, NaN, -2]), 'bool'))).toEqual([0, 1, 1]);
  });

  it('int4 rounds half to even and clamps before opset 25, truncates and wraps from 25 (test_cast_FLOAT_to_INT4)', () => {
    const x = f32([4], [7.5, -9, 2.5, 8]);
    expect(codes(x, 'int4', { opset: 21 })).toEqual([7, -8, 2, 7]);
    expect(codes(x, 'int4', { opset: 25 })).toEqual([7, 7, 2, -8]);
    expect(codes(f32([1], [-1]), 'uint4', { opset: 25 })).toEqual([15]);
  });
});

describe('casts with strings', () => {
  it('parses INF, -INF and NaN in any case, and scientific notation (Cast doc)', () => {
    expect(['INF', '+inf', '-Inf', 'NaN', '1e-5', '100.5'].map(parseNumber)).toEqual([Infinity, Infinity, -Infinity, NaN, 1e-5, 100.5]);
  });

  it('parses int64 strings exactly and truncates decimals ("100.5" -> 100, Cast doc)', () => {
    const y = castTensor(new Tensor('string', [2], ['9007199254740993', '100.5']), 'int64');
    expect([...(y.data as BigInt64Array)]).toEqual([9007199254740993n, 100n]);
  });

  it('prints floats as printf %.8g, with NaN, INF and -INF', () => {
    const y = castTensor(f32([7], [Math.PI, 1e20, 0.001, 1e-5, NaN, -Infinity, 100]), 'string');
    expect(y.data).toEqual(['3.1415927', '1e+20', '0.001', '9.9999997e-06', 'NaN', '-INF', '100']);
    expect(formatFloat(0.5)).toBe('0.5');
  });
});

describe('Cast and CastLike kernels', () => {
  it('Cast-1 names the target type as a string', () => {
    const y = runKernel(castKernels, 'Cast', [new Tensor('int32', [1], Int32Array.of(3))], { to: 'FLOAT' }, 1)[0]!;
    expect(y.dtype).toBe('float32');
  });

  it('Cast reads the TensorProto enum and CastLike takes the dtype of its second input', () => {
    expect(runKernel(castKernels, 'Cast', [f32([1], [2.5])], { to: 7 })[0]!.dtype).toBe('int64');
    const like = runKernel(castKernels, 'CastLike', [f32([1], [2.5]), new Tensor('float16', [0], new Uint16Array(0))])[0]!;
    expect(like.dtype).toBe('float16');
    expect([...(like.data as Uint16Array)]).toEqual([0x4100]);
  });
});
