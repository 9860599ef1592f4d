import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, launchChromium } from '../src/testing/chromium.js';
import { repoRoot } from '../src/testing/shared-fixtures.js';
import { startStaticServer, type StaticServer } from '../src/testing/static-server.js';

/** The page of DESIGN.md section 1: one `<script type="module">`, the engine imported by URL from another origin. */
function pageImporting(engineOrigin: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cross-origin import</title></head><body>
<script type="module">
  import { load, tensor } from '${engineOrigin}/dist/index.js';
  try {
    const model = await load('addition.neuropod');
    const { out } = await model.infer({ x: tensor([1, 2, 3, 4], [2, 2]), y: tensor([7, 8, 9, 10], [2, 2]) });
    window.result = { out: Array.from(out.data), isolated: crossOriginIsolated };
  } catch (e) {
    window.result = { error: e.code + ': ' + e.message };
  }
</script>
</body></html>`;
}

describe.skipIf(!chromiumOrSkip('cross-origin import'))('a plain module page that imports dist/index.js from a second origin', () => {
  let engine: StaticServer;
  let site: StaticServer;
  let siteDir: string;
  let browser: Browser;
  beforeAll(async () => {
    engine = await startStaticServer({ mounts: { '/': repoRoot } });
    siteDir = await mkdtemp(join(tmpdir(), 'neuropod-web-site-'));
    await writeFile(join(siteDir, 'index.html'), pageImporting(engine.url));
    await copyFile(join(repoRoot, 'examples/addition.neuropod'), join(siteDir, 'addition.neuropod'));
    site = await startStaticServer({ mounts: { '/': siteDir } });
    browser = await launchChromium({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([engine?.close(), site?.close()]);
    await rm(siteDir, { recursive: true, force: true });
  });

  it('runs the engine Worker through a same-origin blob module and resolves the package against the page', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/index.html`);
    const result = await page.waitForFunction(() => (window as { result?: unknown }).result).then((h) => h.jsonValue());
    // NEUROPOD-FORMAT.md section 7's addition case; the package is the page's (site) copy, the engine the other origin's.
    expect(result).toEqual({ out: [8, 10, 12, 14], isolated: true });
    expect(page.workers().map((w) => w.url().startsWith(`blob:${site.url}/`))).toEqual([true]);
    await page.close();
  });
});
