import type { NeuropodError } from '../../api/errors.js';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import { tensor } from '../../tensor/tensor.js';
import type { GraphBuilder } from './graph-builder.js';
import { PickleTuple, Spread, Sym, Tensor, describeValue, type PyValue } from './values.js';

/** What operator lowerings need from the interpreter. */
export interface LoweringContext {
  readonly builder: GraphBuilder;
  fail(code: 'OP_UNSUPPORTED' | 'MODEL_INVALID', what: string): NeuropodError;
  tensorHint(t: Tensor): string;
}

/** c10 ScalarType codes, as traced code passes `dtype=6`. */
export const SCALAR_TYPES: Record<number, DType> = {
  0: 'uint8', 1: 'int8', 2: 'int16', 3: 'int32', 4: 'int64', 5: 'float16', 6: 'float32', 7: 'float64', 11: 'bool', 15: 'bfloat16',
};

export function scalarType(c: LoweringContext, code: PyValue, fallback: DType): DType {
  if (code === null || code === undefined) return fallback;
  const dtype = SCALAR_TYPES[Number(code)];
  if (!dtype) throw c.fail('OP_UNSUPPORTED', `tensor type code ${String(code)}`);
  return dtype;
}

export function itemsOf(v: PyValue): PyValue[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof PickleTuple) return [...v.items];
  return undefined;
}

/** Type category for promotion (torch: bool < integral < floating). */
function category(dtype: DType): number {
  if (dtype === 'bool') return 0;
  return DTYPES[dtype].float ? 2 : 1;
}

/** Result dtype of an elementwise op (torch.result_type): dimensioned tensors outrank 0-d ones, which outrank Python scalars, within the highest category. */
export function resultType(values: PyValue[]): DType {
  let best: { cat: number; priority: number; dtype: DType } | undefined;
  for (const v of values) {
    let entry: { cat: number; priority: number; dtype: DType } | undefined;
    if (v instanceof Sym || v instanceof Tensor) entry = { cat: category(v.dtype), priority: v.rank === 0 ? 1 : 2, dtype: v.dtype };
    else if (typeof v === 'boolean') entry = { cat: 0, priority: 0, dtype: 'bool' };
    else if (typeof v === 'bigint') entry = { cat: 1, priority: 0, dtype: 'int64' };
    else if (typeof v === 'number') entry = { cat: 2, priority: 0, dtype: 'float32' };
    if (!entry) continue;
    if (!best || entry.cat > best.cat || (entry.cat === best.cat && entry.priority > best.priority)) best = entry;
  }
  return best?.dtype ?? 'float32';
}

export function rankOf(v: PyValue): number | undefined {
  if (v instanceof Sym || v instanceof Tensor) return v.rank;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return 0;
  return undefined;
}

/** The value as a graph value of `dtype` (cast where it has another). */
export function asSym(c: LoweringContext, v: PyValue, dtype?: DType): Sym {
  let sym: Sym;
  if (v instanceof Sym) sym = v;
  else if (v instanceof Tensor) sym = c.builder.constant(v, c.tensorHint(v));
  else if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return c.builder.scalar(v, dtype ?? resultType([v]));
  else if (typeof v === 'string') return c.builder.scalar(v, 'string');
  else if (itemsOf(v)) sym = listSym(c, itemsOf(v)!, dtype);
  else throw c.fail('OP_UNSUPPORTED', `${describeValue(v)} where a tensor is expected`);
  return dtype && sym.dtype !== dtype ? cast(c, sym, dtype) : sym;
}

export function cast(c: LoweringContext, v: Sym, dtype: DType): Sym {
  if (v.dtype === dtype) return v;
  return new Sym(c.builder.node('Cast', [v], 1, { to: DTYPES[dtype].onnx })[0]!, dtype, v.rank, undefined, v.lane);
}

/**
 * A list as a 1-D tensor: load-time elements become constants, run-time scalars are unsqueezed, Spreads (the
 * results of vectorized loops) join whole; the pieces are concatenated.
 */
