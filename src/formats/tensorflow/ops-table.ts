import { NeuropodError } from '../../api/errors.js';
import type { AttributeValue } from '../../graph/ir.js';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ir } from './attr.js';
import type { NodeLowering } from './builder.js';

type Lowering = (n: NodeLowering) => void;

/** A hash table's contents after the init ops ran: InitializeTableV2 / LookupTableImportV2 of constants. */
export interface TableContents {
  keys: Tensor;
  values: Tensor;
}

const TABLE = 'table:';

/** The table a LookupTable* op reads, with what its initializer put in it. */
function tableOf(n: NodeLowering): { name: string; contents: TableContents } {
  const handle = n.input(0);
  const name = handle.startsWith(TABLE) ? handle.slice(TABLE.length) : undefined;
  if (!name) throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: input 0 is not a HashTableV2 of this graph (a computed or mutable table is not lowered)`);
  const contents = n.builder.tableContents(name);
  if (!contents) {
    throw new NeuropodError('MODEL_INVALID', `${n.where}: table '${name}' is not initialized: no init op (init_op_names, or a SavedModel's __saved_model_init_op) fills it from constants`);
  }
  return { name, contents };
}

/** LabelEncoder-2 attribute of a list of keys or values, and the dtype the op then takes or gives. */
function listAttr(t: Tensor, role: 'keys' | 'values', where: string): { attr: string; value: AttributeValue; dtype: DType } {
  if (t.dtype === 'string') return { attr: `${role}_strings`, value: ir.strings(t.strings), dtype: 'string' };
  if (DTYPES[t.dtype].float) return { attr: `${role}_floats`, value: ir.floats(Array.from(t.numeric as ArrayLike<number>)), dtype: 'float32' };
  if (t.dtype === 'bool') throw new NeuropodError('OP_UNSUPPORTED', `${where}: a table of bool ${role} has no LabelEncoder form`);
  return { attr: `${role}_int64s`, value: ir.ints(Array.from(t.numeric as ArrayLike<number | bigint>, Number)), dtype: 'int64' };
}

function defaultAttr(t: Tensor, dtype: DType): [string, AttributeValue] {
  if (dtype === 'string') return ['default_string', ir.string(t.strings[0] ?? '')];
  if (dtype === 'float32') return ['default_float', ir.float(Number(t.numeric[0]))];
  return ['default_int64', ir.int(Number(t.numeric[0]))];
}

const cast = (dtype: DType) => ({ to: ir.int(DTYPES[dtype].onnx) });

/**
 * LookupTableFindV2(table, keys, default) -> ai.onnx.ml LabelEncoder (opset 2) holding the table; keys and values
 * of other widths (int32, double) go through a Cast to the int64/float/string the op takes.
 */
function find(n: NodeLowering): void {
  const { contents } = tableOf(n);
  const fallback = n.requireConstant(2, 'default value');
  if (fallback.size !== 1) throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: the default value has ${fallback.size} elements; only a scalar default is lowered`);
  const keys = listAttr(contents.keys, 'keys', n.where);
  const values = listAttr(contents.values, 'values', n.where);
  const [defaultName, defaultValue] = defaultAttr(fallback, values.dtype);
  const inputDtype = n.attrs.dtype('Tin', contents.keys.dtype);
  const input = inputDtype === keys.dtype ? n.input(1) : n.op('Cast', [n.input(1)], cast(keys.dtype));
  const attrs = { [keys.attr]: keys.value, [values.attr]: values.value, [defaultName]: defaultValue };
  const outDtype = n.attrs.dtype('Tout', contents.values.dtype);
  if (outDtype === values.dtype) {
    n.emit('LabelEncoder', [input], attrs, [n.output(0)], 'ai.onnx.ml');
    return;
  }
  const encoded = n.emit('LabelEncoder', [input], attrs, 1, 'ai.onnx.ml')[0]!;
  n.emit('Cast', [encoded], cast(outDtype), [n.output(0)]);
}

function hashTable(n: NodeLowering): void {
  n.produce(0, TABLE + n.node.name);
}

function size(n: NodeLowering): void {
  n.produce(0, n.int64s([tableOf(n).contents.keys.size], []));
}

/** Initializers ran at load (their contents are the table's): in the served graph they do nothing. */
const initializer: Lowering = () => {};

export const TABLE_OPS: Record<string, Lowering> = {
  HashTableV2: hashTable,
  HashTable: hashTable,
  LookupTableFindV2: find,
  LookupTableFind: find,
  LookupTableSizeV2: size,
  LookupTableSize: size,
  InitializeTableV2: initializer,
  InitializeTable: initializer,
  LookupTableImportV2: initializer,
};
