/**
 * String operators (ONNX Operators.md): StringNormalizer, StringConcat, StringSplit, RegexFullMatch; and
 * ai.onnx.contrib StringRegexReplace (onnxruntime-extensions' op, what TF's RegexReplace lowers to).
 * Strings are JS strings (UTF-16); case changes use the default locale rules of String.prototype.toLowerCase.
 */
import { NeuropodError } from '../src/api/errors.js';
import { Tensor } from '../src/tensor/tensor.js';
import { tensorInput } from './elements.js';
import { broadcastIndexMap, broadcastShapes } from './indexing.js';
import { toJsRegExp } from './regex.js';
import type { KernelContext, KernelDef, ShapeFn } from './registry.js';
import { broadcastOf, sameAs, withShapes } from './shape-rules.js';

type Inputs = Parameters<KernelDef['run']>[0];

const CASE_CHANGES: Record<string, (s: string) => string> = {
  NONE: (s) => s,
  LOWER: (s) => s.toLowerCase(),
  UPPER: (s) => s.toUpperCase(),
};

/**
 * StringNormalizer: drops elements equal to a stopword (compared ignoring case unless is_case_sensitive), then
 * changes case. Input [C] or [1, C]; when every element is dropped the result is one empty string, [1] or [1, 1].
 */
function stringNormalizer(inputs: Inputs, ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'StringNormalizer');
  if (x.rank > 2 || (x.rank === 2 && x.shape[0] !== 1)) throw new NeuropodError('INFERENCE_FAILED', `StringNormalizer: input must be [C] or [1, C], got [${x.shape.join(', ')}]`);
  const caseChange = CASE_CHANGES[ctx.attrs.string('case_change_action', 'NONE')];
  if (!caseChange) throw new NeuropodError('INFERENCE_FAILED', `StringNormalizer: unknown case_change_action`);
  const sensitive = ctx.attrs.int('is_case_sensitive', 0) === 1;
  const fold = (s: string) => (sensitive ? s : s.toLowerCase());
  const stops = new Set(ctx.attrs.strings('stopwords', []).map(fold));
  const kept = x.strings.filter((s) => !stops.has(fold(s))).map(caseChange);
  const out = kept.length ? kept : [''];
  return new Tensor('string', x.rank === 2 ? [1, out.length] : [out.length], out);
}

function stringConcat(inputs: Inputs): Tensor {
  const a = tensorInput(inputs, 0, 'StringConcat');
  const b = tensorInput(inputs, 1, 'StringConcat');
  const shape = broadcastShapes(a.shape, b.shape);
  const ia = broadcastIndexMap(a.shape, shape);
  const ib = broadcastIndexMap(b.shape, shape);
  return new Tensor('string', shape, Array.from(ia, (i, k) => a.strings[i]! + b.strings[ib[k]!]!));
}

