import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { load } from '../../api/model.js';
import { readNpy } from '../../testing/npy.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { Rng } from '../../testing/random-op-cases.js';
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

/** x -> Conv -> a; b = Identity(a) before a's last reader, Conv(a) -> c, Shape(c) -> s: a wasm output read in place, passed on unread, and read only for its shape. */
async function chainModel(): Promise<Uint8Array> {
  const { encodeOnnxModel } = await import('../../formats/onnx/encode.js');
  const rng = new Rng(21);
  const graph = {
    name: 'chain', inputs: [{ name: 'x' }], outputs: [{ name: 'b' }, { name: 'c' }, { name: 's' }],
    initializers: new Map([['w1', rng.floats([3, 2, 3, 3])], ['w2', rng.floats([2, 3, 1, 1])]]),
    nodes: [
      { name: 'conv1', opType: 'Conv', domain: '', inputs: ['x', 'w1'], outputs: ['a'], attributes: new Map([['pads', { type: 'ints' as const, value: [1, 1, 1, 1] }]]) },
      { name: 'identity', opType: 'Identity', domain: '', inputs: ['a'], outputs: ['b'], attributes: new Map() },
      { name: 'conv2', opType: 'Conv', domain: '', inputs: ['a', 'w2'], outputs: ['c'], attributes: new Map() },
      { name: 'shape', opType: 'Shape', domain: '', inputs: ['c'], outputs: ['s'], attributes: new Map() },
    ],
  };
  return encodeOnnxModel({ graph, opsets: new Map([['', 13]]) } as never);
}

/**
 * x [seq 5, batch 1, 4] -> GRU (hidden 6) -> y [5, 1, 1, 6] -> Squeeze -> Reshape [5, 6] (both views of the GRU's
 * block) -> MatMul w [6, 3]; and Flatten(y) -> MatMul, read after the Squeeze/Reshape chain freed y's own name.
 */
async function recurrentModel(): Promise<Uint8Array> {
  const { encodeOnnxModel } = await import('../../formats/onnx/encode.js');
  const rng = new Rng(23);
  const ints = (name: string, values: number[]) => [name, new Tensor('int64', [values.length], BigInt64Array.from(values.map(BigInt)))] as const;
  const graph = {
    name: 'recurrent', inputs: [{ name: 'x' }], outputs: [{ name: 'z' }, { name: 'f' }],
    initializers: new Map<string, Tensor>([['W', rng.floats([1, 18, 4], -0.5, 0.5)], ['R', rng.floats([1, 18, 6], -0.5, 0.5)], ['B', rng.floats([1, 36])],
      ['w', rng.floats([6, 3])], ['w30', rng.floats([30, 2])], ints('axes', [1, 2]), ints('shape', [5, 6])]),
    nodes: [
      { name: 'gru', opType: 'GRU', domain: '', inputs: ['x', 'W', 'R', 'B'], outputs: ['y', 'yh'], attributes: new Map([['hidden_size', { type: 'int' as const, value: 6 }]]) },
      { name: 'squeeze', opType: 'Squeeze', domain: '', inputs: ['y', 'axes'], outputs: ['s'], attributes: new Map() },
      { name: 'flatten', opType: 'Flatten', domain: '', inputs: ['y'], outputs: ['fy'], attributes: new Map([['axis', { type: 'int' as const, value: 0 }]]) },
      { name: 'reshape', opType: 'Reshape', domain: '', inputs: ['s', 'shape'], outputs: ['r'], attributes: new Map() },
      { name: 'matmul', opType: 'MatMul', domain: '', inputs: ['r', 'w'], outputs: ['z'], attributes: new Map() },
      { name: 'matmul30', opType: 'MatMul', domain: '', inputs: ['fy', 'w30'], outputs: ['f'], attributes: new Map() },
    ],
  };
  return encodeOnnxModel({ graph, opsets: new Map([['', 13]]) } as never);
}

