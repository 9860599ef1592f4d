import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNeuropodError } from '../../api/errors.js';
import { Optional, Sequence } from '../../graph/value.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { decodeOnnxModel, readOptionalProto, readSequenceProto, readTensorProto } from './decode.js';
import { ModelProtoType, OptionalProtoType, SequenceProtoType, TensorProtoType } from './schema.js';
import { tensorFromProto } from './tensor-proto.js';
import type { Tensor } from '../../tensor/tensor.js';

const valuesOf = (t: Tensor): (number | bigint)[] => Array.from(t.numeric as ArrayLike<number | bigint>);

const encodeModel = (m: object): Uint8Array => ModelProtoType.encode(ModelProtoType.fromObject(m)).finish();
const tensorMsg = (t: object) => TensorProtoType.decode(TensorProtoType.encode(TensorProtoType.fromObject(t)).finish()) as never;

async function decodeError(bytes: Uint8Array, source = 'm.onnx'): Promise<{ code: string; message: string }> {
  try {
    await decodeOnnxModel(bytes, { source });
  } catch (e) {
    if (isNeuropodError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('decoding succeeded');
}

/** y = Add(x, b) with b an initializer: the smallest graph exercising types, shapes, attributes-free nodes. */
const addModel = {
  ir_version: 8,
  opset_import: [{ domain: '', version: 13 }],
  producer_name: 'hand',
  graph: {
    name: 'g',
    node: [{ op_type: 'Add', input: ['x', 'b'], output: ['y'], name: 'add' }],
    initializer: [{ name: 'b', data_type: 1, dims: [2], raw_data: new Uint8Array(new Float32Array([1.5, -2]).buffer) }],
    input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'n' }, { dim_value: 2 }] } } } }],
    output: [{ name: 'y', type: { tensor_type: { elem_type: 1, shape: { dim: [{}, { dim_value: 2 }] } } } }],
  },
};

