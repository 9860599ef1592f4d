import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { convert } from '../../api/convert.js';
import { load } from '../../api/model.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import { constant, DT, functionDef, op, placeholder, tfPackage, type NodeJson, type Spec } from './tf1-graphs.js';

const plain = (data: ArrayLike<unknown>) => Array.from(data, (v) => (typeof v === 'bigint' ? Number(v) : v));

async function onCpu(pkg: Uint8Array, feeds: Record<string, Tensor>) {
  const out = await (await load(pkg, { backend: 'cpu' })).infer(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: [...t.shape], data: plain(t.data as ArrayLike<unknown>) }]));
}

async function onOnnxRuntime(pkg: Uint8Array, feeds: Record<string, Tensor>) {
  const session = await ort.InferenceSession.create((await convert(pkg, 'onnx')).get('model.onnx')!);
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.shape])])));
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: [...t.dims], data: plain(t.data as ArrayLike<unknown>) }]));
}

type Expected = Record<string, { shape: number[]; data: unknown[] }>;

async function expectBoth(pkg: Uint8Array, feeds: Record<string, Tensor>, expected: Expected) {
  expect(await onCpu(pkg, feeds)).toEqual(expected);
  expect(await onOnnxRuntime(pkg, feeds)).toEqual(expected);
}

const strings = (v: string[]) => tensor(v, [v.length]);
const spec = (name: string, dtype: string, shape: (number | null)[]): Spec => ({ name, dtype, shape });

/** A HashTableV2 filled by InitializeTableV2 from constants, run by the init op `init_all_tables`. */
function table(keyType: string, valueType: string, keys: NodeJson, values: NodeJson): NodeJson[] {
  return [
    { name: 'table', op: 'HashTableV2', attr: { key_dtype: { type: keyType }, value_dtype: { type: valueType }, shared_name: { s: btoa('table') } } },
    keys,
    values,
    { name: 'table_init', op: 'InitializeTableV2', input: ['table', keys.name, values.name], attr: { Tkey: { type: keyType }, Tval: { type: valueType } } },
    { name: 'init_all_tables', op: 'NoOp', input: ['^table_init'] },
  ];
}

