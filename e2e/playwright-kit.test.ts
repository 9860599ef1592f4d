import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { chromiumOrSkip, launchChromium } from '../src/testing/chromium.js';
import { openBrowserModel } from '../src/testing/playwright.js';
import { additionWithTestData, MATCHING, OFF_BY_HALF } from '../src/testing/addition-test-data.js';
import { repoRoot } from '../src/testing/shared-fixtures.js';
import { tensor } from '../src/tensor/tensor.js';

describe.skipIf(!chromiumOrSkip('the Playwright kit'))('openBrowserModel', () => {
  let browser: Browser;
  beforeAll(async () => void (browser = await launchChromium()));
  afterAll(() => browser?.close());

  it('serves a package, runs it in a cross-origin-isolated page on the cpu backend and returns tensors', async () => {
    const model = await openBrowserModel(browser, `${repoRoot}/examples/addition.neuropod`, { backend: 'cpu' });
    expect([model.name, model.platform, model.backend, model.url]).toEqual(['addition_model', 'onnx', 'cpu', expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/)]);
    const out = await model.infer({ x: tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]), y: { dtype: 'float32', shape: [2, 2], data: [7, 8, 9, 10] } });
    // NEUROPOD-FORMAT.md section 7, addition case.
    expect([out.out!.dtype, out.out!.shape, [...out.out!.numeric]]).toEqual(['float32', [2, 2], [8, 10, 12, 14]]);
    expect(await (model.page as unknown as { evaluate(s: string): Promise<unknown> }).evaluate('crossOriginIsolated')).toBe(true);
    await model.close();
  });

  it('passes a page error back as a NeuropodError with its code', async () => {
    const model = await openBrowserModel(browser, `${repoRoot}/examples/addition.neuropod`, { backend: 'cpu' });
    await expect(model.infer({ x: tensor(Int32Array.from([1, 2]), [1, 2]) })).rejects.toMatchObject({ code: 'SPEC_DTYPE', message: expect.stringMatching(/^in the browser \(.*addition\.neuropod\): Neuropod Error: Tensor 'x'/) });
    await model.close();
  });

  it("navigates a page it is given (as @playwright/test's page fixture) and leaves it open on close", async () => {
    const page = await browser.newPage();
    const model = await openBrowserModel(page, `${repoRoot}/examples/addition.neuropod`, { backend: 'cpu' });
    expect(page.url()).toBe(`${model.url}/`);
    await model.close();
    expect(page.isClosed()).toBe(false);
    await page.close();
  });

  it("runs the package's test_data.pkl in the page: selfTest() passes, and fails when the expectation is off", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-selftest-'));
    try {
      for (const [file, pickle] of [['matching.neuropod', MATCHING], ['off.neuropod', OFF_BY_HALF]] as const) writeFileSync(join(dir, file), additionWithTestData(pickle));
      const matching = await openBrowserModel(browser, join(dir, 'matching.neuropod'), { backend: 'cpu' });
      expect(await matching.selfTest()).toMatchObject({ pass: true, semantics: 'allclose', specIssues: [] });
      await matching.close();
      const off = await openBrowserModel(browser, join(dir, 'off.neuropod'), { backend: 'cpu' });
      const report = await off.selfTest();
      expect(report.pass).toBe(false);
      expect(report.message).toContain('worst at [1,1] (flat 3): actual 14, expected 14.5');
      await off.close();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('rejects a backend the page cannot start with BACKEND_UNAVAILABLE (webgpu in a Chromium without WebGPU)', async () => {
    const plain = await launchChromium({ webgpu: false });
    try {
      await expect(openBrowserModel(plain, `${repoRoot}/examples/addition.neuropod`, { backend: 'webgpu' })).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    } finally {
      await plain.close();
    }
  });
});