/** Python str.split(): with no separator, runs of whitespace split and ends are stripped; maxsplit caps the splits. */
export function splitString(s: string, delimiter: string, maxsplit: number): string[] {
  if (delimiter) {
    const parts = s.split(delimiter);
    return parts.length - 1 > maxsplit ? [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(delimiter)] : parts;
  }
  const out: string[] = [];
  let rest = s.replace(/^\s+/, '');
  while (rest.length) {
    if (out.length === maxsplit) return [...out, rest];
    const m = /\s+/.exec(rest);
    if (!m) return [...out, rest];
    out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

/** StringSplit (opset 20): Y is input.shape + [most parts], padded with ''; Z the number of parts of each. */
function stringSplit(inputs: Inputs, ctx: KernelContext): Tensor[] {
  const x = tensorInput(inputs, 0, 'StringSplit');
  const delimiter = ctx.attrs.string('delimiter', '');
  const maxsplit = ctx.attrs.int('maxsplit') ?? Infinity;
  const parts = x.strings.map((s) => splitString(s, delimiter, maxsplit));
  const width = Math.max(0, ...parts.map((p) => p.length));
  const y = parts.flatMap((p) => [...p, ...new Array<string>(width - p.length).fill('')]);
  return [new Tensor('string', [...x.shape, width], y), new Tensor('int64', [...x.shape], BigInt64Array.from(parts, (p) => BigInt(p.length)))];
}

/** RegexFullMatch (opset 20): whether each string matches `pattern` as a whole. */
function regexFullMatch(inputs: Inputs, ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'RegexFullMatch');
  const re = toJsRegExp(ctx.attrs.require('pattern', 'string'), true);
  return new Tensor('bool', [...x.shape], Uint8Array.from(x.strings, (s) => {
    re.lastIndex = 0;
    return re.test(s) ? 1 : 0;
  }));
}

/** An RE2 rewrite string as a function of a JS match: \0 to \9 are groups, a doubled backslash is one. */
function rewriter(rewrite: string, op: string): (match: string, ...rest: unknown[]) => string {
  const parts = rewrite.split(/(\\.)/u);
  for (const p of parts) {
    if (p.startsWith('\\') && !/^\\[0-9\\]$/.test(p)) throw new NeuropodError('INFERENCE_FAILED', `${op}: the rewrite '${rewrite}' has '${p}', which RE2 rewrites do not allow (\\0-\\9 or \\\\)`);
  }
  return (match, ...rest) => {
    const groups = [match, ...rest.slice(0, rest.findIndex((r) => typeof r === 'number'))];
    return parts.map((p) => (p === '\\\\' ? '\\' : p.startsWith('\\') ? String(groups[Number(p[1])] ?? '') : p)).join('');
  };
}

/**
 * StringRegexReplace (ai.onnx.contrib, the onnxruntime-extensions op TF's RegexReplace converts to): text,
 * pattern and rewrite; global_replace (default 1) replaces every match, else the first.
 */
function stringRegexReplace(inputs: Inputs, ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'StringRegexReplace');
  const pattern = tensorInput(inputs, 1, 'StringRegexReplace');
  const rewrite = tensorInput(inputs, 2, 'StringRegexReplace');
  if (pattern.size !== 1 || rewrite.size !== 1) throw new NeuropodError('INFERENCE_FAILED', `StringRegexReplace: pattern and rewrite must be single strings`);
  const re = toJsRegExp(pattern.strings[0]!, false);
  const global = ctx.attrs.int('global_replace', 1) === 1;
  const search = new RegExp(re.source, re.flags.replace('y', '') + (global ? 'g' : ''));
  const replace = rewriter(rewrite.strings[0]!, 'StringRegexReplace');
  return new Tensor('string', [...x.shape], x.strings.map((s) => s.replace(search, replace)));
}

/** String ops' shapes: StringSplit adds a last axis as long as the most pieces (data); StringNormalizer may drop stopwords. */
const STRING_SHAPES = {
  StringConcat: broadcastOf('string'),
  RegexFullMatch: sameAs(0, 'bool'),
  'ai.onnx.contrib::StringRegexReplace': sameAs(0, 'string'),
  StringSplit: ((inputs) => [{ dtype: 'string', dims: inputs[0]?.dims ? [...inputs[0].dims, null] : undefined }, { dtype: 'int64', dims: inputs[0]?.dims }]) as ShapeFn,
  StringNormalizer: ((inputs) => [{ dtype: 'string', dims: inputs[0]?.dims?.map((d, i, all) => (i === all.length - 1 ? null : d)) }]) as ShapeFn,
};

export const stringKernels: KernelDef[] = withShapes([
  { op: 'StringNormalizer', run: (inputs, ctx) => [stringNormalizer(inputs, ctx)] },
  { op: 'StringConcat', run: (inputs) => [stringConcat(inputs)] },
  { op: 'StringSplit', run: stringSplit },
  { op: 'RegexFullMatch', run: (inputs, ctx) => [regexFullMatch(inputs, ctx)] },
  { op: 'StringRegexReplace', domain: 'ai.onnx.contrib', since: 1, run: (inputs, ctx) => [stringRegexReplace(inputs, ctx)] },
], STRING_SHAPES);
