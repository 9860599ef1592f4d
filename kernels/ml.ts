/**
 * ai.onnx.ml operators that converted models use outside classic ML pipelines. LabelEncoder (ONNX-ML
 * Operators-ml.md): a map from keys to values, with a default for keys not in it. TorchScript dict lookups
 * (`vocab.get(k, 0)`) lower to it.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { AttributeReader } from '../src/graph/attributes.js';
import { allocate, type DType } from '../src/tensor/dtype.js';
import { Tensor } from '../src/tensor/tensor.js';
import { tensorInput } from './elements.js';
import type { KernelDef } from './registry.js';

type Key = string | number | bigint;

interface Mapping {
  keys: Key[];
  values: Key[];
  valueType: DType;
  fallback: Key;
}

/** Opset 1: `classes_strings` maps int64 index <-> string; the direction follows the input's dtype. */
function mappingV1(attrs: AttributeReader, input: Tensor): Mapping {
  const classes = attrs.strings('classes_strings', []);
  const indices = classes.map((_, i) => BigInt(i));
  if (input.dtype === 'string') return { keys: classes, values: indices, valueType: 'int64', fallback: BigInt(attrs.int('default_int64', -1)) };
  return { keys: indices, values: classes, valueType: 'string', fallback: attrs.string('default_string', '_Unused') };
}

const KEY_ATTRS = [['keys_strings', 'string'], ['keys_int64s', 'int64'], ['keys_floats', 'float32']] as const;
const VALUE_ATTRS = [['values_strings', 'string'], ['values_int64s', 'int64'], ['values_floats', 'float32']] as const;

function attrList(attrs: AttributeReader, pairs: typeof KEY_ATTRS | typeof VALUE_ATTRS, tensorName: string): { list: Key[]; type: DType } | undefined {
  const t = attrs.tensor(tensorName);
  if (t) return { list: t.dtype === 'string' ? t.strings : Array.from(t.numeric as ArrayLike<number | bigint>), type: t.dtype };
  for (const [name, type] of pairs) {
    if (!attrs.has(name)) continue;
    if (type === 'string') return { list: attrs.strings(name)!, type };
    if (type === 'int64') return { list: attrs.ints(name)!.map((v) => BigInt(v)), type };
    return { list: attrs.floats(name)!, type };
  }
  return undefined;
}

/** Opsets 2 and 4: keys_* / values_* attributes (or, from opset 4, keys_tensor / values_tensor / default_tensor). */
function mappingV2(attrs: AttributeReader, node: string): Mapping {
  const keys = attrList(attrs, KEY_ATTRS, 'keys_tensor');
  const values = attrList(attrs, VALUE_ATTRS, 'values_tensor');
  if (!keys || !values) throw new NeuropodError('MODEL_INVALID', `LabelEncoder '${node}': needs one keys_* and one values_* attribute`);
  if (keys.list.length !== values.list.length) throw new NeuropodError('MODEL_INVALID', `LabelEncoder '${node}': ${keys.list.length} keys but ${values.list.length} values`);
  const given = attrs.tensor('default_tensor');
  let fallback: Key;
  if (given) fallback = given.dtype === 'string' ? given.strings[0]! : (given.numeric[0] as number | bigint);
  else if (values.type === 'string') fallback = attrs.string('default_string', '_Unused');
  else if (values.type === 'int64') fallback = BigInt(attrs.int('default_int64', -1));
  else fallback = attrs.float('default_float', -0);
  return { keys: keys.list, values: values.list, valueType: values.type, fallback };
}

/** Float keys compare as float32 (the attribute's storage); NaN finds a NaN key, as SameValueZero does. */
function keyOf(v: Key, dtype: DType): Key {
  if (dtype === 'float32') return Math.fround(Number(v));
  if (dtype === 'float64') return Number(v);
  if (dtype === 'int64' || dtype === 'int32' || dtype === 'int16') return BigInt(v);
  return v;
}

function labelEncoder(inputs: Parameters<KernelDef['run']>[0], ctx: Parameters<KernelDef['run']>[1]): Tensor {
  const x = tensorInput(inputs, 0, 'LabelEncoder');
  const m = ctx.opset < 2 ? mappingV1(ctx.attrs, x) : mappingV2(ctx.attrs, ctx.node.name);
  const table = new Map<Key, Key>();
  m.keys.forEach((k, i) => table.set(keyOf(k, x.dtype), m.values[i]!));
  const source: ArrayLike<Key> = x.dtype === 'string' ? x.strings : (x.numeric as ArrayLike<number | bigint>);
  const out = allocate(m.valueType, x.size);
  for (let i = 0; i < x.size; i++) {
    const v = table.get(keyOf(source[i]!, x.dtype)) ?? m.fallback;
    (out as unknown as Key[])[i] = m.valueType === 'int64' ? BigInt(v) : m.valueType === 'string' ? String(v) : Number(v);
  }
  return new Tensor(m.valueType, x.shape, out);
}

export const mlKernels: KernelDef[] = [{ op: 'LabelEncoder', domain: 'ai.onnx.ml', since: 1, run: (inputs, ctx) => [labelEncoder(inputs, ctx)] }];