describe('decodeOnnxModel', () => {
  it('lowers graph, initializers, value types and opsets', async () => {
    const model = await decodeOnnxModel(encodeModel(addModel), { source: 'add.onnx' });
    expect(model.opsets).toEqual(new Map([['', 13]]));
    expect(model.metadata).toMatchObject({ format: 'onnx', ir_version: '8', producer_name: 'hand' });
    expect(model.graph.nodes).toEqual([{ name: 'add', opType: 'Add', domain: '', inputs: ['x', 'b'], outputs: ['y'], attributes: new Map() }]);
    expect(model.graph.inputs).toEqual([{ name: 'x', type: { kind: 'tensor', dtype: 'float32', shape: ['n', 2] } }]);
    expect(model.graph.outputs[0]!.type!.shape).toEqual([null, 2]);
    const b = model.graph.initializers.get('b')!;
    expect([b.dtype, b.shape, valuesOf(b)]).toEqual(['float32', [2], [1.5, -2]]);
  });

  it('rejects a truncated model naming the source and the decoding failure', async () => {
    const bytes = encodeModel(addModel);
    const err = await decodeError(bytes.subarray(0, bytes.length - 7), 'pkg/0/data/model.onnx');
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/^pkg\/0\/data\/model\.onnx is not an ONNX model .*index out of range/);
  });

  it('rejects a file of another format', async () => {
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]);
    expect((await decodeError(zip)).code).toBe('MODEL_INVALID');
  });

  it('rejects a ModelProto without a graph', async () => {
    const err = await decodeError(encodeModel({ ir_version: 8, opset_import: [{ domain: '', version: 13 }] }));
    expect(err).toEqual({ code: 'MODEL_INVALID', message: 'm.onnx is not an ONNX model: it has no graph' });
  });

  it('types attributes, including subgraphs and ints beyond 2^31', async () => {
    const attrs = [
      { name: 'f', type: 1, f: 0.5 }, { name: 'i', type: 2, i: '4294967296' }, { name: 's', type: 3, s: Buffer.from('héllo') },
      { name: 'ints', type: 7, ints: [1, -2] }, { name: 'floats', type: 6, floats: [0.25] },
      { name: 'strings', type: 8, strings: [Buffer.from('a'), Buffer.from('')] },
      { name: 'g', type: 5, g: { name: 'body', node: [{ op_type: 'Identity', input: ['x'], output: ['z'] }], output: [{ name: 'z' }] } },
      { name: 'untyped', i: 3 },
    ];
    const model = await decodeOnnxModel(encodeModel({ ...addModel, graph: { ...addModel.graph, node: [{ op_type: 'Custom', input: ['x'], output: ['y'], attribute: attrs }] } }), { source: 'a' });
    const a = model.graph.nodes[0]!.attributes;
    expect(a.get('f')).toEqual({ type: 'float', value: 0.5 });
    expect(a.get('i')).toEqual({ type: 'int', value: 4294967296 });
    expect(a.get('s')).toEqual({ type: 'string', value: 'héllo' });
    expect(a.get('ints')).toEqual({ type: 'ints', value: [1, -2] });
    expect(a.get('floats')).toEqual({ type: 'floats', value: [0.25] });
    expect(a.get('strings')).toEqual({ type: 'strings', value: ['a', ''] });
    expect(a.get('untyped')).toEqual({ type: 'int', value: 3 });
    const g = a.get('g');
    expect(g?.type === 'graph' && g.value.nodes.map((n) => n.opType)).toEqual(['Identity']);
  });

  it('reads external data by location, offset and length', async () => {
    const file = new Uint8Array(12);
    new Float32Array(file.buffer).set([9, 7, 5]);
    const external = { name: 'b', data_type: 1, dims: [2], data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '4' }, { key: 'length', value: '8' }] };
    const asked: string[] = [];
    const model = await decodeOnnxModel(encodeModel({ ...addModel, graph: { ...addModel.graph, initializer: [external] } }), {
      source: 'x',
      externalData: async (location) => (asked.push(location), file),
    });
    expect(asked).toEqual(['w.bin']);
    expect(valuesOf(model.graph.initializers.get('b')!)).toEqual([7, 5]);
  });

  it('inlines a model-local function, binding ref_attr_name to the call or the default', async () => {
    const fn = {
      name: 'Scaled', domain: 'local', input: ['a'], output: ['out'], attribute_proto: [{ name: 'alpha', type: 1, f: 2 }],
      node: [
        { op_type: 'Constant', output: ['k'], attribute: [{ name: 'value_float', type: 1, ref_attr_name: 'alpha' }] },
        { op_type: 'Mul', input: ['a', 'k'], output: ['out'] },
      ],
      opset_import: [{ domain: '', version: 13 }],
    };
    const graph = {
      ...addModel.graph, initializer: [],
      node: [
        { op_type: 'Scaled', domain: 'local', input: ['x'], output: ['t'], name: 'c1', attribute: [{ name: 'alpha', type: 1, f: 3 }] },
        { op_type: 'Scaled', domain: 'local', input: ['t'], output: ['y'], name: 'c2' },
      ],
    };
    const model = await decodeOnnxModel(encodeModel({ ...addModel, opset_import: [{ domain: '', version: 13 }, { domain: 'local', version: 1 }], functions: [fn], graph }), { source: 'f' });
    const nodes = model.graph.nodes.map((n) => [n.opType, n.inputs.join(','), n.outputs.join(','), n.attributes.get('value_float')?.value]);
    expect(nodes).toEqual([
      ['Constant', '', 'c1__call0/k', 3],
      ['Mul', 'x,c1__call0/k', 't', undefined],
      ['Constant', '', 'c2__call1/k', 2],
      ['Mul', 't,c2__call1/k', 'y', undefined],
    ]);
  });
});

