import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, launchChromium } from '../src/testing/chromium.js';
import { repoRoot } from '../src/testing/shared-fixtures.js';
import { startStaticServer, type StaticServer } from '../src/testing/static-server.js';
import { convAndGemmModel } from '../src/testing/threads-model.js';

/**
 * The page: `run(threads, worker)` loads /model/threads.onnx on wasm, infers on fixed inputs and returns each
 * output's float bits; `hold` keeps one model loaded so the test can count the page's Workers.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wasm threads</title></head><body>
<script type="module">
  import { load, tensor } from '/dist/index.js';
  const fill = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
  const feeds = () => ({ x: tensor(fill(2 * 16 * 32 * 32, 1), [2, 16, 32, 32]), u: tensor(fill(64 * 256, 2), [64, 256]) });
  const bits = (out) => Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(new Uint32Array(Float32Array.from(t.data).buffer))]));
  window.run = async (threads, worker) => {
    const model = await load('/model/threads.onnx', { backend: 'wasm', threads, worker });
    try {
      return { backend: model.backend, bits: bits(await model.infer(feeds())) };
    } finally {
      await model.dispose();
    }
  };
  window.hold = async (threads) => { window.held = await load('/model/threads.onnx', { backend: 'wasm', threads, worker: false }); };
  window.release = async () => { const out = bits(await window.held.infer(feeds())); await window.held.dispose(); return out; };
  window.ready = true;
</script>
</body></html>`;

describe.skipIf(!chromiumOrSkip('wasm threads in a page'))('wasm threads in Chromium', () => {
  let isolated: StaticServer;
  let plain: StaticServer;
  let dir: string;
  let browser: Browser;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'neuropod-web-threads-'));
    await writeFile(join(dir, 'threads.onnx'), await convAndGemmModel());
    const mounts = { '/': repoRoot, '/model/': dir };
    isolated = await startStaticServer({ mounts, pages: { '/threads.html': PAGE } });
    plain = await startStaticServer({ mounts, pages: { '/threads.html': PAGE }, isolated: false });
    browser = await launchChromium({ webgpu: false });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([isolated?.close(), plain?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  async function open(server: StaticServer): Promise<{ page: Page; warnings: string[] }> {
    const page = await browser.newPage(), warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await page.goto(`${server.url}/threads.html`);
    await page.waitForFunction(() => (window as { ready?: boolean }).ready);
    return { page, warnings };
  }

  type Run = { backend: string; bits: Record<string, number[]> };
  const run = (page: Page, threads: number | undefined, worker: boolean) =>
    page.evaluate(([t, w]) => (window as unknown as { run(t: unknown, w: unknown): Promise<Run> }).run(t, w), [threads, worker] as const);

  it('threads: 2 in the engine Worker (nested Workers) gives the bits of threads: 1, with no warning', async () => {
    const { page, warnings } = await open(isolated);
    let poolWorkersSeen = 0;
    page.on('worker', (w) => {
      if (w.url().startsWith('blob:')) poolWorkersSeen++;
    });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const one = await run(page, 1, true);
    expect(page.workers().filter((w) => w.url().startsWith('blob:'))).toHaveLength(0);
    const two = await run(page, 2, true);
    // The engine Worker started the pool's Worker inside it (Playwright lists nested Workers too).
    expect(poolWorkersSeen).toBeGreaterThanOrEqual(1);
    expect([one.backend, two.backend]).toEqual(['wasm', 'wasm']);
    expect(Object.keys(one.bits)).toEqual(['y', 'v']);
    expect(one.bits.y!.length).toBe(2 * 32 * 16 * 16);
    expect(two.bits).toEqual(one.bits);
    expect(warnings.filter((w) => w.includes('wasm'))).toEqual([]);
    await page.close();
  }, 120_000);

  it('threads: 2 on the page\'s main thread (worker: false) starts one Worker, gives the same bits, and dispose ends it', async () => {
    const { page } = await open(isolated);
    const one = await run(page, 1, false);
    expect(page.workers()).toHaveLength(0);
    await page.evaluate(() => (window as unknown as { hold(t: number): Promise<void> }).hold(2));
    expect(page.workers().map((w) => w.url().startsWith('blob:'))).toEqual([true]);
    const closed = new Promise<void>((resolve) => page.workers()[0]!.once('close', () => resolve()));
    const two = await page.evaluate(() => (window as unknown as { release(): Promise<Record<string, number[]>> }).release());
    expect(two).toEqual(one.bits);
    await expect(Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('running'), 10_000))])).resolves.toBe('closed');
    await page.close();
  }, 120_000);

  it('a page that is not cross-origin isolated runs one thread, the same bits, and warns once how to get threads', async () => {
    const { page, warnings } = await open(plain);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    const byDefault = await run(page, undefined, true), asked = await run(page, 4, false), one = await run(page, 1, true);
    expect(byDefault.bits).toEqual(one.bits);
    expect(asked.bits).toEqual(one.bits);
    const threadWarnings = warnings.filter((w) => w.includes('Cross-Origin-Embedder-Policy: require-corp'));
    expect(threadWarnings).toHaveLength(1);
    expect(threadWarnings[0]).toContain('Cross-Origin-Opener-Policy: same-origin');
    await page.close();
  }, 120_000);
});
