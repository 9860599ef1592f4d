import { NeuropodError } from '../api/errors.js';
import { bfloat16ToFloat, halfToFloat } from '../tensor/float16.js';

/** Anything shaped like a tensor: a Tensor, or plain data from a server, a page or a file. */
export interface TensorLike {
  dtype: string;
  shape: readonly number[];
  data: ArrayLike<unknown>;
}

export type TensorMap = Readonly<Record<string, TensorLike>> | ReadonlyMap<string, TensorLike>;

/**
 * 'strict' (default): dtypes must match; integers, booleans and strings compare exactly; floats within
 * |a - e| <= atol + rtol * |e|; NaN matches only where NaN is expected; an output on one side only fails.
 * 'allclose': what Neuropod's packager checks, numpy.allclose(expected, actual): every numeric dtype compared as
 * numbers within |e - a| <= atol + rtol * |a|, NaN never matches, outputs that were not expected are ignored.
 */
export type CompareSemantics = 'strict' | 'allclose';

export interface CompareOptions {
  /** Relative tolerance; default 1e-5 (numpy's). */
  rtol?: number;
  /** Absolute tolerance; default 1e-8 (numpy's). */
  atol?: number;
  semantics?: CompareSemantics;
}

/** One element, as a report shows it: int64 values beyond 2^53 as decimal strings, so reports stay JSON. */
export type ElementValue = number | string | boolean;

export interface ElementDiff {
  /** Row-major flat index. */
  index: number;
  /** The same element as one index per axis. */
  position: number[];
  actual: ElementValue;
  expected: ElementValue;
  /** |actual - expected|; Infinity where a NaN or an infinity does not match. */
  absError: number;
  /** absError / |expected| (Infinity where expected is 0 and they differ). */
  relError: number;
  /** What this element was allowed: atol + rtol * |reference|, or 0 for exact comparisons. */
  tolerance: number;
}

export type OutputStatus = 'match' | 'mismatch' | 'missing' | 'extra' | 'dtype' | 'shape';

export interface OutputReport {
  name: string;
  pass: boolean;
  status: OutputStatus;
  /** 'tolerance' for floats (and every number under 'allclose'), 'exact' for integers, booleans, strings. */
  comparison: 'tolerance' | 'exact';
  actual?: { dtype: string; shape: number[] };
  expected?: { dtype: string; shape: number[] };
  /** Elements compared, and how many of them were out of tolerance. */
  size: number;
  mismatched: number;
  maxAbsError: number;
  maxRelError: number;
  /** The element furthest past (or nearest to) its tolerance: largest absError - tolerance. */
  worst?: ElementDiff;
  /** Why a dtype, shape, missing or extra output failed. */
  reason?: string;
}

export interface CompareReport {
  pass: boolean;
  rtol: number;
  atol: number;
  semantics: CompareSemantics;
  outputs: OutputReport[];
}

