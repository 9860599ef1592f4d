/**
 * WebGPU machinery in Chromium. A lost GPU device inside the engine Worker of a page: the GPU process is crashed
 * (CDP Browser.crashGpuProcess) while a WebGPU inference runs, the call rejects with DEVICE_LOST naming the
 * reason, the same Worker stays up, and the next call runs on a new device with the right outputs. And GPU
 * tensors with worker: false: a caller's buffer in, outputs kept on the GPU, two models chained.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip } from '../src/testing/chromium.js';
import { BrowserSession } from './browser-session.js';
import { averagingChainOnnx } from './worker-models.js';

/** n x n rows of 1, 2, ... n, which the averaging chain maps to itself. */
const N = 256;

describe.skipIf(!chromiumOrSkip('WebGPU device loss in the engine Worker'))('a GPU device lost under a Worker model', () => {
  const session = new BrowserSession();
  let models: string;
  beforeAll(async () => {
    models = await mkdtemp(join(tmpdir(), 'neuropod-web-webgpu-api-'));
    await writeFile(join(models, 'chain.onnx'), averagingChainOnnx(N, 24));
    await session.start({ webgpu: true, mounts: { '/models/': models } });
  });
  afterAll(async () => {
    await session.stop();
    await rm(models, { recursive: true, force: true });
  });

  it('rejects the call in flight with DEVICE_LOST, keeps the Worker, and the next call runs on a new device', async () => {
    const page = await session.page();
    const check = `(o) => ['ok', o.y.shape, o.y.data.every((v, i) => v === Math.floor(i / ${N}) + 1), window.model.profile().every((p) => p.backend === 'webgpu')]`;
    const first = await page.evaluate(`(async () => {
      const { load, tensor } = await import('/dist/index.js');
      window.model = await load('/models/chain.onnx', { backend: 'webgpu' });
      window.x = tensor(new Float32Array(${N * N}).map((_, i) => Math.floor(i / ${N}) + 1), [${N}, ${N}]);
      const started = performance.now();
      const out = await window.model.infer({ x: window.x }).then(${check});
      return { out, ms: performance.now() - started, backend: window.model.backend };
    })()`) as { out: unknown[]; ms: number; backend: string };
    expect(first.out).toEqual(['ok', [N, N], true, true]);
    expect(page.workers()).toHaveLength(1);
    // The GPU process goes a quarter of the way into a call as long as the last one.
    await page.evaluate(`window.pending = window.model.infer({ x: window.x }).then(() => ['resolved'], (e) => [e.code, e.message]); 0`);
    await new Promise((resolve) => setTimeout(resolve, first.ms / 4));
    const cdp = await session.browser.newBrowserCDPSession();
    await cdp.send('Browser.crashGpuProcess');
    const pending = await page.evaluate('window.pending') as string[];
    expect(pending).toEqual(['DEVICE_LOST', expect.stringMatching(/^webgpu: the GPU device was lost \(reason '[a-z]+'.*\); the call was abandoned, the next call opens a new device$/)]);
    const next = await page.evaluate(`window.model.infer({ x: window.x }).then(${check}, (e) => [e.code, e.message])`);
    expect(next).toEqual(['ok', [N, N], true, true]);
    // Nothing the caller passed was touched, and the model never left its first Worker (no WORKER_CRASHED).
    expect(await page.evaluate(`window.x.data.every((v, i) => v === Math.floor(i / ${N}) + 1)`)).toBe(true);
    expect(page.workers()).toHaveLength(1);
    // GPU tensors cannot cross to the Worker: a clear USAGE error, not a clone failure.
    const crossing = await page.evaluate(`window.model.infer({ x: window.x }, { outputsOn: 'gpu' }).then(() => 'resolved', (e) => [e.code, e.message])`);
    expect(crossing).toEqual(['USAGE', expect.stringContaining(`outputsOn: 'gpu' cannot cross to the engine Worker`)]);
    await page.evaluate('window.model.dispose()');
  });

  it('chains two models on the page\'s GPU with worker: false, from a buffer of the caller\'s, with no readback between them', async () => {
    const page = await session.page();
    const result = await page.evaluate(`(async () => {
      const { load, tensor, gpuDevice, gpuTensor } = await import('/dist/index.js');
      const a = await load('/models/chain.onnx', { backend: 'webgpu', worker: false });
      const b = await load('/models/chain.onnx', { backend: 'webgpu', worker: false });
      const device = await gpuDevice();
      const rows = new Float32Array(${N * N}).map((_, i) => Math.floor(i / ${N}) + 1);
      const buffer = device.createBuffer({ size: rows.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buffer, 0, rows);
      let maps = 0;
      const mapAsync = GPUBuffer.prototype.mapAsync;
      GPUBuffer.prototype.mapAsync = function (...args) { maps++; return mapAsync.apply(this, args); };
      const mid = (await a.infer({ x: gpuTensor({ device, buffer, shape: [${N}, ${N}] }) }, { outputsOn: 'gpu' })).y;
      const mapsInA = maps;
      const out = (await b.infer({ x: mid })).y;
      GPUBuffer.prototype.mapAsync = mapAsync;
      const back = await mid.read();
      mid.dispose();
      buffer.destroy();
      await a.dispose();
      await b.dispose();
      const same = (t) => t.data.every((v, i) => v === rows[i]);
      return { mapsInA, out: [out.shape, same(out)], mid: same(back) };
    })()`);
    expect(result).toEqual({ mapsInA: 0, out: [[N, N], true], mid: true });
  });
});
