import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { load } from '../../api/model.js';
import { readNpy } from '../../testing/npy.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { Tensor } from '../../tensor/tensor.js';
import { wasmKernelModules } from './wasm-modules-instance.js';

const shared = sharedOrSkip('bench models on the wasm backend');

/** Largest |a - e| beyond rtol 1e-4, atol 1e-5 (float32 sums in a blocked order differ from torch's by ulps). */
function worstExcess(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) - 1e-4 * Math.abs(expected[i]!) - 1e-5);
  return worst;
}

const npy = (...parts: string[]) => readNpy(new Uint8Array(readFileSync(sharedPath(...parts))));

// Traced torchvision / torch.nn models; output.npy computed by torch 1.13 (../shared/bench/<name>).
describe.runIf(shared)('bench models on the wasm backend match torch outputs', () => {
  for (const name of ['mobilenet_v2', 'squeezenet1_1', 'encoder_mini', 'lstm_tagger']) {
    it(`${name}: output.npy within rtol 1e-4, atol 1e-5, its Conv/Gemm/MatMul (fused or not) on wasm`, async () => {
      const model = await load(sharedPath('bench', name, `${name}.neuropod`), { backend: 'wasm', worker: false });
      try {
        expect(model.backend).toBe('wasm');
        const input = npy('bench', name, 'input.npy'), want = npy('bench', name, 'output.npy');
        const out = Object.values(await model.infer({ [model.inputs[0]!.name]: input }))[0]!;
        expect(out.shape).toEqual(want.shape);
        expect(worstExcess(out.numeric as Float32Array, want.numeric as Float32Array)).toBeLessThanOrEqual(0);
        const onWasm = model.profile().filter((t) => ['Conv', 'FusedConv', 'Gemm', 'FusedGemm', 'MatMul'].includes(t.op));
        expect(onWasm.length).toBeGreaterThan(0);
        expect(onWasm.filter((t) => t.backend !== 'wasm')).toEqual([]);
      } finally {
        await model.dispose();
      }
    }, 300_000);
  }
});

/** act(x·W + b) with W, b initializers, in a bare ONNX graph built by hand. */
async function denseModel(act: string, dtype: 'float32' | 'float64' = 'float32'): Promise<Uint8Array> {
  const { encodeOnnxModel } = await import('../../formats/onnx/encode.js');
  const Array = dtype === 'float32' ? Float32Array : Float64Array;
  const w = new Tensor(dtype, [3, 2], Array.of(1, 0, 0, 1, 1, 1)), b = new Tensor(dtype, [2], Array.of(-10, 1));
  const graph = {
    name: 'dense', inputs: [{ name: 'x', type: { kind: 'tensor' as const, dtype, shape: [1, 3] } }], outputs: [{ name: 'y', type: { kind: 'tensor' as const, dtype, shape: [1, 2] } }],
    initializers: new Map([['w', w], ['b', b]]),
    nodes: [
      { name: 'gemm', opType: 'Gemm', domain: '', inputs: ['x', 'w', 'b'], outputs: ['z'], attributes: new Map() },
      { name: 'act', opType: act, domain: '', inputs: ['z'], outputs: ['y'], attributes: new Map() },
    ],
  };
  return encodeOnnxModel({ graph, opsets: new Map([['', 13]]) });
}

const X = (dtype: 'float32' | 'float64' = 'float32') => new Tensor(dtype, [1, 3], (dtype === 'float32' ? Float32Array : Float64Array).of(1, 2, 3));

describe('wasm backend', () => {
  it('fuses Gemm + Relu into one wasm FusedGemm ([1,2,3]·W + b = [-6, 6] -> [0, 6])', async () => {
    const model = await load(await denseModel('Relu'), { backend: 'wasm', worker: false });
    expect([...(await model.infer({ x: X() })).y!.numeric]).toEqual([0, 6]);
    expect(model.profile().map((t) => [t.node, t.op, t.backend])).toEqual([['gemm', 'FusedGemm', 'wasm']]);
    await model.dispose();
  });

  it('runs an op without a wasm kernel on the reference, and the profile says so (Neg: [6, -6])', async () => {
    const model = await load(await denseModel('Neg'), { backend: 'wasm', worker: false });
    expect([...(await model.infer({ x: X() })).y!.numeric]).toEqual([6, -6]);
    expect(model.profile().map((t) => [t.node, t.backend])).toEqual([['gemm', 'wasm'], ['act', 'cpu']]);
    await model.dispose();
  });

  it('hands a float64 Gemm to the reference and reports it as cpu', async () => {
    const model = await load(await denseModel('Neg', 'float64'), { backend: 'wasm', worker: false });
    expect([...(await model.infer({ x: X('float64') })).y!.numeric]).toEqual([6, -6]);
    expect(model.profile().map((t) => [t.node, t.backend])).toEqual([['gemm', 'cpu'], ['act', 'cpu']]);
    await model.dispose();
  });

  it('keeps wasm memory flat across 200 inferences, and dispose frees the packed weights', async () => {
    const heap = (await wasmKernelModules()).heap, before = heap.liveBytes;
    const model = await load(await denseModel('Relu'), { backend: 'wasm', worker: false });
    await model.infer({ x: X() });
    const live = heap.liveBytes, size = heap.byteLength;
    expect(live).toBeGreaterThan(before);
    for (let i = 0; i < 200; i++) await model.infer({ x: X() });
    expect([heap.liveBytes, heap.byteLength]).toEqual([live, size]);
    await model.dispose();
    expect(heap.liveBytes).toBe(before);
  });
});
