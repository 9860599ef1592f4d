import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor/tensor.js';
import { outputMatchers, toMatchOutputs, type OutputMatchers } from './output-matcher.js';

expect.extend(outputMatchers);
declare module 'vitest' {
  interface Matchers<T = any> extends OutputMatchers<T> {}
}

const server = { logits: tensor(Float32Array.from([0.25, -1.5, 3]), [1, 3]) };

describe('toMatchOutputs', () => {
  it('passes outputs within tolerance through expect.extend', () => {
    expect({ logits: tensor(Float32Array.from([0.25001, -1.5, 3]), [1, 3]) }).toMatchOutputs(server, { rtol: 1e-4, atol: 1e-6 });
  });

  it('fails a perturbed output with the report: the output, its worst element and the tolerance', () => {
    const perturbed = { logits: tensor(Float32Array.from([0.25, -1.5, 3.01]), [1, 3]) };
    expect(() => expect(perturbed).toMatchOutputs(server, { rtol: 1e-4, atol: 1e-6 })).toThrow(
      [
        'FAIL: 1 of 1 outputs differ (strict, rtol 0.0001, atol 0.000001)',
        '  FAIL  logits  float32[1,3]  1 of 3 elements out of tolerance; max abs 0.00999999, max rel 0.00333333',
        '        worst at [0,2] (flat 2): actual 3.01, expected 3, |diff| 0.00999999 > tolerance 0.000301 = atol 0.000001 + rtol 0.0001 * |expected|',
      ].join('\n'),
    );
  });

  it('returns {pass, message} as the expect.extend protocol asks, and words the .not case', () => {
    const result = toMatchOutputs.call({ isNot: true }, server, server);
    expect(result.pass).toBe(true);
    expect(result.message()).toMatch(/^expected the outputs not to match, but they do:\nPASS: 1 output match/);
    expect(() => expect(server).not.toMatchOutputs(server)).toThrow(/expected the outputs not to match/);
  });
});
