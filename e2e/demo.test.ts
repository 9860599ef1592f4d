import { unzipSync, zipSync } from 'fflate';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, launchChromium } from '../src/testing/chromium.js';
import { decodeGreyPng, encodeGreyPng } from '../src/testing/grey-png.js';
import { repoRoot } from '../src/testing/shared-fixtures.js';
import { startStaticServer, type StaticServer } from '../src/testing/static-server.js';

/** The ONNX model inside a bundled demo package, run on onnxruntime-node (the independent reference). */
async function referenceRun(packagePath: string, input: OrtTensor): Promise<Float32Array | Uint8Array> {
  const onnx = unzipSync(readFileSync(join(repoRoot, packagePath)))['0/data/model.onnx']!;
  const session = await InferenceSession.create(onnx);
  const result = await session.run({ [session.inputNames[0]!]: input });
  return result[session.outputNames[0]!]!.data as Float32Array | Uint8Array;
}

/** 96x96: a white square (a box of edges) and a horizontal ramp, so the edge map is neither empty nor flat. */
function testPicture(): Uint8Array {
  const side = 96;
  return Uint8Array.from({ length: side * side }, (_, i) => {
    const [y, x] = [Math.floor(i / side), i % side];
    return y >= 20 && y < 60 && x >= 30 && x < 70 ? 255 : y >= 70 ? Math.min(255, x * 3) : 0;
  });
}

const runs = (page: Page) => page.locator('body').getAttribute('data-runs');

/** Waits until `model` has run `run` times; `source` (the package URL) tells two opens of one model apart. */
async function waitForRun(page: Page, model: string, run: number, source?: string): Promise<void> {
  await page.waitForSelector(`body[data-model="${model}"][data-runs="${run}"]${source ? `[data-source="${source}"]` : ''}`);
}

async function valuesOf(page: Page, output: string): Promise<string[]> {
  return page.locator(`[data-output="${output}"] table.values td`).allTextContents();
}

