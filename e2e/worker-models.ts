import type { Graph, Node } from '../src/graph/ir.js';
import { encodeOnnxModel } from '../src/formats/onnx/encode.js';
import { tensor } from '../src/tensor/tensor.js';

const f32 = (shape: number[]) => ({ kind: 'tensor' as const, dtype: 'float32' as const, shape });

/**
 * y = x @ M @ M ... (`steps` MatMuls) with M the n x n matrix of 1/n (n a power of two): slow on the cpu reference
 * kernels (n^3 multiply-adds per step, all dense) and exact in float32 for an x whose rows are each one small
 * integer, which every step maps to itself (each row's mean): y = x.
 */
export function averagingChainOnnx(n: number, steps: number): Uint8Array {
  const half = new Float32Array(n * n).fill(1 / n);
  const nodes: Node[] = [];
  for (let s = 0; s < steps; s++) {
    nodes.push({ name: `matmul_${s}`, opType: 'MatMul', domain: '', inputs: [s === 0 ? 'x' : `h${s}`, 'H'], outputs: [s === steps - 1 ? 'y' : `h${s + 1}`], attributes: new Map() });
  }
  const graph: Graph = { name: 'averaging_chain', nodes, inputs: [{ name: 'x', type: f32([n, n]) }], outputs: [{ name: 'y', type: f32([n, n]) }], initializers: new Map([['H', tensor(half, [n, n])]]) };
  return new Uint8Array(encodeOnnxModel({ graph, opsets: new Map([['', 13]]) }));
}

/** y = Identity(W): an output whose storage is the model's own weight, which the Worker must copy, not transfer. */
export function weightEchoOnnx(): Uint8Array {
  const graph: Graph = {
    name: 'weight_echo',
    nodes: [{ name: 'echo', opType: 'Identity', domain: '', inputs: ['W'], outputs: ['y'], attributes: new Map() }],
    inputs: [],
    outputs: [{ name: 'y', type: f32([3]) }],
    initializers: new Map([['W', tensor(new Float32Array([1.5, -2, 4]), [3])]]),
  };
  return new Uint8Array(encodeOnnxModel({ graph, opsets: new Map([['', 13]]) }));
}
