import { readdirSync, readFileSync } from 'node:fs';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { Graph, Model } from '../../graph/ir.js';
import { Tensor } from '../../tensor/tensor.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { decodeOnnxModel } from './decode.js';
import { encodeOnnxModel } from './encode.js';

const f32 = (shape: number[], values: number[]): Tensor => new Tensor('float32', shape, Float32Array.from(values));

const body: Graph = {
  name: 'then',
  nodes: [{ name: 'id', opType: 'Identity', domain: '', inputs: ['x'], outputs: ['z'], attributes: new Map() }],
  inputs: [],
  outputs: [{ name: 'z', type: { kind: 'tensor', dtype: 'float32', shape: [null, 'w'] } }],
  initializers: new Map(),
};

/** Every attribute kind, every storage layout of initializers, every ValueType kind. */
const model: Model = {
  opsets: new Map([['', 21], ['com.microsoft', 1]]),
  graph: {
    name: 'everything',
    nodes: [
      {
        name: 'n0', opType: 'Custom', domain: 'com.microsoft', inputs: ['x', '', 'w'], outputs: ['y', 'seq'],
        attributes: new Map([
          ['f', { type: 'float', value: 0.5 }],
          ['i', { type: 'int', value: -(2 ** 40) }],
          ['end', { type: 'int', value: 9223372036854775807 }],
          ['s', { type: 'string', value: 'ünïcode' }],
          ['t', { type: 'tensor', value: f32([2], [1, -1]) }],
          ['g', { type: 'graph', value: body }],
          ['fs', { type: 'floats', value: [0.25, -8] }],
          ['is', { type: 'ints', value: [0, 3, -1] }],
          ['ss', { type: 'strings', value: ['a', ''] }],
          ['ts', { type: 'tensors', value: [new Tensor('int32', [0], new Int32Array(0))] }],
          ['gs', { type: 'graphs', value: [body, body] }],
          ['tp', { type: 'type', value: { kind: 'sequence', elem: { kind: 'tensor', dtype: 'int64', shape: [] } } }],
        ]),
      },
    ],
    inputs: [{ name: 'x', type: { kind: 'tensor', dtype: 'float32', shape: ['n', 3, null] } }, { name: 'w' }],
    outputs: [
      { name: 'y', type: { kind: 'optional', elem: { kind: 'tensor', dtype: 'float16' } } },
      { name: 'seq', type: { kind: 'sequence', elem: { kind: 'tensor', dtype: 'bool', shape: [2] } } },
    ],
    initializers: new Map<string, Tensor>([
      ['w', f32([2, 1], [3.5, NaN])],
      ['i64', new Tensor('int64', [2], BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]))],
      ['u64', new Tensor('uint64', [1], BigUint64Array.from([2n ** 64n - 1n]))],
      ['str', new Tensor('string', [2], ['x', 'ÿ'])],
      ['flag', new Tensor('bool', [3], Uint8Array.from([1, 0, 1]))],
      ['half', new Tensor('float16', [1], Uint16Array.from([0x3c00]))],
      ['nibbles', new Tensor('int4', [3], Int8Array.from([-8, 7, -1]))],
      ['unibbles', new Tensor('uint4', [1], Uint8Array.from([15]))],
      ['f8', new Tensor('float8e4m3fn', [1], Uint8Array.from([0x7e]))],
    ]),
    valueInfo: [{ name: 'mid', type: { kind: 'tensor', dtype: 'float64', shape: [1] } }],
  },
};

describe('encodeOnnxModel', () => {
  it('round-trips: decode(encode(m)) equals m', async () => {
    const back = await decodeOnnxModel(encodeOnnxModel(model), { source: 'round trip' });
    expect(back.opsets).toEqual(model.opsets);
    const { attributes, ...node } = back.graph.nodes[0]!;
    const { attributes: expectedAttributes, ...expectedNode } = model.graph.nodes[0]!;
    expect(node).toEqual(expectedNode);
    // INT64_MAX is 2^63 as a JS number both ways; saturating keeps it from wrapping to INT64_MIN.
    expect(attributes).toEqual(expectedAttributes);
    expect({ ...back.graph, nodes: [] }).toEqual({ ...model.graph, nodes: [] });
  });

  it('writes a model onnxruntime-node runs: y = Relu(x + b)', async () => {
    const relu: Model = {
      opsets: new Map([['', 13]]),
      graph: {
        name: 'relu',
        nodes: [
          { name: 'add', opType: 'Add', domain: '', inputs: ['x', 'b'], outputs: ['s'], attributes: new Map() },
          { name: 'relu', opType: 'Relu', domain: '', inputs: ['s'], outputs: ['y'], attributes: new Map() },
        ],
        inputs: [{ name: 'x', type: { kind: 'tensor', dtype: 'float32', shape: ['n', 2] } }],
        outputs: [{ name: 'y', type: { kind: 'tensor', dtype: 'float32', shape: ['n', 2] } }],
        initializers: new Map([['b', f32([2], [1, -3])]]),
      },
    };
    const session = await InferenceSession.create(encodeOnnxModel(relu));
    const out = await session.run({ x: new OrtTensor('float32', Float32Array.from([1, 2, -4, 5]), [2, 2]) });
    // [1+1, 2-3, -4+1, 5-3] through Relu
    expect(Array.from(out.y!.data as Float32Array)).toEqual([2, 0, 0, 2]);
    expect(out.y!.dims).toEqual([2, 2]);
  });
});

const hasNodeTests = sharedOrSkip('ONNX node test models');

// A skipped describe's body still runs to collect its tests, so nothing in it may touch ../shared when it is absent.
describe.runIf(hasNodeTests)('re-encoding ONNX node test models', () => {
  // Models with subgraphs, sequences, optionals and packed dtypes: the parts of the format most likely to drift.
  const names = !hasNodeTests ? [] : readdirSync(sharedPath('conformance/onnx-node')).filter((n) => /^test_(if|loop|scan|sequence_map|optional|cast_FLOAT_to_U?INT4|string_split)/.test(n));

  it(`keeps the lowered model of ${names.length} node tests unchanged`, async () => {
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) {
      const bytes = readFileSync(sharedPath('conformance/onnx-node', name, 'model.onnx'));
      const first = await decodeOnnxModel(bytes, { source: name });
      const second = await decodeOnnxModel(encodeOnnxModel(first), { source: `${name} re-encoded` });
      expect({ name, graph: second.graph, opsets: second.opsets }).toEqual({ name, graph: first.graph, opsets: first.opsets });
    }
  });
});
