import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor/tensor.js';
import { compareOutputs, positionOf } from './compare.js';
import { formatReport } from './format-report.js';

const f32 = (values: number[], shape = [values.length]) => tensor(Float32Array.from(values), shape);

describe('compareOutputs', () => {
  it('passes floats within atol + rtol * |expected| and reports the largest errors', () => {
    const report = compareOutputs({ y: f32([1.0001, 2, -3]) }, { y: f32([1, 2, -3.0002]) }, { rtol: 2e-4, atol: 0 });
    const y = report.outputs[0]!;
    expect(report.pass).toBe(true);
    expect(y.status).toBe('match');
    expect(y.comparison).toBe('tolerance');
    // float32 rounding: |1.0001f - 1| = 1.000165939331054e-4, |-3 - -3.0002f| = 2.000331878662109e-4.
    expect(y.maxAbsError).toBeCloseTo(2.000331878662109e-4, 12);
    expect(y.maxRelError).toBeCloseTo(1.000165939331054e-4, 12);
    expect(y.mismatched).toBe(0);
  });

  it('fails an element past its tolerance and names it by flat and per-axis index', () => {
    const expected = f32([0, 1, 2, 3, 4, 5], [2, 3]);
    const actual = f32([0, 1, 2, 3, 4.5, 5], [2, 3]);
    const report = compareOutputs({ out: actual }, { out: expected }, { rtol: 1e-3, atol: 1e-3 });
    const out = report.outputs[0]!;
    expect(report.pass).toBe(false);
    expect(out.mismatched).toBe(1);
    expect(out.worst).toEqual({ index: 4, position: [1, 1], actual: 4.5, expected: 4, absError: 0.5, relError: 0.125, tolerance: 1e-3 + 1e-3 * 4 });
  });

  it('matches NaN only where NaN is expected, and infinities only with the same sign', () => {
    const ok = compareOutputs({ y: f32([NaN, Infinity, -Infinity]) }, { y: f32([NaN, Infinity, -Infinity]) });
    expect(ok.pass).toBe(true);
    const bad = compareOutputs({ y: f32([NaN, -Infinity, 1]) }, { y: f32([0.5, Infinity, NaN]) }).outputs[0]!;
    expect(bad.mismatched).toBe(3);
    expect(bad.maxAbsError).toBe(Infinity);
    expect(bad.worst!.index).toBe(0);
  });

  it('compares integers exactly, int64 beyond 2^53 included', () => {
    const big = 2n ** 60n;
    const report = compareOutputs({ ids: tensor(BigInt64Array.from([1n, big + 1n]), [2]) }, { ids: tensor(BigInt64Array.from([1n, big]), [2]) }, { rtol: 1, atol: 10 });
    const ids = report.outputs[0]!;
    expect(ids.comparison).toBe('exact');
    expect(ids.pass).toBe(false);
    expect(ids.worst).toMatchObject({ index: 1, actual: '1152921504606846977', expected: '1152921504606846976', absError: 1 });
  });

  it('compares strings exactly', () => {
    const report = compareOutputs({ s: tensor(['a', 'b'], [2], 'string') }, { s: tensor(['a', 'c'], [2], 'string') });
    expect(report.outputs[0]).toMatchObject({ pass: false, comparison: 'exact', mismatched: 1, worst: { index: 1, actual: 'b', expected: 'c' } });
  });

  it('fails on dtype and shape mismatches and on missing and extra outputs', () => {
    const report = compareOutputs(
      { a: f32([1, 2]), b: f32([1, 2], [1, 2]), extra: f32([0]) },
      { a: tensor(Float64Array.from([1, 2]), [2]), b: f32([1, 2], [2, 1]), gone: f32([1]) },
    );
    expect(report.outputs.map((o) => [o.name, o.status, o.reason])).toEqual([
      ['a', 'dtype', 'dtype float32, expected float64'],
      ['b', 'shape', 'shape [1, 2], expected [2, 1]'],
      ['gone', 'missing', 'expected, but not among the actual outputs'],
      ['extra', 'extra', 'produced, but not among the expected outputs'],
    ]);
    expect(report.pass).toBe(false);
  });

  it("'allclose' is numpy.allclose(expected, actual): any numeric dtypes, tolerance relative to actual, extras ignored", () => {
    const report = compareOutputs(
      { out: f32([0, 2, 4]), unused: f32([9]) },
      { out: tensor(BigInt64Array.from([0n, 2n, 4n]), [3]) },
      { semantics: 'allclose' },
    );
    expect(report.pass).toBe(true);
    expect(report.outputs.map((o) => o.name)).toEqual(['out']);
    // numpy 2.4: np.allclose(np.array([100.0]), np.array([100.001]), rtol=1e-5, atol=0) is True (relative to the
    // second argument, the actual output); the same pair under 'strict' (relative to expected) fails.
    const pair = [{ y: tensor(Float64Array.from([100.001]), [1]) }, { y: tensor(Float64Array.from([100]), [1]) }] as const;
    expect(compareOutputs(...pair, { semantics: 'allclose', rtol: 1e-5, atol: 0 }).pass).toBe(true);
    expect(compareOutputs(...pair, { semantics: 'strict', rtol: 1e-5, atol: 0 }).pass).toBe(false);
    const nan = compareOutputs({ y: f32([NaN]) }, { y: f32([NaN]) }, { semantics: 'allclose' });
    expect(nan.pass).toBe(false);
  });

  it('takes plain {dtype, shape, data} objects and Maps', () => {
    const report = compareOutputs(new Map([['y', { dtype: 'int32', shape: [2], data: [1, 2] }]]), { y: { dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) } });
    expect(report.pass).toBe(true);
  });

  it('rejects a negative tolerance and a value that is not a tensor', () => {
    expect(() => compareOutputs({}, {}, { rtol: -1 })).toThrow(/rtol must be a number >= 0/);
    expect(() => compareOutputs({ y: 3 as never }, {})).toThrow(/actual 'y' is not a tensor/);
  });
});

describe('positionOf', () => {
  it('turns a flat row-major index into one index per axis', () => {
    expect(positionOf(23, [2, 3, 4])).toEqual([1, 2, 3]);
    expect(positionOf(0, [])).toEqual([]);
  });
});

describe('formatReport', () => {
  it('names the failing output, its worst element, both values and the tolerance', () => {
    const report = compareOutputs({ probs: f32([0.1, 0.7, 0.2], [1, 3]), ok: f32([1]) }, { probs: f32([0.1, 0.6, 0.2], [1, 3]), ok: f32([1]) }, { rtol: 1e-3, atol: 1e-4 });
    expect(formatReport(report)).toBe(
      [
        'FAIL: 1 of 2 outputs differ (strict, rtol 0.001, atol 0.0001)',
        '  FAIL  probs  float32[1,3]  1 of 3 elements out of tolerance; max abs 0.1, max rel 0.166667',
        '        worst at [0,1] (flat 1): actual 0.7, expected 0.6, |diff| 0.1 > tolerance 0.0007 = atol 0.0001 + rtol 0.001 * |expected|',
        '  ok    ok     float32[1]  max abs 0, max rel 0',
      ].join('\n'),
    );
  });

  it('says PASS with the settings when everything matches', () => {
    expect(formatReport(compareOutputs({ s: tensor(['x'], [1], 'string') }, { s: tensor(['x'], [1], 'string') }))).toBe(
      'PASS: 1 output match (strict, rtol 0.00001, atol 1e-8)\n  ok    s  string[1]  compared exactly',
    );
  });
});