const FLOAT_DTYPES = new Set(['float16', 'bfloat16', 'float32', 'float64']);
const NUMERIC_DTYPES = new Set([...FLOAT_DTYPES, 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool']);

/**
 * Compares every output of `actual` with `expected` and says, per output, whether it matches, by how much it
 * differs and where. Pure data in, plain data out (structured-clonable and JSON), so it runs in a page, a
 * Worker or Node alike.
 */
export function compareOutputs(actual: TensorMap, expected: TensorMap, options: CompareOptions = {}): CompareReport {
  const { rtol, atol, semantics } = checkedOptions(options);
  const got = entriesOf(actual, 'actual');
  const want = entriesOf(expected, 'expected');
  const outputs: OutputReport[] = [];
  for (const [name, e] of want) {
    const a = got.get(name);
    outputs.push(a ? compareTensor(name, a, e, rtol, atol, semantics) : sideOnly(name, 'missing', e, 'expected'));
  }
  if (semantics === 'strict') for (const [name, a] of got) if (!want.has(name)) outputs.push(sideOnly(name, 'extra', a, 'actual'));
  return { pass: outputs.every((o) => o.pass), rtol, atol, semantics, outputs };
}

function checkedOptions(options: CompareOptions): Required<CompareOptions> {
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  const semantics = options.semantics ?? 'strict';
  for (const [key, v] of [['rtol', rtol], ['atol', atol]] as const) {
    if (typeof v !== 'number' || !(v >= 0)) throw new NeuropodError('USAGE', `compareOutputs(): ${key} must be a number >= 0, got ${String(v)}`);
  }
  if (semantics !== 'strict' && semantics !== 'allclose') throw new NeuropodError('USAGE', `compareOutputs(): semantics must be 'strict' or 'allclose', got ${String(semantics)}`);
  return { rtol, atol, semantics };
}

function entriesOf(map: TensorMap, side: string): Map<string, TensorLike> {
  if (map === null || typeof map !== 'object') throw new NeuropodError('USAGE', `compareOutputs(): ${side} must be an object or Map of name -> tensor, got ${String(map)}`);
  const entries = map instanceof Map ? [...map.entries()] : Object.entries(map);
  for (const [name, t] of entries) {
    const ok = t && typeof t === 'object' && typeof t.dtype === 'string' && Array.isArray(t.shape) && t.data && typeof (t.data as ArrayLike<unknown>).length === 'number';
    if (!ok) throw new NeuropodError('USAGE', `compareOutputs(): ${side} '${name}' is not a tensor ({dtype, shape, data})`);
  }
  return new Map(entries as [string, TensorLike][]);
}

function describe(t: TensorLike): { dtype: string; shape: number[] } {
  return { dtype: t.dtype, shape: [...t.shape] };
}

function emptyReport(name: string, status: OutputStatus, reason: string): OutputReport {
  return { name, pass: false, status, comparison: 'exact', size: 0, mismatched: 0, maxAbsError: 0, maxRelError: 0, reason };
}

function sideOnly(name: string, status: 'missing' | 'extra', t: TensorLike, side: 'actual' | 'expected'): OutputReport {
  const reason = status === 'missing' ? 'expected, but not among the actual outputs' : 'produced, but not among the expected outputs';
  return { ...emptyReport(name, status, reason), [side]: describe(t) };
}

function compareTensor(name: string, a: TensorLike, e: TensorLike, rtol: number, atol: number, semantics: CompareSemantics): OutputReport {
  const base = { actual: describe(a), expected: describe(e) };
  const numericPair = NUMERIC_DTYPES.has(a.dtype) && NUMERIC_DTYPES.has(e.dtype);
  const dtypesAgree = a.dtype === e.dtype || (semantics === 'allclose' && numericPair);
  if (!dtypesAgree) return { ...emptyReport(name, 'dtype', `dtype ${a.dtype}, expected ${e.dtype}`), ...base };
  if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape[i])) {
    return { ...emptyReport(name, 'shape', `shape [${a.shape.join(', ')}], expected [${e.shape.join(', ')}]`), ...base };
  }
  const size = e.shape.reduce((n, d) => n * d, 1);
  for (const [side, t] of [['actual', a], ['expected', e]] as const) {
    if (t.data.length !== size) throw new NeuropodError('TENSOR_INVALID', `compareOutputs(): ${side} '${name}' has ${t.data.length} values for shape [${t.shape.join(', ')}] (${size})`);
  }
  const tolerant = semantics === 'allclose' ? numericPair : FLOAT_DTYPES.has(e.dtype);
  const scan = tolerant ? scanTolerant(a, e, size, rtol, atol, semantics) : scanExact(a, e, size);
  const worst = scan.worst === undefined ? undefined : elementDiff(scan.worst, a, e, rtol, atol, semantics, tolerant);
  const report: OutputReport = { name, pass: scan.mismatched === 0, status: scan.mismatched === 0 ? 'match' : 'mismatch', comparison: tolerant ? 'tolerance' : 'exact', ...base, size, mismatched: scan.mismatched, maxAbsError: scan.maxAbs, maxRelError: scan.maxRel };
  if (worst) report.worst = worst;
  return report;
}

interface Scan {
  mismatched: number;
  maxAbs: number;
  maxRel: number;
  worst?: number;
}

/** Element i of a tensor as a JS number (float16/bfloat16 from their raw bits, bool as 0/1, int64 rounded). */
function numberReader(t: TensorLike): (i: number) => number {
  const data = t.data as ArrayLike<number | bigint | boolean>;
  const bits = data instanceof Uint16Array;
  if (t.dtype === 'float16' && bits) return (i) => halfToFloat(data[i] as number);
  if (t.dtype === 'bfloat16' && bits) return (i) => bfloat16ToFloat(data[i] as number);
  return (i) => Number(data[i]);
}

