import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip } from '../src/testing/chromium.js';
import { repoRoot } from '../src/testing/shared-fixtures.js';
import { BrowserSession } from './browser-session.js';
import { averagingChainOnnx, weightEchoOnnx } from './worker-models.js';

/** n x n rows of 1, 2, ... n: what averagingChainOnnx maps to itself (see there). */
const CHAIN_N = 512;
const ROWS = `new Float32Array(${CHAIN_N * CHAIN_N}).map((_, i) => Math.floor(i / ${CHAIN_N}) + 1)`;
/** Checks y === x element for element, in the page, and returns a short summary. */
const SAME_ROWS = `(y, x) => ({ shape: y.shape, same: y.data.length === x.length && y.data.every((v, i) => v === x[i]) })`;

/** Runs `body` (an async function's body) in the page with the engine imported as `engine`. */
function inPage<T>(page: Page, body: string): Promise<T> {
  return page.evaluate(`(async () => { const engine = await import('/dist/index.js'); const { load, tensor } = engine; ${body} })()`) as Promise<T>;
}

// The long-running calls pin backend 'cpu': its kernels run synchronously, so an inference in place blocks the
// thread for its whole length, and their length does not shrink when a faster backend becomes 'auto'.
describe.skipIf(!chromiumOrSkip('the engine Worker'))('load() in a page runs the engine in a Worker', () => {
  const session = new BrowserSession();
  let models: string;
  beforeAll(async () => {
    models = await mkdtemp(join(tmpdir(), 'neuropod-web-worker-'));
    await writeFile(join(models, 'chain-long.onnx'), averagingChainOnnx(CHAIN_N, 24));
    await writeFile(join(models, 'chain-short.onnx'), averagingChainOnnx(CHAIN_N, 6));
    await writeFile(join(models, 'weight-echo.onnx'), weightEchoOnnx());
    // The engine without its worker.js beside it, as a page would find it if only index.js and its chunks were copied.
    await mkdir(join(models, 'lib'));
    for (const f of await readdir(join(repoRoot, 'dist'))) if (f.endsWith('.js') && f !== 'worker.js') await copyFile(join(repoRoot, 'dist', f), join(models, 'lib', f));
    await session.start({ mounts: { '/models/': models } });
  });
  afterAll(async () => {
    await session.stop();
    await rm(models, { recursive: true, force: true });
  });

  it('starts one Worker per model and gives what worker: false gives, errors included', async () => {
    const page = await session.page();
    const out = await inPage<Record<string, unknown>>(page, `
      const x = tensor(new Float32Array([1, 2, 3, 4]), [2, 2]), y = tensor(new Float32Array([7, 8, 9, 10]), [2, 2]);
      const run = async (worker) => {
        const model = await load('../../examples/addition.neuropod', { worker, backend: 'cpu' });
        const out = (await model.infer({ x, y })).out;
        const error = await model.infer({ x: tensor(new Int32Array(4), [2, 2]), y }).catch((e) => e);
        const spec = [model.name, model.platform, model.backend, model.inputs.map((s) => s.name + ':' + s.shape.join('x'))];
        const selfTest = await model.selfTest().catch((e) => [e.code, e.message]);
        return { spec, out: [out.dtype, out.shape, Array.from(out.data)], error: [error instanceof engine.NeuropodError, error.code, error.message], profile: model.profile().map((t) => t.op), selfTest };
      };
      const missing = (worker) => load('/models/missing.onnx', { worker }).then(() => 'loaded', (e) => [e instanceof engine.NeuropodError, e.code, e.message]);
      return { inWorker: await run(undefined), inPlace: await run(false), xIntact: Array.from(x.data), missing: [await missing(undefined), await missing(false)] };
    `);
    // The failed load ended its Worker: only the first model's is left.
    await expect.poll(() => page.workers().length).toBe(1);
    // NEUROPOD-FORMAT.md section 7's addition case; the dtype message is Neuropod's (docs/api.md, infer rule 1).
    const expected = {
      spec: ['addition_model', 'onnx', 'cpu', ['x:x2', 'y:x2']],
      out: ['float32', [2, 2], [8, 10, 12, 14]],
      error: [true, 'SPEC_DTYPE', "Neuropod Error: Tensor 'x' in the input spec is expected to be of type FLOAT_TENSOR, but was of type INT32_TENSOR"],
      profile: ['Add'],
      selfTest: ['ARCHIVE_ENTRY_MISSING', `selfTest(): ${session.server.url}/examples/addition.neuropod has no test_data.pkl (Neuropod's packager writes it when given test_input_data and test_expected_out)`],
    };
    const missing = [true, 'IO_FAILED', `cannot fetch ${session.server.url}/models/missing.onnx: HTTP 404 (not found)`];
    expect(out).toEqual({ inWorker: expected, inPlace: expected, xIntact: [1, 2, 3, 4], missing: [missing, missing] });
  });

  it('keeps the main thread responsive during a long inference, unlike worker: false', async () => {
    const page = await session.page();
    const ticks = await inPage<{ inWorker: unknown; inPlace: unknown }>(page, `
      const x = ${ROWS};
      const ticksDuring = async (worker) => {
        const model = await load('/models/chain-long.onnx', { worker, backend: 'cpu' });
        let ticks = 0;
        const timer = setInterval(() => ticks++, 10);
        const started = ticks;
        const { y } = await model.infer({ x: tensor(x, [${CHAIN_N}, ${CHAIN_N}]) });
        const during = ticks - started;
        clearInterval(timer);
        await model.dispose();
        return { ticks: during, y: (${SAME_ROWS})(y, x) };
      };
      return { inWorker: await ticksDuring(true), inPlace: await ticksDuring(false) };
    `);
    // 24 dense 512^3 MatMuls take well over 100 ms here: a free main thread ticks many times, a blocked one never.
    expect(ticks.inWorker).toMatchObject({ y: { shape: [CHAIN_N, CHAIN_N], same: true } });
    expect((ticks.inWorker as { ticks: number }).ticks).toBeGreaterThanOrEqual(5);
    expect(ticks.inPlace).toEqual({ ticks: 0, y: { shape: [CHAIN_N, CHAIN_N], same: true } });
  });

  it('runs two models at once, each in its own Worker', async () => {
    const page = await session.page();
    const out = await inPage<unknown>(page, `
      const x = ${ROWS};
      const [a, b] = await Promise.all([load('/models/chain-short.onnx'), load('/models/weight-echo.onnx')]);
      const [ya, yb] = await Promise.all([a.infer({ x: tensor(x, [${CHAIN_N}, ${CHAIN_N}]) }), b.infer({})]);
      return [(${SAME_ROWS})(ya.y, x), Array.from(yb.y.data)];
    `);
    // The engine Workers; a wasm model's thread pool adds its own Blob-URL Workers inside its engine Worker.
    expect(page.workers().filter((w) => !w.url().startsWith('blob:'))).toHaveLength(2);
    expect(out).toEqual([{ shape: [CHAIN_N, CHAIN_N], same: true }, [1.5, -2, 4]]);
  });

  it('loads package bytes given as a Uint8Array over shared memory, and leaves them as they were', async () => {
    const page = await session.page();
    const out = await inPage<unknown>(page, `
      const fetched = new Uint8Array(await (await fetch('../../examples/addition.neuropod')).arrayBuffer());
      const shared = new Uint8Array(new SharedArrayBuffer(fetched.length));
      shared.set(fetched);
      const model = await load(shared);
      const { out } = await model.infer({ x: tensor([1, 2, 3, 4], [2, 2]), y: tensor([7, 8, 9, 10], [2, 2]) });
      return [model.name, Array.from(out.data), shared.length === fetched.length && shared.every((b, i) => b === fetched[i])];
    `);
    expect(out).toEqual(['addition_model', [8, 10, 12, 14], true]);
  });

  it('copies inputs by default and moves their buffers with transfer: true', async () => {
    const page = await session.page();
    const out = await inPage<unknown>(page, `
      const model = await load('../../examples/addition.neuropod');
      const x = tensor(new Float32Array([1, 2, 3, 4]), [2, 2]), y = tensor(new Float32Array([7, 8, 9, 10]), [2, 2]);
      const copied = await model.infer({ x, y });
      const kept = [x.data.length, y.data.length];
      const moved = await model.infer({ x, y }, { transfer: true });
      return { copied: Array.from(copied.out.data), kept, moved: Array.from(moved.out.data), after: [x.data.byteLength, y.data.byteLength] };
    `);
    expect(out).toEqual({ copied: [8, 10, 12, 14], kept: [4, 4], moved: [8, 10, 12, 14], after: [0, 0] });
  });

  it("copies an output that is the model's own weight, so later calls still see the weight", async () => {
    const page = await session.page();
    const out = await inPage<unknown>(page, `
      const model = await load('/models/weight-echo.onnx');
      const first = (await model.infer({})).y;
      first.data[0] = 99;
      const second = (await model.infer({})).y;
      return [Array.from(first.data), Array.from(second.data)];
    `);
    expect(out).toEqual([[99, -2, 4], [1.5, -2, 4]]);
  });

  it('queues calls in order and cancels a queued call with its signal', async () => {
    const page = await session.page();
    const events = await inPage<string[]>(page, `
      const model = await load('/models/chain-short.onnx', { backend: 'cpu' });
      const x = tensor(${ROWS}, [${CHAIN_N}, ${CHAIN_N}]);
      const events = [];
      const note = (name, p) => p.then((r) => events.push(name + ' ok ' + r.y.data[${CHAIN_N * CHAIN_N - 1}]), (e) => events.push(name + ' ' + e.code + ': ' + e.message));
      const cancel = new AbortController();
      const calls = [note('a', model.infer({ x })), note('b', model.infer({ x }, { signal: cancel.signal })), note('c', model.infer({ x }))];
      cancel.abort();
      await Promise.all(calls);
      return events;
    `);
    expect(events).toEqual(['b ABORTED: infer() was cancelled', `a ok ${CHAIN_N}`, `c ok ${CHAIN_N}`]);
  });

  it('rejects a running call at once when it is cancelled, and the next call still runs', async () => {
    const page = await session.page();
    const events = await inPage<string[]>(page, `
      const model = await load('/models/chain-long.onnx', { backend: 'cpu' });
      const x = tensor(${ROWS}, [${CHAIN_N}, ${CHAIN_N}]);
      const events = [];
      const cancel = new AbortController();
      // profile() is still empty when the rejection comes: the Worker had not answered yet.
      const running = model.infer({ x }, { signal: cancel.signal }).then(() => events.push('a ok'), (e) => events.push('a ' + e.code + ' ' + model.profile().length));
      const next = model.infer({ x }).then((r) => events.push('b ok ' + r.y.data[0]), (e) => events.push('b ' + e.code));
      // 24 dense 512^3 MatMuls take far longer than 100 ms, so the first call is running by then.
      setTimeout(() => cancel.abort(), 100);
      await Promise.all([running, next]);
      return events;
    `);
    expect(events).toEqual(['a ABORTED 0', 'b ok 1']);
  });

  it('cancels load() with its signal and ends that Worker', async () => {
    const page = await session.page();
    const out = await inPage<unknown>(page, `
      const cancel = new AbortController();
      const loading = load('/models/chain-long.onnx', { signal: cancel.signal });
      cancel.abort();
      const e = await loading.catch((e) => e);
      return [e.code, e.message];
    `);
    expect(out).toEqual(['ABORTED', 'load() was cancelled']);
    await expect.poll(() => page.workers().length).toBe(0);
  });

  it('rejects calls after dispose() with DISPOSED and ends the Worker', async () => {
    const page = await session.page();
    const out = await inPage<unknown>(page, `
      const model = await load('/models/weight-echo.onnx');
      await model.dispose();
      const e = await model.infer({}).catch((e) => e);
      return [e.code, e.message];
    `);
    expect(out).toEqual(['DISPOSED', "model 'weight-echo' was disposed; load it again to run it"]);
    await expect.poll(() => page.workers().length).toBe(0);
  });

  for (const [how, crash, reason] of [
    ['closes itself', 'self.close()', 'stopped (it closed itself, ran out of memory or was ended by the browser)'],
    ['throws an uncaught error', "throw new Error('boom')", 'had an uncaught error: Uncaught Error: boom'],
  ] as const) {
    it(`rejects pending calls when the Worker ${how}, then the next call loads the model again in a fresh Worker`, async () => {
      const page = await session.page();
      await inPage(page, `
        const bytes = await (await fetch('/models/weight-echo.onnx')).arrayBuffer();
        window.model = await load(bytes);
        window.bytes = bytes;
      `);
      const [first] = page.workers();
      // The next message the Worker reads (the first infer) ends it before the engine sees the call: reading
      // MessageEvent.data is the first thing Comlink does with a message.
      await first!.evaluate(`{
        const data = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data');
        Object.defineProperty(MessageEvent.prototype, 'data', { configurable: true, get() {
          Object.defineProperty(MessageEvent.prototype, 'data', data);
          ${crash};
          return undefined;
        } });
        0;
      }`);
      const out = await inPage<unknown>(page, `
        const settled = (p) => p.then((r) => Array.from(r.y.data), (e) => [e.code, e.message]);
        const pending = await Promise.all([settled(model.infer({})), settled(model.infer({}))]);
        const next = await settled(model.infer({}));
        return { pending, next, name: model.name, bytesKept: bytes.byteLength };
      `);
      const rejected = ['WORKER_CRASHED', `model 'weight_echo': the engine Worker ${reason}; its pending calls were rejected, and the next call starts a fresh Worker and loads the model again`];
      expect(out).toMatchObject({ pending: [rejected, rejected], next: [1.5, -2, 4], name: 'weight_echo', bytesKept: weightEchoOnnx().length });
      await expect.poll(() => page.workers().length).toBe(1);
      expect(page.workers()[0]).not.toBe(first);
    });
  }

  it('says which Worker script it could not load when worker.js is not beside index.js', async () => {
    const page = await session.page();
    const out = await page.evaluate(`(async () => {
      const { load } = await import('/models/lib/index.js');
      return load('/models/weight-echo.onnx').then(() => 'loaded', (e) => [e.code, e.message]);
    })()`);
    expect(out).toEqual([
      'WORKER_CRASHED',
      `the engine Worker could not load or run its script ${session.server.url}/models/lib/worker.js (dist/worker.js is served beside dist/index.js, with CORS when it is of another origin)`,
    ]);
  });

  it("runs in place inside the caller's own Worker, and in a nested one with worker: true", async () => {
    const page = await session.page();
    const out = await inPage<unknown>(page, `
      const source = \`
        let started = 0;
        const RealWorker = self.Worker;
        self.Worker = class extends RealWorker { constructor(...a) { super(...a); started++; } };
        const { load, tensor } = await import('\${location.origin}/dist/index.js');
        const model = await load('\${location.origin}/examples/addition.neuropod');
        const { out } = await model.infer({ x: tensor([1, 2, 3, 4], [2, 2]), y: tensor([7, 8, 9, 10], [2, 2]) });
        const startedInPlace = started;
        const nested = await load('\${location.origin}/models/weight-echo.onnx', { worker: true });
        const { y } = await nested.infer({});
        postMessage({ out: Array.from(out.data), started: startedInPlace, nested: [Array.from(y.data), started] });
      \`;
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
      return new Promise((resolve, reject) => { worker.onmessage = (e) => resolve(e.data); worker.onerror = (e) => reject(new Error(e.message)); });
    `);
    expect(out).toEqual({ out: [8, 10, 12, 14], started: 0, nested: [[1.5, -2, 4], 1] });
  });
});
