import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { unzipSync } from 'fflate';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, launchChromium } from '../src/testing/chromium.js';
import { repoRoot } from '../src/testing/shared-fixtures.js';
import { startStaticServer, type StaticServer } from '../src/testing/static-server.js';

const PACKAGE = '/examples/addition.neuropod';
const PACKAGE_SHA = createHash('sha256').update(readFileSync(join(repoRoot, 'examples/addition.neuropod'))).digest('hex');
const DAMAGED = 'not the package';
const DAMAGED_SHA = createHash('sha256').update(DAMAGED).digest('hex');

/** Loads the example package in the page and runs NEUROPOD-FORMAT.md section 7's addition case: [8, 10, 12, 14]. */
const RUN_ADDITION = `async (options, source = '${PACKAGE}') => {
  const { load, tensor } = window.engine;
  try {
    const model = await load(source, options);
    const { out } = await model.infer({ x: tensor([1, 2, 3, 4], [2, 2]), y: tensor([7, 8, 9, 10], [2, 2]) });
    await model.dispose();
    return Array.from(out.data);
  } catch (e) {
    return [e.code, e.message];
  }
}`;

/** The engine's Cache API entry for the package: its stored sha256 and the sha256 of the bytes actually stored. */
const CACHE_ENTRY = `async (url) => {
  const hit = await (await caches.open('neuropod-web-packages-v1')).match(url);
  if (!hit) return undefined;
  const digest = await crypto.subtle.digest('SHA-256', await hit.arrayBuffer());
  return { stored: hit.headers.get('X-Neuropod-Sha256'), actual: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('') };
}`;

const DAMAGE_ENTRY = `async ([url, sha]) => {
  await (await caches.open('neuropod-web-packages-v1')).put(url, new Response(${JSON.stringify(DAMAGED)}, { headers: { 'X-Neuropod-Sha256': sha } }));
}`;

describe.skipIf(!chromiumOrSkip('offline'))('load(url, { cache: true }) offline', () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url: string;
  let unpacked: string;

  async function openShell(): Promise<void> {
    await page.goto(`${server.url}/e2e/pages/offline/index.html`);
    await page.waitForFunction(() => (window as { ready?: boolean }).ready);
  }

  beforeAll(async () => {
    // The example unzipped: a directory package (/pkg/), and its model.onnx alone as a bare model.
    unpacked = await mkdtemp(join(tmpdir(), 'neuropod-web-offline-'));
    for (const [path, bytes] of Object.entries(unzipSync(readFileSync(join(repoRoot, 'examples/addition.neuropod'))))) {
      mkdirSync(dirname(join(unpacked, path)), { recursive: true });
      writeFileSync(join(unpacked, path), bytes);
    }
    // The service worker's scope is the shell's folder, which does not hold /dist/worker.js (as in demo/).
    server = await startStaticServer({ mounts: { '/': repoRoot, '/pkg/': unpacked } });
    url = server.url + PACKAGE;
    browser = await launchChromium({ webgpu: false });
    context = await browser.newContext();
    page = await context.newPage();
    await openShell();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await openShell(); // now through the service worker, which keeps the shell
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (unpacked) await rm(unpacked, { recursive: true, force: true });
  });

  it('refetches a damaged cache entry while online and stores the right bytes again', async () => {
    expect(await page.evaluate(`(${RUN_ADDITION})({ cache: true })`)).toEqual([8, 10, 12, 14]);
    await page.evaluate(`(${DAMAGE_ENTRY})(${JSON.stringify([url, PACKAGE_SHA])})`);
    expect(await page.evaluate(`(${CACHE_ENTRY})('${url}')`)).toEqual({ stored: PACKAGE_SHA, actual: DAMAGED_SHA });
    expect(await page.evaluate(`(${RUN_ADDITION})({ cache: true })`)).toEqual([8, 10, 12, 14]);
    expect(await page.evaluate(`(${CACHE_ENTRY})('${url}')`)).toEqual({ stored: PACKAGE_SHA, actual: PACKAGE_SHA });
  });

  it('keeps every file of a directory package and of a bare model, and what they probed for and did not find', async () => {
    expect(await page.evaluate(`(${RUN_ADDITION})({ cache: true }, '/pkg/')`)).toEqual([8, 10, 12, 14]);
    expect(await page.evaluate(`(${RUN_ADDITION})({ cache: true }, '/pkg/0/data/model.onnx')`)).toEqual([8, 10, 12, 14]);
    const kept = await page.evaluate(`caches.open('neuropod-web-packages-v1').then((c) => c.keys()).then((keys) => Promise.all(keys.map(async (k) => [new URL(k.url).pathname, (await caches.match(k)).headers.get('X-Neuropod-Sha256') === 'absent'])))`);
    expect(Object.fromEntries(kept as [string, boolean][])).toEqual({
      [PACKAGE]: false,
      '/pkg/manifest.json': true,
      '/pkg/config.json': false,
      '/pkg/0/data/model.onnx': false,
      '/pkg/0/data/model.onnx/config.json': true,
    });
  });

  it('reloads the page offline and runs the cached package; uncached loads and damaged entries fail clearly', async () => {
    await context.setOffline(true);
    try {
      await openShell();
      expect(await page.evaluate(`fetch('${PACKAGE}').then(() => 'online', (e) => e.name)`)).toBe('TypeError');
      expect(await page.evaluate(`(${RUN_ADDITION})({ cache: true })`)).toEqual([8, 10, 12, 14]);
      expect(await page.evaluate(`(${RUN_ADDITION})({ cache: true }, '/pkg/')`)).toEqual([8, 10, 12, 14]);
      expect(await page.evaluate(`(${RUN_ADDITION})({ cache: true }, '/pkg/0/data/model.onnx')`)).toEqual([8, 10, 12, 14]);
      expect(await page.evaluate(`(${RUN_ADDITION})({})`)).toEqual(['IO_FAILED', `cannot fetch ${url}: Failed to fetch`]);
      await page.evaluate(`(${DAMAGE_ENTRY})(${JSON.stringify([url, PACKAGE_SHA])})`);
      expect(await page.evaluate(`(${RUN_ADDITION})({ cache: true })`)).toEqual([
        'IO_FAILED',
        `the cached copy of ${url} is damaged (its sha256 is ${DAMAGED_SHA}, it was stored as ${PACKAGE_SHA}) and fetching it again failed: cannot fetch ${url}: Failed to fetch`,
      ]);
      expect(await page.evaluate(`(${CACHE_ENTRY})('${url}')`)).toBeUndefined();
    } finally {
      await context.setOffline(false);
    }
  });
});