/** The error of one pair, NaN and infinities as IEEE-754 and numpy see them. */
function pairError(x: number, y: number, equalNaN: boolean): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return equalNaN && Number.isNaN(x) && Number.isNaN(y) ? 0 : Infinity;
  if (x === y) return 0;
  return Math.abs(x - y);
}

function scanTolerant(a: TensorLike, e: TensorLike, size: number, rtol: number, atol: number, semantics: CompareSemantics): Scan {
  const getA = numberReader(a);
  const getE = numberReader(e);
  const equalNaN = semantics === 'strict';
  let mismatched = 0, maxAbs = 0, maxRel = 0, worst: number | undefined, worstExcess = -Infinity;
  for (let i = 0; i < size; i++) {
    const x = getA(i), y = getE(i);
    const err = pairError(x, y, equalNaN);
    const reference = semantics === 'strict' ? y : x;
    const tol = Number.isFinite(reference) ? atol + rtol * Math.abs(reference) : 0;
    const excess = err - tol;
    if (err > tol) mismatched++;
    if (err > maxAbs) maxAbs = err;
    const rel = err === 0 ? 0 : err / Math.abs(y);
    if (rel > maxRel) maxRel = rel;
    if (excess > worstExcess) [worst, worstExcess] = [i, excess];
  }
  return { mismatched, maxAbs, maxRel, worst };
}

function scanExact(a: TensorLike, e: TensorLike, size: number): Scan {
  const numeric = NUMERIC_DTYPES.has(e.dtype);
  let mismatched = 0, maxAbs = 0, maxRel = 0, worst: number | undefined, worstErr = -1;
  for (let i = 0; i < size; i++) {
    const err = exactError(a.data[i], e.data[i], numeric);
    if (err === 0) continue;
    mismatched++;
    if (err > maxAbs) maxAbs = err;
    const rel = numeric ? err / Math.abs(Number(e.data[i])) : Infinity;
    if (rel > maxRel) maxRel = rel;
    if (err > worstErr) [worst, worstErr] = [i, err];
  }
  return { mismatched, maxAbs, maxRel, worst: worst ?? (size > 0 ? 0 : undefined) };
}

/** Integers compared as BigInt so int64 values beyond 2^53 still compare exactly; strings differ by Infinity. */
function exactError(x: unknown, y: unknown, numeric: boolean): number {
  if (!numeric) return x === y ? 0 : Infinity;
  const bx = integerOf(x), by = integerOf(y);
  if (bx === undefined || by === undefined) return pairError(Number(x), Number(y), false);
  return bx === by ? 0 : Number(bx > by ? bx - by : by - bx);
}

function integerOf(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;
}

function elementDiff(i: number, a: TensorLike, e: TensorLike, rtol: number, atol: number, semantics: CompareSemantics, tolerant: boolean): ElementDiff {
  const actual = elementValue(a, i);
  const expected = elementValue(e, i);
  let absError: number, tolerance = 0;
  if (tolerant) {
    const [x, y] = [numberReader(a)(i), numberReader(e)(i)];
    absError = pairError(x, y, semantics === 'strict');
    const reference = semantics === 'strict' ? y : x;
    tolerance = Number.isFinite(reference) ? atol + rtol * Math.abs(reference) : 0;
  } else {
    absError = exactError(a.data[i], e.data[i], NUMERIC_DTYPES.has(e.dtype));
  }
  const magnitude = typeof expected === 'number' ? Math.abs(expected) : Number.NaN;
  const relError = absError === 0 ? 0 : Number.isNaN(magnitude) ? Infinity : absError / magnitude;
  return { index: i, position: positionOf(i, e.shape), actual, expected, absError, relError, tolerance };
}

function elementValue(t: TensorLike, i: number): ElementValue {
  const v = t.data[i];
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (t.dtype === 'bool') return Boolean(v);
  return numberReader(t)(i);
}

/** Flat row-major index to one index per axis. */
export function positionOf(index: number, shape: readonly number[]): number[] {
  const position = new Array<number>(shape.length).fill(0);
  let rest = index;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const d = shape[axis]!;
    position[axis] = d === 0 ? 0 : rest % d;
    rest = d === 0 ? 0 : Math.floor(rest / d);
  }
  return position;
}
