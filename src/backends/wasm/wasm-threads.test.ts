import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { load, type Model } from '../../api/model.js';
import { readNpy } from '../../testing/npy.js';
import { Rng } from '../../testing/random-op-cases.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { Tensor } from '../../tensor/tensor.js';
import { convAndGemmModel } from '../../testing/threads-model.js';
import { ThreadPool } from './thread-pool.js';

const shared = sharedOrSkip('bench models on 2 wasm threads against 1');

/** Every pool a load() starts, to look at its chunk counts and its Workers. */
function watchPools(): ThreadPool[] {
  const pools: ThreadPool[] = [];
  const start = ThreadPool.start.bind(ThreadPool);
  vi.spyOn(ThreadPool, 'start').mockImplementation(async (modules, threads) => {
    const pool = await start(modules, threads);
    pools.push(pool);
    return pool;
  });
  return pools;
}

afterEach(() => {
  vi.restoreAllMocks();
});

const bitsOf = (t: Tensor) => Array.from(new Uint32Array((t.numeric as Float32Array).slice().buffer));

async function outputsOn(threads: number, source: string | Uint8Array, feeds: Record<string, Tensor>): Promise<{ model: Model; out: Record<string, Tensor> }> {
  const model = await load(source, { backend: 'wasm', worker: false, threads });
  return { model, out: await model.infer(feeds) };
}

/** Runs `source` on 1 and on 2 threads; expects the same bits, and chunks of it run on the pool's Worker. */
async function expectSameBits(source: string | Uint8Array, feeds: Record<string, Tensor>): Promise<void> {
  const pools = watchPools();
  const one = await outputsOn(1, source, feeds);
  expect(pools).toHaveLength(0);
  const two = await outputsOn(2, source, feeds);
  try {
    expect(pools).toHaveLength(1);
    const { stats } = pools[0]!;
    expect(stats.jobs).toBeGreaterThan(0);
    expect(Object.keys(two.out)).toEqual(Object.keys(one.out));
    for (const name of Object.keys(one.out)) {
      expect(two.out[name]!.shape).toEqual(one.out[name]!.shape);
      expect(bitsOf(two.out[name]!)).toEqual(bitsOf(one.out[name]!));
    }
  } finally {
    await one.model.dispose();
    await two.model.dispose();
  }
  await expect(Promise.race([pools[0]!.ended().then(() => 'ended'), new Promise((r) => setTimeout(() => r('running'), 10_000))])).resolves.toBe('ended');
}

describe('wasm backend on 2 threads gives the bits of 1 thread', () => {
  it('Conv (+Relu), depthwise Conv, Gemm and MatMul of a built model; dispose ends the Worker', async () => {
    const rng = new Rng(9);
    await expectSameBits(await convAndGemmModel(), { x: rng.floats([2, 16, 32, 32]), u: rng.floats([64, 256]) });
  }, 120_000);

  for (const name of ['mobilenet_v2', 'squeezenet1_1', 'encoder_mini']) {
    it.runIf(shared)(`${name} (../shared/bench)`, async () => {
      const input = readNpy(new Uint8Array(readFileSync(sharedPath('bench', name, 'input.npy'))));
      const model = await load(sharedPath('bench', name, `${name}.neuropod`), { backend: 'wasm', worker: false, threads: 1 });
      const inputName = model.inputs[0]!.name;
      await model.dispose();
      await expectSameBits(sharedPath('bench', name, `${name}.neuropod`), { [inputName]: input });
    }, 300_000);
  }
});

describe('threads: 1 and models without GEMM-class ops start no Workers', () => {
  it('an Add-only model loads with no pool even when threads: 4', async () => {
    const pools = watchPools();
    const { encodeOnnxModel } = await import('../../formats/onnx/encode.js');
    const bytes = encodeOnnxModel({ graph: { name: 'add', inputs: [{ name: 'a' }], outputs: [{ name: 'b' }], initializers: new Map([['one', new Tensor('float32', [1], Float32Array.of(1))]]),
      nodes: [{ name: 'add', opType: 'Add', domain: '', inputs: ['a', 'one'], outputs: ['b'], attributes: new Map() }] }, opsets: new Map([['', 13]]) } as never);
    const model = await load(bytes, { backend: 'wasm', worker: false, threads: 4 });
    try {
      expect(Array.from((await model.infer({ a: new Tensor('float32', [2], Float32Array.of(1, 2)) })).b!.numeric as Float32Array)).toEqual([2, 3]);
      expect(pools).toHaveLength(0);
    } finally {
      await model.dispose();
    }
  });
});