describe('tensorFromProto', () => {
  it('unpacks int4 raw_data low nibble first, sign-extended (onnx.proto packing rule)', () => {
    const t = tensorFromProto(tensorMsg({ data_type: 22, dims: [3], raw_data: new Uint8Array([0x8f, 0x07]) }));
    expect([t.dtype, valuesOf(t)]).toEqual(['int4', [-1, -8, 7]]);
  });

  it('unpacks uint4 from int32_data, two values an int32', () => {
    const t = tensorFromProto(tensorMsg({ data_type: 21, dims: [4], int32_data: [0x21, 0xf3] }));
    expect(valuesOf(t)).toEqual([1, 2, 3, 15]);
  });

  it('keeps float16 bits from int32_data and int64 extremes from int64_data', () => {
    const half = tensorFromProto(tensorMsg({ data_type: 10, dims: [2], int32_data: [0x3c00, 0xc000] }));
    expect([half.dtype, valuesOf(half)]).toEqual(['float16', [0x3c00, 0xc000]]);
    const big = tensorFromProto(tensorMsg({ data_type: 7, dims: [2], int64_data: ['-9223372036854775808', '9223372036854775807'] }));
    expect(valuesOf(big)).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    const u64 = tensorFromProto(tensorMsg({ data_type: 13, dims: [1], uint64_data: ['18446744073709551615'] }));
    expect(valuesOf(u64)).toEqual([2n ** 64n - 1n]);
  });

  it('reads strings as UTF-8 and bools as 0/1', () => {
    const s = tensorFromProto(tensorMsg({ data_type: 8, dims: [2], string_data: [Buffer.from('ü'), Buffer.from('')] }));
    expect(s.data).toEqual(['ü', '']);
    const b = tensorFromProto(tensorMsg({ data_type: 9, dims: [3], int32_data: [1, 0, 1] }));
    expect([b.dtype, valuesOf(b)]).toEqual(['bool', [1, 0, 1]]);
  });

  it('rejects raw_data whose length does not fit the shape', () => {
    expect(() => tensorFromProto(tensorMsg({ name: 'w', data_type: 1, dims: [3], raw_data: new Uint8Array(8) }))).toThrow(
      "tensor 'w': raw_data has 8 bytes, its float32 shape needs 12",
    );
  });
});

describe('test-data readers', () => {
  it('reads SequenceProto and OptionalProto values', () => {
    const seq = readSequenceProto(SequenceProtoType.encode(SequenceProtoType.fromObject({ elem_type: 1, tensor_values: [{ data_type: 6, dims: [1], int32_data: [4] }] })).finish());
    expect(seq).toBeInstanceOf(Sequence);
    expect(Array.from((seq.items[0] as { numeric: Int32Array }).numeric)).toEqual([4]);
    const empty = readOptionalProto(OptionalProtoType.encode(OptionalProtoType.fromObject({ elem_type: 1 })).finish());
    expect(empty).toEqual(new Optional(undefined));
  });

  it.runIf(sharedOrSkip('ONNX node test data'))('reads test_add_bcast inputs with the values onnx wrote', async () => {
    const dir = sharedPath('conformance/onnx-node/test_add_bcast');
    const model = await decodeOnnxModel(readFileSync(`${dir}/model.onnx`), { source: 'test_add_bcast' });
    expect(model.graph.inputs.map((i) => [i.name, i.type?.shape])).toEqual([['x', [3, 4, 5]], ['y', [5]]]);
    const x = readTensorProto(readFileSync(`${dir}/test_data_set_0/input_0.pb`));
    const y = readTensorProto(readFileSync(`${dir}/test_data_set_0/input_1.pb`));
    const sum = readTensorProto(readFileSync(`${dir}/test_data_set_0/output_0.pb`));
    expect(x.shape).toEqual([3, 4, 5]);
    // output_0 is x + y (y broadcast along the last axis) as numpy computed it in float32
    expect(valuesOf(sum)).toEqual(valuesOf(x).map((v, i) => Math.fround(Number(v) + Number(y.numeric[i % 5]))));
  });
});
