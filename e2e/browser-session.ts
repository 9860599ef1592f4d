import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../src/testing/chromium.js';
import { repoRoot, sharedRoot } from '../src/testing/shared-fixtures.js';
import { startStaticServer, type StaticServer } from '../src/testing/static-server.js';

/** A served repo (and ../shared under /shared/) plus one Chromium, for a suite's beforeAll/afterAll. */
export class BrowserSession {
  server!: StaticServer;
  browser!: Browser;

  /** `mounts` adds folders to serve (generated models, a test app) beside the repo and ../shared. */
  async start(options: { webgpu?: boolean; mounts?: Record<string, string> } = {}): Promise<void> {
    if (!existsSync(join(repoRoot, 'dist/index.js'))) throw new Error('dist/index.js is missing: run `npm run build` first (npm test does).');
    this.server = await startStaticServer({ mounts: { '/': repoRoot, '/shared/': sharedRoot, ...options.mounts } });
    this.browser = await launchChromium({ webgpu: options.webgpu });
  }

  /** A page on the served origin with the engine's module URL at hand. */
  async page(path = '/e2e/pages/blank.html'): Promise<Page> {
    const page = await this.browser.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    await page.goto(this.server.url + path);
    return page;
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.server?.close();
  }
}