describe('wasm backend', () => {
  it('runs Squeeze/Reshape/Flatten of a resident output as views of its block, read after the original name is freed (same values as cpu)', async () => {
    const bytes = await recurrentModel(), x = new Rng(24).floats([5, 1, 4]);
    const cpu = await load(bytes, { backend: 'cpu', worker: false }), wasm = await load(bytes, { backend: 'wasm', worker: false });
    const want = await cpu.infer({ x }), got = await wasm.infer({ x });
    expect(wasm.profile().map((t) => [t.node, t.backend])).toEqual(
      [['gru', 'wasm'], ['squeeze', 'wasm'], ['flatten', 'wasm'], ['reshape', 'wasm'], ['matmul', 'wasm'], ['matmul30', 'wasm']]);
    for (const name of ['z', 'f']) {
      expect(got[name]!.shape).toEqual(want[name]!.shape);
      const diff = Math.max(...Array.from(got[name]!.numeric as Float32Array, (v, i) => Math.abs(v - (want[name]!.numeric as Float32Array)[i]!)));
      expect(diff, name).toBeLessThan(1e-5);
    }
    await Promise.all([cpu.dispose(), wasm.dispose()]);
  });

  it('keeps wasm outputs resident between wasm kernels, copying out what is passed on or returned (same values as cpu)', async () => {
    const bytes = await chainModel(), x = new Rng(22).floats([1, 2, 5, 5]);
    const cpu = await load(bytes, { backend: 'cpu', worker: false }), wasm = await load(bytes, { backend: 'wasm', worker: false });
    const heap = (await wasmKernelModules()).heap;
    const want = await cpu.infer({ x });
    await wasm.infer({ x });
    const live = heap.liveBytes;
    for (let run = 0; run < 3; run++) {
      // Packed weights stay from the first run; nothing else outlives a run.
      const got = await wasm.infer({ x });
      expect(heap.liveBytes).toBe(live);
      expect([...got.s!.numeric]).toEqual([1n, 2n, 5n, 5n]);
      for (const name of ['b', 'c']) {
        expect(got[name]!.shape).toEqual(want[name]!.shape);
        const diff = Math.max(...Array.from(got[name]!.numeric as Float32Array, (v, i) => Math.abs(v - (want[name]!.numeric as Float32Array)[i]!)));
        expect(diff).toBeLessThan(1e-5);
      }
    }
    await Promise.all([cpu.dispose(), wasm.dispose()]);
  });


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

  // Gemm + Relu (FusedGemm); Conv -> Identity/Conv -> Shape (outputs passed on and copied out); GRU -> views ->
  // MatMul (resident blocks shared by views). Live bytes and the memory's size after the first run (weights packed)
  // must stay exactly the same over 1000 more.
  const flatCases: [string, () => Promise<Uint8Array>, () => Record<string, Tensor>][] = [
    ['Gemm + Relu', () => denseModel('Relu'), () => ({ x: X() })],
    ['Conv, Identity, Shape', chainModel, () => ({ x: new Rng(22).floats([1, 2, 5, 5]) })],
    ['GRU, Squeeze, Reshape, Flatten, MatMul', recurrentModel, () => ({ x: new Rng(24).floats([5, 1, 4]) })],
  ];
  // On one thread (the plain memory) and on two (the shared memory, where the pool's control block comes and goes with the model).
  for (const [label, bytes, feeds] of flatCases) for (const threads of [1, 2]) {
    it(`keeps wasm memory flat across 1000 inferences (${label}, ${threads} thread${threads > 1 ? 's' : ''}), and dispose frees the packed weights`, async () => {
      const heap = (await wasmKernelModules(threads > 1)).heap, before = heap.liveBytes;
      const model = await load(await bytes(), { backend: 'wasm', worker: false, threads }), inputs = feeds();
      await model.infer(inputs);
      const live = heap.liveBytes, size = heap.byteLength;
      expect(live).toBeGreaterThan(before);
      for (let i = 0; i < 1000; i++) await model.infer(inputs);
      expect([heap.liveBytes, heap.byteLength]).toEqual([live, size]);
      await model.dispose();
      expect(heap.liveBytes).toBe(before);
    }, 20_000);
  }
});
