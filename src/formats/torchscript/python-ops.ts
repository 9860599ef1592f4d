import { markRaised } from './control-flow.js';
import type { OperatorContext, OperatorRow } from './operators.js';
import { asSym, cast, itemsOf, listSym, SCALAR_TYPES } from './tensor-values.js';
import { AppendTarget, Lane, PickleTuple, ScannedList, Spread, Sym, Tensor, isRuntime, tuple, type PyValue } from './values.js';

/**
 * Operators on Python-level values (ints, floats, strings, lists, dicts) known at load: computed here. A list
 * of strings that is a model input is a 1-D string tensor; element-wise work on it inside a vectorized loop
 * becomes tensor ops. Rows return undefined for tensors, which the aten table handles.
 */

type Py = PyValue;
const row = (params: string, lower: OperatorRow['lower']): OperatorRow => ({ params: params.split(' '), lower });

const loadTime = (...vs: Py[]) => vs.every((v) => !isRuntime(v) && !(v instanceof Spread));
const isScalar = (v: Py): v is bigint | number | boolean => typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';

/** Python arithmetic: int op int stays int (bigint), anything with a float is a float. */
function arithmetic(op: (x: number, y: number) => number, intOp?: (x: bigint, y: bigint) => bigint) {
  return (a: Py, b: Py): Py => {
    if (!isScalar(a) || !isScalar(b)) return undefined;
    if (intOp && typeof a !== 'number' && typeof b !== 'number') return intOp(BigInt(a), BigInt(b));
    return op(Number(a), Number(b));
  };
}

function compare(op: (x: number, y: number) => boolean) {
  return row('self other', (_c, [a, b]) => {
    if (typeof a === 'string' && typeof b === 'string') return op(a < b ? -1 : a > b ? 1 : 0, 0);
    if (isScalar(a) && isScalar(b)) return op(Number(a), Number(b));
    if (a === null || b === null) return op(a === b ? 0 : 1, 0);
    return undefined;
  });
}

function listLength(c: OperatorContext, list: Py): Py {
  if (list instanceof Sym) {
    const shape = c.builder.op('Shape', [list], 'int64', 1);
    const length = c.builder.op('Gather', [shape, c.builder.scalar(0n, 'int64')], 'int64', 0, { axis: 0 });
    // Only a list of strings (a 1-D string tensor) is vectorized over; a tensor's rows are walked by an ONNX Loop.
    return new Sym(length.name, 'int64', 0, list.dtype === 'string' ? list : undefined);
  }
  if (list instanceof ScannedList) return listLength(c, list.stacked);
  const items = itemsOf(list);
  if (!items && list instanceof Map) return BigInt(list.size);
  if (typeof list === 'string') return BigInt(list.length);
  if (!items) return undefined;
  if (items.every((i) => !(i instanceof Spread))) return BigInt(items.length);
  return listLength(c, listSym(c, items));
}

/** `xs[i]` for load-time containers and for run-time lists indexed by a vectorized loop's lane. */
function getItem(c: OperatorContext, container: Py, index: Py): Py {
  if (container instanceof Map) {
    if (!container.has(index)) throw c.fail('MODEL_INVALID', `key ${String(index)} is not in the dict`);
    return container.get(index);
  }
  if (index instanceof Lane) {
    if (container !== index.list && !(container instanceof Sym)) return undefined;
    const list = container as Sym;
    return new Sym(list.name, list.dtype, 1, undefined, true);
  }
  const items = itemsOf(container) ?? (typeof container === 'string' ? [...container] : undefined);
  if (!items || typeof index !== 'bigint' || items.some((i) => i instanceof Spread)) return undefined;
  const at = Number(index) < 0 ? items.length + Number(index) : Number(index);
  if (at < 0 || at >= items.length) throw c.fail('MODEL_INVALID', `index ${index} out of range`);
  return items[at];
}

function sliceList(c: OperatorContext, list: Py, start: Py, end: Py, step: Py): Py {
  const items = itemsOf(list);
  if (!items) return undefined;
  if (items.some((i) => i instanceof Spread || i instanceof Sym)) {
    const sym = listSym(c, items);
    const ends = c.builder.int64s([end === null || end === undefined ? BigInt(Number.MAX_SAFE_INTEGER) : (end as bigint)]);
    return c.builder.op('Slice', [sym, c.builder.int64s([(start as bigint) ?? 0n]), ends, c.builder.int64s([0]), c.builder.int64s([(step as bigint) ?? 1n])], sym.dtype, 1);
  }
  const n = items.length;
  const clamp = (v: Py, fallback: number) => {
    if (v === null || v === undefined) return fallback;
    const x = Number(v);
    return Math.max(0, Math.min(n, x < 0 ? x + n : x));
  };
  const by = Number(step ?? 1n);
  const out: Py[] = [];
  for (let i = clamp(start, 0); i < clamp(end, n); i += by) out.push(items[i]);
  return list instanceof PickleTuple ? tuple(out) : out;
}

