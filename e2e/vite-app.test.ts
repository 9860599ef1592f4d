import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, launchChromium } from '../src/testing/chromium.js';
import { repoRoot } from '../src/testing/shared-fixtures.js';
import { startStaticServer, type StaticServer } from '../src/testing/static-server.js';

const run = promisify(execFile);

const APP_MAIN = `import { load, tensor } from 'neuropod-web';
try {
  const model = await load('addition.neuropod');
  const { out } = await model.infer({ x: tensor([1, 2, 3, 4], [2, 2]), y: tensor([7, 8, 9, 10], [2, 2]) });
  window.result = { out: Array.from(out.data), name: model.name };
} catch (e) {
  window.result = { error: e.code + ': ' + e.message };
}
`;

const TYPED_USE = `import { load, tensor, isNeuropodError, type Model, type LoadOptions } from 'neuropod-web';
const options: LoadOptions = { worker: true, cache: true, backend: 'auto' };
const model: Model = await load('addition.neuropod', options);
const out = await model.infer({ x: tensor([1, 2], [1, 2]) }, { transfer: true, outputs: ['out'] });
const first: string = out.out!.dtype;
const timings: number[] = model.profile().map((t) => t.ms);
export { first, timings, isNeuropodError };`;

/** A tiny app whose node_modules/neuropod-web is the packed tarball, as `npm install ./neuropod-web-x.tgz` lays it out. */
async function makeApp(dir: string): Promise<void> {
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: repoRoot });
  const tarball = join(dir, stdout.trim().split('\n').pop()!);
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', join(dir, 'node_modules')]);
  await rename(join(dir, 'node_modules/package'), join(dir, 'node_modules/neuropod-web'));
  await mkdir(join(dir, 'public'));
  await copyFile(join(repoRoot, 'examples/addition.neuropod'), join(dir, 'public/addition.neuropod'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'tiny-app', private: true, type: 'module', dependencies: { 'neuropod-web': 'file:neuropod-web.tgz' } }));
  await writeFile(join(dir, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"></head><body><script type="module" src="/main.js"></script></body></html>');
  await writeFile(join(dir, 'main.js'), APP_MAIN);
}

describe.skipIf(!chromiumOrSkip('the Vite app'))('a Vite app that depends on the packed tarball', () => {
  let app: string;
  let server: StaticServer;
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(join(repoRoot, 'dist/worker.js'))) throw new Error('dist/worker.js is missing: run `npm run build` first (npm test does).');
    app = await mkdtemp(join(tmpdir(), 'neuropod-web-vite-app-'));
    await makeApp(app);
    const { build } = await import('vite');
    await build({ root: app, configFile: false, logLevel: 'error', build: { outDir: join(app, 'dist'), emptyOutDir: true } });
    server = await startStaticServer({ mounts: { '/': join(app, 'dist') } });
    browser = await launchChromium({ webgpu: false });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (app) await rm(app, { recursive: true, force: true });
  });

  it('ships types, the ESM entry and the worker in the tarball', () => {
    const pkg = join(app, 'node_modules/neuropod-web');
    expect(['dist/index.js', 'dist/worker.js', 'dist/src/index.d.ts', 'package.json'].filter((f) => !existsSync(join(pkg, f)))).toEqual([]);
  });

  it("types an app's use of it through the exports map", async () => {
    const compilerOptions = { noEmit: true, strict: true, skipLibCheck: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] };
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['typed.ts'] }));
    await writeFile(join(app, 'typed.ts'), TYPED_USE);
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    const args = ['-p', 'tsconfig.json'];
    const typed = await run(process.execPath, [tsc, ...args], { cwd: app }).then(() => 'ok', (e: { stdout: string }) => e.stdout);
    expect(typed).toBe('ok');
    // The same check fails on a misuse, so it is really reading the package's types.
    await writeFile(join(app, 'typed.ts'), `${TYPED_USE}\nmodel.infer(42);\n`);
    const misused = await run(process.execPath, [tsc, ...args], { cwd: app }).then(() => 'ok', (e: { stdout: string }) => e.stdout);
    expect(misused).toContain("typed.ts(8,13): error TS2345: Argument of type 'number' is not assignable to parameter of type 'InferInputs'.");
  });

  it('bundles the engine, emits the Worker as an asset of its own, and runs the example package', async () => {
    const assets = await readdir(join(app, 'dist/assets'));
    const worker = assets.filter((f) => /^worker-.*\.js$/.test(f));
    expect(worker).toHaveLength(1);
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    const result = await page.waitForFunction(() => (window as { result?: unknown }).result).then((h) => h.jsonValue());
    // NEUROPOD-FORMAT.md section 7's addition case.
    expect(result).toEqual({ out: [8, 10, 12, 14], name: 'addition_model' });
    expect(page.workers().map((w) => w.url())).toEqual([`${server.url}/assets/${worker[0]}`]);
    await page.close();
  });

  it("runs under Vite's dev server too, dependency pre-bundling and all", async () => {
    const { createServer } = await import('vite');
    const dev = await createServer({ root: app, configFile: false, logLevel: 'error', server: { host: '127.0.0.1', port: 0, hmr: false } });
    await dev.listen();
    try {
      const origin = dev.resolvedUrls!.local[0]!.replace(/\/$/, '');
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on('request', (r) => requested.push(new URL(r.url()).pathname));
      await page.goto(`${origin}/`);
      const result = await page.waitForFunction(() => (window as { result?: unknown }).result).then((h) => h.jsonValue());
      expect(result).toEqual({ out: [8, 10, 12, 14], name: 'addition_model' });
      expect(requested).toContain('/node_modules/.vite/deps/neuropod-web.js');
      expect(page.workers().map((w) => w.url())).toEqual([`${origin}/node_modules/neuropod-web/dist/worker.js`]);
      await page.close();
    } finally {
      await dev.close();
    }
  });
});
