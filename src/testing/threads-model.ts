import { Rng } from './random-op-cases.js';

/**
 * x [2, 16, 32, 32] -> Conv 3×3 (32 out, pads 1, bias) + Relu -> depthwise 3×3 stride 2 -> y; and
 * u [64, 256] -> Gemm (W [256, 200] transB 0, bias) -> MatMul [200, 96] -> v: each op past the pool's size floor.
 */
export async function convAndGemmModel(): Promise<Uint8Array> {
  const { encodeOnnxModel } = await import('../formats/onnx/encode.js');
  const rng = new Rng(5);
  const ints = (value: number[]) => ({ type: 'ints' as const, value });
  const graph = {
    name: 'threads', inputs: [{ name: 'x' }, { name: 'u' }], outputs: [{ name: 'y' }, { name: 'v' }],
    initializers: new Map([
      ['w1', rng.floats([32, 16, 3, 3])], ['b1', rng.floats([32])], ['w2', rng.floats([32, 1, 3, 3])], ['b2', rng.floats([32])],
      ['g', rng.floats([256, 200])], ['gb', rng.floats([200])], ['h', rng.floats([200, 96])],
    ]),
    nodes: [
      { name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'w1', 'b1'], outputs: ['a'], attributes: new Map([['pads', ints([1, 1, 1, 1])]]) },
      { name: 'relu', opType: 'Relu', domain: '', inputs: ['a'], outputs: ['r'], attributes: new Map() },
      { name: 'dw', opType: 'Conv', domain: '', inputs: ['r', 'w2', 'b2'], outputs: ['y'], attributes: new Map<string, unknown>([['pads', ints([1, 1, 1, 1])], ['strides', ints([2, 2])], ['group', { type: 'int' as const, value: 32 }]]) },
      { name: 'gemm', opType: 'Gemm', domain: '', inputs: ['u', 'g', 'gb'], outputs: ['z'], attributes: new Map() },
      { name: 'matmul', opType: 'MatMul', domain: '', inputs: ['z', 'h'], outputs: ['v'], attributes: new Map() },
    ],
  };
  return encodeOnnxModel({ graph, opsets: new Map([['', 13]]) } as never);
}