describe('hash tables -> ai.onnx.ml LabelEncoder', () => {
  it('string -> int64 with a default of -1, and the table size', async () => {
    const nodes = [
      ...table(DT.string, DT.int64, constant('keys', DT.string, ['apple', 'banana', 'carrot'], [3]), constant('values', DT.int64, [10, 11, 12], [3])),
      placeholder('x', DT.string, [-1]),
      constant('default', DT.int64, [-1]),
      { name: 'lookup', op: 'LookupTableFindV2', input: ['table', 'x', 'default'], attr: { Tin: { type: DT.string }, Tout: { type: DT.int64 } } },
      { name: 'size', op: 'LookupTableSizeV2', input: ['table'] },
    ];
    const pkg = tfPackage(nodes, [[spec('x', 'string', [null]), 'x:0']], [[spec('ids', 'int64', [null]), 'lookup:0'], [spec('size', 'int64', []), 'size:0']], ['init_all_tables']);
    await expectBoth(pkg, { x: strings(['carrot', 'durian', 'apple']) }, { ids: { shape: [3], data: [12, -1, 10] }, size: { shape: [], data: [3] } });
  });

  it('int64 -> string (a vocabulary read backwards) with "UNK" for ids it lacks', async () => {
    const nodes = [
      ...table(DT.int64, DT.string, constant('keys', DT.int64, [0, 1, 2], [3]), constant('values', DT.string, ['<pad>', 'hello', 'world'], [3])),
      placeholder('ids', DT.int64, [-1]),
      constant('default', DT.string, ['UNK']),
      { name: 'lookup', op: 'LookupTableFindV2', input: ['table', 'ids', 'default'], attr: { Tin: { type: DT.int64 }, Tout: { type: DT.string } } },
    ];
    const pkg = tfPackage(nodes, [[spec('ids', 'int64', [null]), 'ids:0']], [[spec('words', 'string', [null]), 'lookup:0']], ['init_all_tables']);
    await expectBoth(pkg, { ids: tensor(BigInt64Array.of(2n, 1n, 7n), [3]) }, { words: { shape: [3], data: ['world', 'hello', 'UNK'] } });
  });

  it('int32 values come back int32 (a Cast after the int64 LabelEncoder)', async () => {
    const nodes = [
      ...table(DT.string, DT.int32, constant('keys', DT.string, ['a', 'b'], [2]), constant('values', DT.int32, [5, 6], [2])),
      placeholder('x', DT.string, [-1]),
      constant('default', DT.int32, [0]),
      { name: 'lookup', op: 'LookupTableFindV2', input: ['table', 'x', 'default'], attr: { Tin: { type: DT.string }, Tout: { type: DT.int32 } } },
    ];
    const pkg = tfPackage(nodes, [[spec('x', 'string', [null]), 'x:0']], [[spec('y', 'int32', [null]), 'lookup:0']], ['init_all_tables']);
    await expectBoth(pkg, { x: strings(['b', 'c', 'a']) }, { y: { shape: [3], data: [6, 0, 5] } });
  });

  it('TF2 shape: the init op calls a function that fills the table, the lookup runs in the serving function', async () => {
    const resource = 'DT_RESOURCE';
    const initFn = functionDef('init_fn', [['table', resource as typeof DT.int64]], [], [
      constant('keys', DT.string, ['x', 'y'], [2]), constant('values', DT.int64, [7, 8], [2]),
      { name: 'init', op: 'InitializeTableV2', input: ['table', 'keys:output:0', 'values:output:0'], attr: { Tkey: { type: DT.string }, Tval: { type: DT.int64 } } },
    ]);
    const serveFn = functionDef('serve_fn', [['table', resource as typeof DT.int64], ['words', DT.string]], [['ids', DT.int64, 'lookup:values:0']], [
      constant('default', DT.int64, [0]),
      { name: 'lookup', op: 'LookupTableFindV2', input: ['table', 'words', 'default:output:0'], attr: { Tin: { type: DT.string }, Tout: { type: DT.int64 } } },
    ]);
    const nodes = [
      { name: 'table', op: 'HashTableV2', attr: { key_dtype: { type: DT.string }, value_dtype: { type: DT.int64 } } },
      placeholder('words', DT.string, [-1]),
      { name: 'init_call', op: 'StatefulPartitionedCall', input: ['table'], attr: { f: { func: { name: 'init_fn' } } } },
      { name: 'saver_init', op: 'NoOp', input: ['^init_call'] },
      { name: 'serve_call', op: 'StatefulPartitionedCall', input: ['table', 'words'], attr: { f: { func: { name: 'serve_fn' } } } },
    ];
    const pkg = tfPackage(nodes, [[spec('words', 'string', [null]), 'words:0']], [[spec('ids', 'int64', [null]), 'serve_call:0']], ['saver_init'], [initFn, serveFn]);
    await expectBoth(pkg, { words: strings(['y', 'z', 'x']) }, { ids: { shape: [3], data: [8, 0, 7] } });
  });

  it('a table no init op fills is a load error naming the lookup and the table', async () => {
    const nodes = [
      ...table(DT.string, DT.int64, constant('keys', DT.string, ['a'], [1]), constant('values', DT.int64, [1], [1])),
      placeholder('x', DT.string, [-1]),
      constant('default', DT.int64, [-1]),
      { name: 'lookup', op: 'LookupTableFindV2', input: ['table', 'x', 'default'], attr: { Tin: { type: DT.string }, Tout: { type: DT.int64 } } },
    ];
    const pkg = tfPackage(nodes, [[spec('x', 'string', [null]), 'x:0']], [[spec('ids', 'int64', [null]), 'lookup:0']], []);
    await expect(load(pkg, { backend: 'cpu' })).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining("LookupTableFindV2 node 'lookup': table 'table' is not initialized") });
  });
});

