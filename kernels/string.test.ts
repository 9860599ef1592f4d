import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/tensor/tensor.js';
import { runKernel, type LooseAttribute } from './kernel-harness.js';
import { toJsRegExp } from './regex.js';
import { splitString, stringKernels } from './string.js';

const str = (shape: number[], v: string[]) => new Tensor('string', shape, v);
const run = (op: string, inputs: Tensor[], attrs: Record<string, LooseAttribute> = {}) => runKernel(stringKernels, op, inputs, attrs);

describe('StringNormalizer', () => {
  it('drops stopwords ignoring case, then upper-cases (StringNormalizer doc, monday_insensintive_upper_twodim)', () => {
    const y = run('StringNormalizer', [str([1, 6], ['Monday', 'tuesday', 'wednesday', 'Monday', 'tuesday', 'wednesday'])], {
      case_change_action: 'UPPER', stopwords: { type: 'strings', value: ['monday'] },
    })[0]!;
    expect([y.shape, y.data]).toEqual([[1, 4], ['TUESDAY', 'WEDNESDAY', 'TUESDAY', 'WEDNESDAY']]);
  });
  it('returns one empty string when every element is a stopword (doc: shape [1])', () => {
    const y = run('StringNormalizer', [str([2], ['monday', 'monday'])], { is_case_sensitive: 1, stopwords: { type: 'strings', value: ['monday'] } })[0]!;
    expect([y.shape, y.data]).toEqual([[1], ['']]);
  });
});

describe('StringConcat / StringSplit', () => {
  it('concatenates with broadcasting', () => {
    expect(run('StringConcat', [str([2], ['a', 'b']), str([], ['!'])])[0]!.data).toEqual(['a!', 'b!']);
  });
  it('splits like Python str.split (no delimiter: whitespace runs, ends stripped; maxsplit keeps the rest)', () => {
    expect(splitString('  a b  c ', '', Infinity)).toEqual(['a', 'b', 'c']);
    expect(splitString('  a b  c ', '', 1)).toEqual(['a', 'b  c ']);
    expect(splitString('a,,b', ',', Infinity)).toEqual(['a', '', 'b']);
  });
  it('pads rows to the longest split and counts parts (StringSplit doc, basic)', () => {
    const [y, z] = run('StringSplit', [str([2], ['hello world', 'hello'])], { delimiter: ' ' });
    expect([y!.shape, y!.data]).toEqual([[2, 2], ['hello', 'world', 'hello', '']]);
    expect(z!.data).toEqual(BigInt64Array.of(2n, 1n));
  });
});

describe('RegexFullMatch', () => {
  it('matches whole strings only (RegexFullMatch doc: www\\.[\\w.-]+\\.\\bcom\\b)', () => {
    const y = run('RegexFullMatch', [str([3], ['www.google.com', 'www.facebook.com', 'www.bbc.co.uk'])], { pattern: 'www\\.[\\w.-]+\\.\\bcom\\b' })[0]!;
    expect(Array.from(y.data as Uint8Array)).toEqual([1, 1, 0]);
  });
  it('anchors at the whole input even with (?m), and prefers a full alternative', () => {
    const re = toJsRegExp('(?m)b', true);
    expect(re.test('a\nb')).toBe(false);
    re.lastIndex = 0;
    expect(toJsRegExp('a|ab', true).test('ab')).toBe(true);
  });
  it('rewrites RE2 named groups and POSIX classes', () => {
    expect(toJsRegExp('(?P<d>[[:digit:]]+)', true).test('123')).toBe(true);
  });
});

describe('StringRegexReplace (ai.onnx.contrib)', () => {
  const replace = (x: string[], pattern: string, rewrite: string, global = 1) =>
    run('StringRegexReplace', [str([x.length], x), str([], [pattern]), str([], [rewrite])], { global_replace: global })[0]!.data;
  it('replaces every match, or only the first with global_replace = 0', () => {
    expect(replace(['a1b22c333'], '[0-9]+', '<>')).toEqual(['a<>b<>c<>']);
    expect(replace(['a1b22c333'], '[0-9]+', '<>', 0)).toEqual(['a<>b22c333']);
  });
  it('rewrites with RE2 group references: \\0 the match, \\1 a group, \\\\ a backslash; $ is literal', () => {
    expect(replace(['key=value'], '(\\w+)=(\\w+)', '\\2\\\\\\1 ($ \\0)')).toEqual(['value\\key ($ key=value)']);
  });
  it('an RE2-invalid escape in the rewrite is an error naming it', () => {
    expect(() => replace(['x'], 'x', '\\n')).toThrow(/has '\\n', which RE2 rewrites do not allow/);
  });
});