describe.skipIf(!chromiumOrSkip('the demo PWA'))('the demo PWA (demo/, served with COOP/COEP)', () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const scratch = mkdtempSync(join(tmpdir(), 'neuropod-demo-'));

  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist/index.js'))) throw new Error('dist/index.js is missing: run `npm run build` first (npm test does).');
    server = await startStaticServer({ mounts: { '/': repoRoot } });
    browser = await launchChromium({ webgpu: false });
    context = await browser.newContext({ viewport: { width: 1100, height: 1300 } });
    page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[demo page error] ${e.message}`));
    await page.goto(`${server.url}/demo/`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close().catch(() => undefined);
  });

  it('runs the bundled MNIST on first visit: top-5 classes and scores as onnxruntime-node gives them for digit.png', async () => {
    await waitForRun(page, 'mnist', 1);
    const digit = decodeGreyPng(readFileSync(join(repoRoot, 'demo/models/digit.png')));
    const want = await referenceRun('demo/models/mnist.neuropod', new OrtTensor('float32', Float32Array.from(digit.pixels, (v) => v / 255), [1, 1, 28, 28]));
    const wantTop = [...want.keys()].sort((a, b) => want[b]! - want[a]!).slice(0, 5);
    const rows = await page.locator('[data-output="Plus214_Output_0"] ol.topk li').evaluateAll((lis) => lis.map((li) => [Number((li as HTMLElement).dataset.class), Number((li as HTMLElement).dataset.score)]));
    expect(rows.map(([c]) => c)).toEqual(wantTop);
    expect(wantTop[0]).toBe(3);
    for (const [c, score] of rows) expect(Math.abs(score! - want[c!]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[c!]!)));
    await expect(page.locator('#spec-body tr[data-name="Input3"] .shape').textContent()).resolves.toBe('[1, 1, 28, 28]');
    // The profile chart has bars for each operator type of the graph (inspect: Add Conv MatMul MaxPool Relu Reshape),
    // one per backend it ran on, and the backends are the ones profile() reports.
    const bars = await page.locator('svg.chart g[data-op]').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-op'), g.getAttribute('data-backend')]));
    expect([...new Set(bars.map(([op]) => op))].sort()).toEqual(['Add', 'Conv', 'MatMul', 'MaxPool', 'Relu', 'Reshape']);
    const backends = (await page.locator('#backend option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).filter((b) => b !== 'auto');
    for (const [, backend] of bars) expect(backends).toContain(backend);
    for (const timing of ['load', 'first run']) await expect(page.locator(`dd[data-timing="${timing}"]`).textContent()).resolves.toMatch(/^\d+\.\d+ ms$/);
    await page.screenshot({ path: join(scratch, 'demo-mnist.png'), fullPage: true });
  });

  it('opens a second package from the file input; the edge map it draws is onnxruntime-node\'s for the uploaded picture', async () => {
    await page.locator('#package-file').setInputFiles(join(repoRoot, 'demo/models/edges.neuropod'));
    await waitForRun(page, 'edges', 1);
    await expect(page.locator('#spec-body tr[data-name="image"] .shape').textContent()).resolves.toBe('["batch", 96, 96, 3]');
    const picture = testPicture();
    writeFileSync(join(scratch, 'square.png'), encodeGreyPng(picture, 96, 96));
    await page.locator('[data-input="image"] input.image-file').setInputFiles(join(scratch, 'square.png'));
    await page.locator('#run').click();
    await waitForRun(page, 'edges', 2);
    const rgb = Uint8Array.from({ length: picture.length * 3 }, (_, i) => picture[Math.floor(i / 3)]!);
    const want = await referenceRun('demo/models/edges.neuropod', new OrtTensor('uint8', rgb, [1, 96, 96, 3]));
    const drawn = await page.locator('[data-output="edges"] canvas.output-image').evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const rgba = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      return { width: canvas.width, height: canvas.height, grey: Array.from(rgba.filter((_, i) => i % 4 === 0)) };
    });
    expect([drawn.width, drawn.height]).toEqual([96, 96]);
    // Within 1: float32 sums of the weighted Laplacian may round to either side of an integer before the uint8 cast.
    const worst = drawn.grey.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i]!)), 0);
    expect(worst).toBeLessThanOrEqual(1);
    expect(new Set(drawn.grey).size).toBeGreaterThan(10);
    await page.screenshot({ path: join(scratch, 'demo-edges.png'), fullPage: true });
  });

  it('runs a string package from its text editor: words and counts as onnxruntime-node gives them', async () => {
    await page.locator('#bundled button', { hasText: 'words' }).click();
    await waitForRun(page, 'words', 1);
    const lines = ['Tensors cross by transfer', 'offline too'];
    await page.locator('[data-input="text"] textarea').fill(lines.join('\n'));
    await page.locator('#run').click();
    await waitForRun(page, 'words', 2);
    const onnx = unzipSync(readFileSync(join(repoRoot, 'demo/models/words.neuropod')))['0/data/model.onnx']!;
    const session = await InferenceSession.create(onnx);
    const want = await session.run({ text: new OrtTensor('string', lines, [2]) });
    expect(want.words!.dims).toEqual([2, 4]);
    expect(await valuesOf(page, 'words')).toEqual(want.words!.data);
    expect(await valuesOf(page, 'counts')).toEqual(Array.from(want.counts!.data as BigInt64Array, String));
  });

  it('opens a package dropped on the page and keeps it in the opened list', async () => {
    const bytes = Array.from(readFileSync(join(repoRoot, 'demo/models/mnist.neuropod')));
    await page.evaluate((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped-mnist.neuropod'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, bytes);
    await waitForRun(page, 'mnist', 1);
    await expect(page.locator('[data-output="Plus214_Output_0"] ol.topk li').first().getAttribute('data-class')).resolves.toBe('3');
    await expect(page.locator('#recent').textContent()).resolves.toContain('dropped-mnist.neuropod');
  });

  it('runs MNIST on a stroke drawn on the draw pad: a vertical line reads as 1', async () => {
    await page.locator('[data-input="Input3"] button[data-fill="draw"]').click();
    const pad = await page.locator('[data-input="Input3"] canvas.draw-pad').boundingBox();
    await page.mouse.move(pad!.x + pad!.width / 2, pad!.y + pad!.height * 0.15);
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.mouse.move(pad!.x + pad!.width / 2, pad!.y + pad!.height * (0.15 + 0.07 * k));
    await page.mouse.up();
    await waitForRun(page, 'mnist', 2);
    await expect(page.locator('[data-output="Plus214_Output_0"] ol.topk li').first().getAttribute('data-class')).resolves.toBe('1');
  });

  it('fills the progress bar as a large package arrives from a slow server, then runs it', async () => {
    const big = paddedAddition(3 << 20);
    const slow = await startSlowServer(big, 128 << 10, 15);
    try {
      await page.evaluate(() => {
        const bar = document.getElementById('progress-bar') as HTMLProgressElement;
        const seen: number[] = ((window as unknown as { seenProgress: number[] }).seenProgress = []);
        new MutationObserver(() => seen.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value'] });
      });
      await page.locator('#package-url').fill(`${slow.url}/big-addition.neuropod`);
      await page.locator('#url-form button').click();
      await waitForRun(page, 'addition_model', 1, `${slow.url}/big-addition.neuropod`);
      const seen = (await page.evaluate('window.seenProgress')) as number[];
      const between = new Set(seen.filter((v) => v > 0 && v < big.length));
      expect(between.size).toBeGreaterThanOrEqual(5);
      await expect(page.locator('#progress-bar').evaluate((p) => [(p as HTMLProgressElement).value, (p as HTMLProgressElement).max])).resolves.toEqual([big.length, big.length]);
      expect(await valuesOf(page, 'out')).toEqual(['2', '4']);
    } finally {
      await slow.close();
    }
  });

  it('opens a package by URL, counting its bytes in the progress bar; addition shows x + y', async () => {
    await page.locator('#package-url').fill('/examples/addition.neuropod');
    await page.locator('#url-form button').click();
    await waitForRun(page, 'addition_model', 1, `${server.url}/examples/addition.neuropod`);
    const size = statSync(join(repoRoot, 'examples/addition.neuropod')).size;
    await expect(page.locator('#progress-bar').evaluate((p) => [(p as HTMLProgressElement).value, (p as HTMLProgressElement).max])).resolves.toEqual([size, size]);
    await expect(page.locator('#spec-body tr[data-name="x"] .shape').textContent()).resolves.toBe('[null, 2]');
    // The ramp fill gives x = y = [[1, 2]] for [null, 2].
    expect(await valuesOf(page, 'out')).toEqual(['2', '4']);
    await page.locator('[data-input="x"] textarea').fill('[[1, 2], [3, 4]]');
    await page.locator('[data-input="y"] textarea').fill('[[7, 8], [9, 10]]');
    await page.locator('#run').click();
    await waitForRun(page, 'addition_model', 2);
    // NEUROPOD-FORMAT.md section 7, addition case.
    expect(await valuesOf(page, 'out')).toEqual(['8', '10', '12', '14']);
    // An input that breaks the spec ([null, 2]) is refused with the engine's code, shown in the page.
    await page.locator('[data-input="x"] textarea').fill('[[1, 2, 3]]');
    await page.locator('#run').click();
    await page.waitForSelector('#error[data-code="SPEC_DIM"]');
    await expect(page.locator('#error').textContent()).resolves.toMatch(/run failed: SPEC_DIM.*\bx\b/s);
  });

  it('offers the engine\'s BACKENDS; each one runs the model there or shows why it cannot start', async () => {
    const backends = (await page.evaluate(`import('/dist/index.js').then((m) => [...m.BACKENDS])`)) as string[];
    const offered = await page.locator('#backend option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered).toEqual(backends);
    for (const name of backends.filter((b) => b !== 'auto')) {
      await page.locator('#backend').selectOption(name);
      await page.waitForFunction(`document.body.dataset.runs === '1' && document.querySelector('.model-backend')?.textContent === '${name}' || document.querySelector('#error')?.dataset.code`);
      const code = await page.locator('#error').getAttribute('data-code');
      if (code === null) continue; // it ran there: the spec line names it
      expect(code).toBe('BACKEND_UNAVAILABLE');
      await expect(page.locator('#error').textContent()).resolves.toContain(name);
      await expect(page.locator(`#backend option[value="${name}"]`).getAttribute('data-available')).resolves.toBe('false');
    }
    await page.locator('#backend').selectOption('auto');
    await waitForRun(page, 'addition_model', 1);
  });

  it('shows the NeuropodError code and message of a bad package in the page', async () => {
    const noConfig = Buffer.from(zipWithout('config.json'));
    await page.locator('#package-file').setInputFiles({ name: 'no-config.neuropod', mimeType: 'application/octet-stream', buffer: noConfig });
    const error = page.locator('#error');
    await error.waitFor({ state: 'visible' });
    await expect(error.getAttribute('data-code')).resolves.toBe('CONFIG_INVALID');
    await expect(error.textContent()).resolves.toContain('no config.json at its root');
    await page.locator('#package-file').setInputFiles({ name: 'text.neuropod', mimeType: 'text/plain', buffer: Buffer.from('not a package') });
    await page.waitForSelector('#error[data-code="ARCHIVE_INVALID"]');
    await expect(page.locator('#recent').textContent()).resolves.not.toContain('no-config');
  });

  it('reloads with the network off and the server gone, and runs the last and a file-opened package from the cache', async () => {
    await page.waitForSelector('body[data-offline="ready"]');
    await context.setOffline(true);
    await server.close();
    await page.reload();
    // The package opened last (addition, by URL) reopens from the service worker's cache and runs.
    await waitForRun(page, 'addition_model', 1);
    expect(await valuesOf(page, 'out')).toEqual(['2', '4']);
    // The package opened from a file comes back from the model cache.
    await page.locator('#recent button', { hasText: 'edges.neuropod' }).click();
    await waitForRun(page, 'edges', 1);
    await expect(page.locator('[data-output="edges"] canvas.output-image').evaluate((c) => (c as HTMLCanvasElement).width)).resolves.toBe(96);
    expect(await runs(page)).toBe('1');
  });
});

/** examples/addition.neuropod plus a stored (uncompressed) entry of random bytes, so the zip is about `bytes` long. */
function paddedAddition(bytes: number): Uint8Array {
  const files = unzipSync(readFileSync(join(repoRoot, 'examples/addition.neuropod')));
  const padding = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(padding.subarray(i, i + 65536));
  return zipSync({ ...files, 'padding.bin': [padding, { level: 0 }] });
}

/** Serves `body` at any path (CORS, CORP) in `chunk`-byte pieces `everyMs` apart, with its Content-Length. */
async function startSlowServer(body: Uint8Array, chunk: number, everyMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream', 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin', 'Cache-Control': 'no-store' });
    let at = 0;
    const timer = setInterval(() => {
      res.write(body.subarray(at, at + chunk));
      at += chunk;
      if (at >= body.length) {
        clearInterval(timer);
        res.end();
      }
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

/** The bundled edges package with its config.json left out. */
function zipWithout(entry: string): Uint8Array {
  const files = unzipSync(readFileSync(join(repoRoot, 'demo/models/edges.neuropod')));
  delete files[entry];
  return zipSync(files);
}