/** `vocab.get(key, default)` where the keys arrive as a string tensor: ONNX-ML LabelEncoder. */
function dictLookup(c: OperatorContext, dict: Map<Py, Py>, key: Sym, fallback: Py): Py {
  const keys = [...dict.keys()];
  const values = [...dict.values()];
  if (!keys.every((k) => typeof k === 'string') || !values.every((v) => typeof v === 'bigint')) {
    throw c.fail('OP_UNSUPPORTED', `a run-time lookup in a dict other than Dict[str, int]`);
  }
  const out = c.builder.node('LabelEncoder', [key], 1, {
    keys_strings: keys as string[],
    values_int64s: values.map(Number),
    default_int64: Number(fallback ?? -1n),
  }, 'ai.onnx.ml')[0]!;
  return new Sym(out, 'int64', key.rank, undefined, key.lane);
}

function stringConcat(c: OperatorContext, a: Py, b: Py): Py {
  const lane = (a instanceof Sym && a.lane) || (b instanceof Sym && b.lane);
  const out = c.builder.op('StringConcat', [asSym(c, a, 'string'), asSym(c, b, 'string')], 'string', 1);
  return new Sym(out.name, 'string', 1, undefined, lane);
}

const floorDivide = (x: bigint, y: bigint) => {
  const q = x / y;
  return (x % y !== 0n) && ((x < 0n) !== (y < 0n)) ? q - 1n : q;
};

