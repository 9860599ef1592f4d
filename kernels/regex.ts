/**
 * RE2 patterns (what ONNX's RegexFullMatch names) as JS RegExps. The syntaxes share the common core; the rows
 * below rewrite RE2-only spellings JS lacks. JS accepts more than RE2 (backreferences, lookaround), so a pattern
 * RE2 would reject may run here; RE2-only features not listed (\C, \Q..\E, inline flags other than a leading
 * (?i)/(?s)/(?m)/(?U) group, possessive-free linear-time guarantees) are rejected or behave as in JS.
 */
import { NeuropodError } from '../src/api/errors.js';

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

/** RE2 spelling -> JS spelling. */
const REWRITES: [RegExp, (m: string, ...groups: string[]) => string][] = [
  [/\(\?P<(\w+)>/g, (_m, name) => `(?<${name}>`],
  [/\\A/g, () => '^'],
  [/\\z/g, () => '$'],
  [/\[:(\^?)(\w+):\]/g, (m, neg, name) => {
    const cls = POSIX_CLASSES[name!];
    if (!cls) return m;
    if (neg) throw new NeuropodError('INFERENCE_FAILED', `regex: negated POSIX class [:^${name}:] is not supported`);
    return cls;
  }],
];

const FLAG_GROUP = /^\(\?([imsU]+)\)/;

/**
 * A RegExp for an RE2 pattern. A full match is anchored with the sticky flag and a lookahead for the end of input
 * rather than ^...$, which (?m) would turn into line anchors. Reset `lastIndex` to 0 before each sticky use.
 */
export function toJsRegExp(pattern: string, fullMatch: boolean): RegExp {
  let body = pattern;
  let flags = 'u';
  const lead = FLAG_GROUP.exec(body);
  if (lead) {
    if (lead[1]!.includes('U')) throw new NeuropodError('INFERENCE_FAILED', `regex: RE2's ungreedy flag (?U) has no JS equivalent`);
    flags += lead[1]!;
    body = body.slice(lead[0].length);
  }
  for (const [from, to] of REWRITES) body = body.replace(from, to as (m: string, ...g: string[]) => string);
  try {
    return fullMatch ? new RegExp(`(?:${body})(?![\\s\\S])`, `${flags}y`) : new RegExp(body, flags);
  } catch (e) {
    throw new NeuropodError('INFERENCE_FAILED', `regex: '${pattern}' is not a pattern this engine can run (${(e as Error).message})`);
  }
}