export function listSym(c: LoweringContext, items: PyValue[], dtype?: DType): Sym {
  const type = dtype ?? listType(items);
  const pieces: Sym[] = [];
  let pending: PyValue[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const data = pending.map((p) => (type === 'string' ? String(p) : DTYPES[type].big ? BigInt(p as bigint) : Number(p)));
    pieces.push(c.builder.constant(tensor(data, [data.length], type), 'list'));
    pending = [];
  };
  for (const item of items) {
    if (item instanceof Spread) {
      flush();
      pieces.push(cast(c, item.items, type));
    } else if (item instanceof Sym || item instanceof Tensor) {
      flush();
      const scalar = asSym(c, item, type);
      pieces.push(scalar.rank === 1 ? scalar : c.builder.op('Unsqueeze', [scalar, c.builder.int64s([0])], type, 1));
    } else pending.push(item);
  }
  flush();
  if (pieces.length === 0) return c.builder.constant(tensor(type === 'string' ? [] : [], [0], type), 'list');
  if (pieces.length === 1) return new Sym(pieces[0]!.name, type, 1);
  return c.builder.op('Concat', pieces, type, 1, { axis: 0 });
}

function listType(items: PyValue[]): DType {
  for (const item of items) {
    if (item instanceof Spread) return item.items.dtype;
    if (typeof item === 'string') return 'string';
  }
  const t = resultType(items.filter((i) => !(i instanceof Spread)));
  return t;
}

/** An int list known at load (kernel sizes, strides, dims). */
export function constInts(c: LoweringContext, v: PyValue, what: string): number[] {
  if (typeof v === 'bigint') return [Number(v)];
  const items = itemsOf(v);
  if (!items || items.some((i) => typeof i !== 'bigint')) throw c.fail('OP_UNSUPPORTED', `${what} must be known at load, got ${describeValue(v)}`);
  return items.map(Number);
}

export function constInt(c: LoweringContext, v: PyValue, what: string): number {
  if (typeof v !== 'bigint' && typeof v !== 'boolean') throw c.fail('OP_UNSUPPORTED', `${what} must be a load-time int, got ${describeValue(v)}`);
  return Number(v);
}

export function constFloat(c: LoweringContext, v: PyValue, what: string): number {
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
  if (v instanceof Tensor && v.size === 1) return Number((v.data as ArrayLike<number | bigint>)[0]);
  throw c.fail('OP_UNSUPPORTED', `${what} must be a load-time number, got ${describeValue(v)}`);
}

/** Lengths of 1-D int64 values that are a tensor's shape (`torch.size(x)` of an x of known rank). */
const shapeLengths = new WeakMap<Sym, number>();

export function markShape(shape: Sym, length: number | undefined): Sym {
  if (length !== undefined) shapeLengths.set(shape, length);
  return shape;
}

/** The count of dims a shape argument gives, where lowering knows it: a list's length or a marked shape's. */
export function shapeLength(v: PyValue): number | undefined {
  if (v instanceof Sym) return shapeLengths.get(v);
  return itemsOf(v)?.length;
}

/** A shape argument (list of ints, some known only at run time, or a size() result) as a 1-D int64 tensor. */
export function shapeSym(c: LoweringContext, v: PyValue): Sym {
  if (v instanceof Sym) return cast(c, v, 'int64');
  const items = itemsOf(v);
  if (!items) throw c.fail('OP_UNSUPPORTED', `a shape given as ${describeValue(v)}`);
  return listSym(c, items, 'int64');
}

/** Normalizes a possibly negative dim against a known rank. */
export function normalizeDim(c: LoweringContext, dim: number, rank: number | undefined): number {
  if (dim >= 0) return dim;
  if (rank === undefined) throw c.fail('OP_UNSUPPORTED', `a negative dim on a tensor of unknown rank`);
  return dim + rank;
}
