import { describe, expect, it } from 'vitest';
import { AttributeReader } from '../src/graph/attributes.js';
import type { AttributeValue } from '../src/graph/ir.js';
import { Tensor } from '../src/tensor/tensor.js';
import { attentionKernels } from './attention.js';
import { f32, rounded } from './kernel-harness.js';

// Expected values are worked by hand from the ONNX Attention / RotaryEmbedding equations.

function run(op: string, inputs: (Tensor | undefined)[], attrs: Record<string, AttributeValue> = {}, outputs = ['y']): Tensor[] {
  const kernel = attentionKernels.find((k) => k.op === op)!;
  const node = { name: op, opType: op, domain: '', inputs: [], outputs, attributes: new Map(Object.entries(attrs)) };
  return kernel.run(inputs, { node, attrs: new AttributeReader(node.attributes, node), opset: 23, runSubgraph: () => [] }) as Tensor[];
}

const float = (value: number): AttributeValue => ({ type: 'float', value });
// One query against two keys with scores 0 and ln 3 (scale 1): softmax weights 1/4 and 3/4 over values 0 and 4.
const q = f32([1, 1, 1, 1], [1]);
const k = f32([1, 1, 2, 1], [0, Math.log(3)]);
const v = f32([1, 1, 2, 1], [0, 4]);

describe('Attention', () => {
  it('weights values by the softmax of scaled scores: 1/4*0 + 3/4*4 = 3', () => {
    expect(rounded(run('Attention', [q, k, v], { scale: float(1) })[0]!)).toEqual([3]);
  });
  it('hides keys where a boolean mask is false', () => {
    const mask = new Tensor('bool', [1, 2], Uint8Array.of(0, 1));
    expect(rounded(run('Attention', [q, k, v, mask], { scale: float(1) })[0]!)).toEqual([4]);
  });
  it('pads a mask shorter than the keys with -inf', () => {
    expect(rounded(run('Attention', [q, k, v, f32([1, 1], [0])], { scale: float(1) })[0]!)).toEqual([0]);
  });
  it('caps scores before the softmax: tanh(ln 3) = 0.8 gives 4 e^0.8 / (1 + e^0.8)', () => {
    expect(rounded(run('Attention', [q, k, v], { scale: float(1), softcap: float(1) })[0]!, 4)).toEqual([2.7599]);
  });
  it('appends to the past cache and masks causally from the past length', () => {
    // past key 0 / value 0 then the new key ln 3 / value 4; the single query sits after the past, so sees both.
    const [y, presentK, , qk] = run('Attention', [q, f32([1, 1, 1, 1], [Math.log(3)]), f32([1, 1, 1, 1], [4]), undefined, f32([1, 1, 1, 1], [0]), f32([1, 1, 1, 1], [0])],
      { scale: float(1), is_causal: { type: 'int', value: 1 }, qk_matmul_output_mode: { type: 'int', value: 3 } }, ['y', 'pk', 'pv', 'qk']);
    expect(rounded(y!)).toEqual([3]);
    expect(presentK!.shape).toEqual([1, 1, 2, 1]);
    expect(rounded(qk!)).toEqual([0.25, 0.75]);
  });
  it('shares one key/value head between two query heads and keeps the 3-D layout', () => {
    const [y] = run('Attention', [f32([1, 1, 2], [1, 0]), f32([1, 2, 1], [0, Math.log(3)]), f32([1, 2, 1], [0, 4])],
      { scale: float(1), q_num_heads: { type: 'int', value: 2 }, kv_num_heads: { type: 'int', value: 1 } });
    // head 0 (q = 1) weights 1/4, 3/4; head 1 (q = 0) weights 1/2, 1/2.
    expect(y!.shape).toEqual([1, 1, 2]);
    expect(rounded(y!)).toEqual([3, 2]);
  });
});

describe('RotaryEmbedding', () => {
  const x = f32([1, 1, 1, 4], [1, 2, 3, 4]);
  const cos = f32([1, 2], [0, 1]);
  const sin = f32([1, 2], [1, 0]);
  const ids = new Tensor('int64', [1, 1], BigInt64Array.of(0n));
  it('rotates (x[i], x[i + d/2]) pairs: angle pi/2 for the first, 0 for the second', () => {
    expect(rounded(run('RotaryEmbedding', [x, cos, sin, ids])[0]!)).toEqual([-3, 2, 1, 4]);
  });
  it('rotates adjacent pairs when interleaved', () => {
    expect(rounded(run('RotaryEmbedding', [x, cos, sin, ids], { interleaved: { type: 'int', value: 1 } })[0]!)).toEqual([-2, 1, 3, 4]);
  });
});