const sparse = (prefix: string): [Spec, string][] => [
  [spec(`${prefix}_indices`, 'int64', [null, 2]), `${prefix}:0`],
  [spec(`${prefix}_values`, 'string', [null]), `${prefix}:1`],
  [spec(`${prefix}_shape`, 'int64', [2]), `${prefix}:2`],
];

describe('TF string ops', () => {
  it('StringSplitV2 (a separator, whitespace, maxsplit) and StringSplit (skip_empty) give the sparse tokens TF gives', async () => {
    const nodes = [
      placeholder('x', DT.string, [-1]),
      constant('space', DT.string, [' ']),
      constant('none', DT.string, ['']),
      { name: 'by_space', op: 'StringSplitV2', input: ['x', 'space'], attr: { maxsplit: { i: -1 } } },
      { name: 'by_blank', op: 'StringSplitV2', input: ['x', 'none'], attr: { maxsplit: { i: -1 } } },
      { name: 'once', op: 'StringSplitV2', input: ['x', 'space'], attr: { maxsplit: { i: 1 } } },
      { name: 'v1', op: 'StringSplit', input: ['x', 'space'], attr: { skip_empty: { b: true } } },
    ];
    const pkg = tfPackage(nodes, [[spec('x', 'string', [null]), 'x:0']], [...sparse('by_space'), ...sparse('by_blank'), ...sparse('once'), ...sparse('v1')]);
    const x = strings(['hello world', 'a b  c\td']);
    // Python: 'a b  c\td'.split(' ') = ['a', 'b', '', 'c\td']; .split() = ['a', 'b', 'c', 'd']; .split(' ', 1) = ['a', 'b  c\td'].
    const expected = {
      by_space_indices: { shape: [6, 2], data: [0, 0, 0, 1, 1, 0, 1, 1, 1, 2, 1, 3] },
      by_space_values: { shape: [6], data: ['hello', 'world', 'a', 'b', '', 'c\td'] },
      by_space_shape: { shape: [2], data: [2, 4] },
      by_blank_indices: { shape: [6, 2], data: [0, 0, 0, 1, 1, 0, 1, 1, 1, 2, 1, 3] },
      by_blank_values: { shape: [6], data: ['hello', 'world', 'a', 'b', 'c', 'd'] },
      by_blank_shape: { shape: [2], data: [2, 4] },
      once_indices: { shape: [4, 2], data: [0, 0, 0, 1, 1, 0, 1, 1] },
      once_values: { shape: [4], data: ['hello', 'world', 'a', 'b  c\td'] },
      once_shape: { shape: [2], data: [2, 2] },
      // v1 drops the empty token between the two spaces and numbers the rest 0, 1, 2.
      v1_indices: { shape: [5, 2], data: [0, 0, 0, 1, 1, 0, 1, 1, 1, 2] },
      v1_values: { shape: [5], data: ['hello', 'world', 'a', 'b', 'c\td'] },
      v1_shape: { shape: [2], data: [2, 3] },
    };
    expect(await onCpu(pkg, { x })).toEqual(expected);
    // onnxruntime-node 1.30's StringSplit without a delimiter splits on spaces only (the ONNX spec and TF say any
    // whitespace): 'c\td' stays one token there. Everything else matches.
    const ortOut = await onOnnxRuntime(pkg, { x });
    expect(ortOut.by_blank_values!.data).toEqual(['hello', 'world', 'a', 'b', 'c\td']);
    expect({ ...ortOut, by_blank_indices: undefined, by_blank_values: undefined, by_blank_shape: undefined }).toEqual({ ...expected, by_blank_indices: undefined, by_blank_values: undefined, by_blank_shape: undefined });
  });

  it('StringSplit (v1) with a set of several delimiter characters fails at load naming the node', async () => {
    const nodes = [placeholder('x', DT.string, [-1]), constant('delims', DT.string, [',;']), { name: 'split', op: 'StringSplit', input: ['x', 'delims'], attr: { skip_empty: { b: true } } }];
    const pkg = tfPackage(nodes, [[spec('x', 'string', [null]), 'x:0']], sparse('split'));
    await expect(load(pkg, { backend: 'cpu' })).rejects.toMatchObject({ code: 'OP_UNSUPPORTED', message: expect.stringContaining("StringSplit node 'split': a delimiter of 2 characters") });
  });

  it('StaticRegexFullMatch, RegexFullMatch and string Equal', async () => {
    const int32 = (name: string, from: string): NodeJson => ({ name, op: 'Cast', input: [from], attr: { SrcT: { type: DT.bool }, DstT: { type: DT.int32 } } });
    const nodes = [
      placeholder('x', DT.string, [-1]),
      { name: 'lower', op: 'StaticRegexFullMatch', input: ['x'], attr: { pattern: { s: btoa('[a-z]+') } } },
      constant('digits', DT.string, ['\\d+']),
      { name: 'number', op: 'RegexFullMatch', input: ['x', 'digits'] },
      constant('apple', DT.string, ['apple']),
      op('is_apple', 'Equal', ['x', 'apple'], DT.string),
      int32('lower_i', 'lower'), int32('number_i', 'number'), int32('is_apple_i', 'is_apple'),
    ];
    const pkg = tfPackage(nodes, [[spec('x', 'string', [null]), 'x:0']], [
      [spec('lower', 'int32', [null]), 'lower_i:0'], [spec('number', 'int32', [null]), 'number_i:0'], [spec('apple', 'int32', [null]), 'is_apple_i:0'],
    ]);
    await expectBoth(pkg, { x: strings(['apple', 'Apple', '123', 'a1']) }, {
      lower: { shape: [4], data: [1, 0, 0, 0] },
      number: { shape: [4], data: [0, 0, 1, 0] },
      apple: { shape: [4], data: [1, 0, 0, 0] },
    });
  });

  it('RegexReplace and StaticRegexReplace: every match or the first, RE2 group rewrites (cpu backend)', async () => {
    const nodes = [
      placeholder('x', DT.string, [-1]),
      { name: 'all', op: 'StaticRegexReplace', input: ['x'], attr: { pattern: { s: btoa('[0-9]+') }, rewrite: { s: btoa('#') }, replace_global: { b: true } } },
      { name: 'first', op: 'StaticRegexReplace', input: ['x'], attr: { pattern: { s: btoa('[0-9]+') }, rewrite: { s: btoa('#') }, replace_global: { b: false } } },
      constant('pattern', DT.string, ['(\\w+)@(\\w+)']),
      constant('rewrite', DT.string, ['\\2 at \\1 (\\0)']),
      { name: 'swap', op: 'RegexReplace', input: ['x', 'pattern', 'rewrite'], attr: { replace_global: { b: true } } },
    ];
    const pkg = tfPackage(nodes, [[spec('x', 'string', [null]), 'x:0']], [
      [spec('all', 'string', [null]), 'all:0'], [spec('first', 'string', [null]), 'first:0'], [spec('swap', 'string', [null]), 'swap:0'],
    ]);
    expect(await onCpu(pkg, { x: strings(['abc123def45', 'mail me@host now']) })).toEqual({
      all: { shape: [2], data: ['abc#def#', 'mail me@host now'] },
      first: { shape: [2], data: ['abc#def45', 'mail me@host now'] },
      swap: { shape: [2], data: ['abc123def45', 'mail host at me (me@host) now'] },
    });
    // The ONNX export names onnxruntime-extensions' op, which plain onnxruntime does not have.
    const { decodeOnnxModel } = await import('../onnx/decode.js');
    const exported = await decodeOnnxModel((await convert(pkg, 'onnx')).get('model.onnx')!, { source: 'regex.onnx' });
    expect(exported.graph.nodes.filter((n) => n.opType === 'StringRegexReplace').map((n) => n.domain)).toEqual(['ai.onnx.contrib', 'ai.onnx.contrib', 'ai.onnx.contrib']);
    expect(exported.opsets.get('ai.onnx.contrib')).toBe(1);
  });
});
