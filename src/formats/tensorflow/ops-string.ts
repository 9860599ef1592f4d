import { NeuropodError } from '../../api/errors.js';
import type { AttributeValue } from '../../graph/ir.js';
import { DTYPES } from '../../tensor/dtype.js';
import { ir } from './attr.js';
import type { NodeLowering } from './builder.js';

type Lowering = (n: NodeLowering) => void;

/** The domain of string ops ONNX lacks (onnxruntime-extensions' names and signatures). */
export const CONTRIB_DOMAIN = 'ai.onnx.contrib';

const int64 = { to: ir.int(DTYPES.int64.onnx) };

function constantString(n: NodeLowering, i: number, what: string): string {
  const c = n.requireConstant(i, what);
  if (c.dtype !== 'string' || c.size !== 1) throw new NeuropodError('MODEL_INVALID', `${n.where}: its ${what} (input ${i}) must be one string`);
  return c.strings[0]!;
}

/**
 * ONNX StringSplit gives a padded [N, most] matrix and the count of each row; TF gives the tokens sparse:
 * indices [M, 2] (row, position), values [M] and dense_shape [N, most]. `skipEmpty` also drops empty tokens,
 * and the ones left in a row are numbered again from 0 (a running count along the row).
 */
function sparseTokens(n: NodeLowering, attrs: { delimiter?: string; maxsplit?: number }, skipEmpty: boolean): void {
  const splitAttrs: Record<string, AttributeValue> = {};
  if (attrs.delimiter) splitAttrs.delimiter = ir.string(attrs.delimiter);
  if (attrs.maxsplit !== undefined && attrs.maxsplit >= 0) splitAttrs.maxsplit = ir.int(attrs.maxsplit);
  const [tokens, counts] = n.emit('StringSplit', [n.input(0)], splitAttrs, 2) as [string, string];
  const shape = n.op('Shape', [tokens]);
  const width = n.op('Gather', [shape, n.int64s([1], [])], { axis: ir.int(0) });
  const positions = n.op('Range', [n.int64s([0], []), width, n.int64s([1], [])]);
  let live = n.op('Less', [positions, n.op('Unsqueeze', [counts, n.int64s([1])])]);
  if (!skipEmpty) {
    const indices = n.emit('Transpose', [n.op('NonZero', [live])], { perm: ir.ints([1, 0]) }, [n.output(0)])[0]!;
    n.emit('GatherND', [tokens, indices], {}, [n.output(1)]);
    n.produce(2, shape);
    return;
  }
  live = n.op('And', [live, n.op('Not', [n.op('Equal', [tokens, n.scalar('', 'string')])])]);
  const at = n.op('Transpose', [n.op('NonZero', [live])], { perm: ir.ints([1, 0]) });
  const liveCount = n.op('Cast', [live], int64);
  const renumbered = n.op('Sub', [n.op('CumSum', [liveCount, n.int64s([1], [])]), n.int64s([1], [])]);
  const rowOf = n.op('Slice', [at, n.int64s([0]), n.int64s([1]), n.int64s([1])]);
  const columnOf = n.op('Unsqueeze', [n.op('GatherND', [renumbered, at]), n.int64s([1])]);
  n.emit('Concat', [rowOf, columnOf], { axis: ir.int(1) }, [n.output(0)]);
  n.emit('GatherND', [tokens, at], {}, [n.output(1)]);
  const perRow = n.op('ReduceSum', [liveCount, n.int64s([1])], { keepdims: ir.int(0) });
  const most = n.op('ReduceMax', [n.op('Concat', [perRow, n.int64s([0])], { axis: ir.int(0) })], { keepdims: ir.int(1) });
  const rows = n.op('Slice', [shape, n.int64s([0]), n.int64s([1]), n.int64s([0])]);
  n.emit('Concat', [rows, most], { axis: ir.int(0) }, [n.output(2)]);
}

/**
 * StringSplitV2(input, sep, maxsplit): Python's str.split, as ONNX StringSplit is (an empty sep splits on runs
 * of whitespace and strips the ends).
 */
function stringSplitV2(n: NodeLowering): void {
  sparseTokens(n, { delimiter: constantString(n, 1, 'separator'), maxsplit: n.attrs.int('maxsplit', -1) }, false);
}

/**
 * StringSplit (v1): each character of `delimiter` splits, and skip_empty (default true) drops empty tokens; a
 * single-character delimiter is ONNX StringSplit on it. A set of several characters (or none) is not lowered.
 */
function stringSplitV1(n: NodeLowering): void {
  const delimiter = constantString(n, 1, 'delimiter');
  if ([...delimiter].length !== 1) {
    throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: a delimiter of ${[...delimiter].length} characters ('${delimiter}') splits on each of them in TF; only a single character is lowered`);
  }
  sparseTokens(n, { delimiter }, n.attrs.bool('skip_empty', true));
}

function regexReplace(n: NodeLowering, pattern: string, rewrite: string, global: boolean): void {
  n.emit('StringRegexReplace', [n.input(0), pattern, rewrite], { global_replace: ir.int(global ? 1 : 0) }, [n.output(0)], CONTRIB_DOMAIN);
}

export const STRING_OPS: Record<string, Lowering> = {
  StringSplitV2: stringSplitV2,
  StringSplit: stringSplitV1,
  RegexReplace: (n) => regexReplace(n, n.input(1), n.input(2), n.attrs.bool('replace_global', true)),
  StaticRegexReplace: (n) =>
    regexReplace(n, n.scalar(n.attrs.string('pattern'), 'string'), n.scalar(n.attrs.string('rewrite'), 'string'), n.attrs.bool('replace_global', true)),
  StaticRegexFullMatch: (n) => n.emit('RegexFullMatch', [n.input(0)], { pattern: ir.string(n.attrs.string('pattern')) }, [n.output(0)]),
  RegexFullMatch: (n) => n.emit('RegexFullMatch', [n.input(0)], { pattern: ir.string(constantString(n, 1, 'pattern')) }, [n.output(0)]),
};

