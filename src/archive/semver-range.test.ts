import { describe, expect, it } from 'vitest';
import { isSemverRange } from './semver-range.js';

// Ranges from the npm semver documentation (docs.npmjs.com, "Ranges" and "Advanced Range Syntax").
const VALID = [
  '*', '', '1.2.3', '=1.2.3', 'v1.2.3', '>=1.2.7', '>=1.2.7 <1.3.0', '1.2.7 || >=1.2.9 <2.0.0', '>1.2.3-alpha.3',
  '1.2.3 - 2.3.4', '1.2 - 2.3.4', '1.x', '1.X', '1.*', '1', '1.2', 'x', '~1.2.3', '~1.2', '~1', '~0.2.3', '~1.2.3-beta.2',
  '^1.2.3', '^0.2.3', '^0.0.3', '^1.2.3-beta.2', '^1.2.x', '^0.0.x', '^1.x', '>= 1.2.3', '1.2.3+build.5', '~>1.2',
  '1.13.1', '>=2.0 <3.0',
];
const INVALID = ['not a range', '1.2.3.4', '>>1.2.3', '01.2.3', '1.2.3-', '^', 'latest', '1.2.3 -', '=>1.2.3', '1.2.3 || junk'];

describe('isSemverRange', () => {
  it.each(VALID)('accepts %j', (range) => {
    expect(isSemverRange(range)).toBe(true);
  });

  it.each(INVALID)('rejects %j', (range) => {
    expect(isSemverRange(range)).toBe(false);
  });
});