export const PYTHON_OPS: Record<string, OperatorRow> = {
  'aten::len': row('self', (c, [list]) => listLength(c, list)),
  'aten::append': row('self el', (c, [list, item]) => {
    if (list instanceof AppendTarget) {
      list.appends.push({ item, nodes: c.builder.nodes });
      return list;
    }
    if (!Array.isArray(list)) return undefined;
    list.push(item instanceof Sym && item.lane ? new Spread(item) : item);
    return list;
  }),
  'aten::__getitem__': row('self index', (c, [container, index]) => getItem(c, container, index)),
  // aten::select(list, index) has two arguments; the tensor form select(self, dim, index) three.
  'aten::select': row('self dim index', (c, [container, index, tensorIndex]) => (tensorIndex === undefined ? getItem(c, container, index) : undefined)),
  'aten::get': row('self key default_value', (c, [dict, key, fallback]) => {
    if (!(dict instanceof Map)) return undefined;
    if (key instanceof Sym) return dictLookup(c, dict, key, fallback);
    return dict.has(key) ? dict.get(key) : (fallback ?? null);
  }),
  'aten::slice': row('self start end step', (c, [list, start, end, step]) => (isRuntime(list) ? undefined : sliceList(c, list, start, end, step))),
  'aten::list': row('self', (_c, [list]) => (Array.isArray(list) ? [...list] : list instanceof PickleTuple ? [...list.items] : undefined)),
  'aten::keys': row('self', (_c, [d]) => (d instanceof Map ? [...d.keys()] : undefined)),
  'aten::values': row('self', (_c, [d]) => (d instanceof Map ? [...d.values()] : undefined)),
  'aten::items': row('self', (_c, [d]) => (d instanceof Map ? [...d.entries()].map(([k, v]) => tuple([k, v])) : undefined)),
  'aten::__contains__': row('self key', (_c, [d, k]) => (d instanceof Map ? d.has(k) : Array.isArray(d) ? d.includes(k) : d instanceof PickleTuple ? d.items.includes(k as never) : undefined)),
  'aten::_set_item': row('self key value', (_c, [d, k, v]) => {
    if (d instanceof Map) d.set(k, v);
    else if (Array.isArray(d) && typeof k === 'bigint') d[Number(k)] = v;
    else return undefined;
    return null;
  }),
  'aten::add': row('self other alpha', (c, [a, b]) => {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if ((a instanceof Sym && a.dtype === 'string') || (b instanceof Sym && b.dtype === 'string')) return stringConcat(c, a, b);
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    return loadTime(a, b) ? arithmetic((x, y) => x + y, (x, y) => x + y)(a, b) : undefined;
  }),
  'aten::sub': row('self other', (_c, [a, b]) => arithmetic((x, y) => x - y, (x, y) => x - y)(a, b)),
  'aten::mul': row('self other', (_c, [a, b]) => arithmetic((x, y) => x * y, (x, y) => x * y)(a, b)),
  'aten::div': row('self other rounding_mode', (_c, [a, b, mode]) => {
    if (!isScalar(a) || !isScalar(b)) return undefined;
    const q = Number(a) / Number(b);
    if (mode === 'trunc') return typeof a === 'bigint' && typeof b === 'bigint' ? a / b : Math.trunc(q);
    if (mode === 'floor') return typeof a === 'bigint' && typeof b === 'bigint' ? floorDivide(a, b) : Math.floor(q);
    return q;
  }),
  'aten::floordiv': row('self other', (_c, [a, b]) => arithmetic((x, y) => Math.floor(x / y), floorDivide)(a, b)),
  'aten::remainder': row('self other', (_c, [a, b]) => arithmetic((x, y) => x - Math.floor(x / y) * y, (x, y) => ((x % y) + y) % y)(a, b)),
  'aten::pow': row('self exponent', (_c, [a, b]) => arithmetic((x, y) => x ** y, (x, y) => (y >= 0n ? x ** y : undefined as never))(a, b)),
  'aten::neg': row('self', (_c, [a]) => (typeof a === 'bigint' ? -a : typeof a === 'number' ? -a : undefined)),
  'aten::__not__': row('self', (c, [a]) => (a instanceof Sym ? c.builder.op('Not', [cast(c, a, 'bool')], 'bool', a.rank) : !c.truth(a))),
  'aten::eq': compare((x, y) => x === y),
  'aten::ne': compare((x, y) => x !== y),
  'aten::lt': compare((x, y) => x < y),
  'aten::le': compare((x, y) => x <= y),
  'aten::gt': compare((x, y) => x > y),
  'aten::ge': compare((x, y) => x >= y),
  'aten::min': row('self other', (_c, [a, b]) => (isScalar(a) && isScalar(b) ? (Number(a) <= Number(b) ? a : b) : undefined)),
  'aten::max': row('self other', (_c, [a, b]) => (isScalar(a) && isScalar(b) ? (Number(a) >= Number(b) ? a : b) : undefined)),
  'aten::Int': row('self', (c, [a]) => (isScalar(a) ? BigInt(Math.trunc(Number(a))) : a instanceof Sym || a instanceof Tensor ? cast(c, asSym(c, a), 'int64') : undefined)),
  'aten::Float': row('self', (c, [a]) => (isScalar(a) ? Number(a) : a instanceof Sym || a instanceof Tensor ? cast(c, asSym(c, a), 'float64') : undefined)),
  'aten::Bool': row('self', (c, [a]) => (isScalar(a) ? c.truth(a) : a instanceof Sym || a instanceof Tensor ? cast(c, asSym(c, a), 'bool') : undefined)),
  'aten::str': row('self', (_c, [a]) => (loadTime(a) ? String(a) : undefined)),
  'aten::sqrt': row('self', (_c, [a]) => (isScalar(a) ? Math.sqrt(Number(a)) : undefined)),
  'aten::exp': row('self', (_c, [a]) => (isScalar(a) ? Math.exp(Number(a)) : undefined)),
  'aten::log': row('self', (_c, [a]) => (isScalar(a) ? Math.log(Number(a)) : undefined)),
  'aten::device': row('self', () => 'cpu'),
  'prim::device': row('self', () => 'cpu'),
  'prim::dtype': row('self', (_c, [a]) => (a instanceof Sym || a instanceof Tensor ? BigInt(Object.entries(SCALAR_TYPES).find(([, d]) => d === a.dtype)?.[0] ?? 6) : undefined)),
  'prim::NumToTensor': row('self', (c, [a]) => (a instanceof Sym ? a : isScalar(a) ? asSym(c, a) : undefined)),
  'prim::RaiseException': row('msg cls', (c, [message]) => {
    throw markRaised(c.fail('MODEL_INVALID', `the model always raises: ${String(message)}`));
  }),
  'prim::unchecked_cast': row('self', (_c, [a]) => a),
  'aten::warn': row('message stacklevel', () => null),
  'aten::__is__': row('self other', (_c, [a, b]) => a === b),
  'aten::__isnot__': row('self other', (_c, [a, b]) => a !== b),
  'aten::dim': row('self', (_c, [a]) => (a instanceof Sym && a.rank !== undefined ? BigInt(a.rank) : a instanceof Tensor ? BigInt(a.rank) : undefined)),
  'prim::GetAttr': row('self name', (c, [object, name]) => {
    if ((object instanceof Sym || object instanceof Tensor) && name === 'dtype') return PYTHON_OPS['prim::dtype']!.lower(c, [object]);
    if (name === 'device') return 'cpu';
    return undefined;
  }),
};
