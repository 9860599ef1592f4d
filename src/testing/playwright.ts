/**
 * neuropod-web/playwright: run a model in a real browser from a Playwright (or vitest) test and compare what
 * it gives with a server's outputs. Node only. Works with @playwright/test's `page` or a playwright-core Browser.
 */
export { openBrowserModel, type BrowserModel, type BrowserModelOptions, type KitPage, type KitPageSource } from './browser-model.js';
export { outputMatchers, toMatchOutputs, type MatcherResult, type OutputMatchers } from './output-matcher.js';
export { startReferenceServer, type ReferenceServer, type ReferenceServerOptions } from '../serve/server.js';
export { fetchServerOutputs, fetchServerSpec } from '../serve/client.js';
export { chromiumArgs, chromiumPath, launchChromium } from './chromium.js';
export { compareOutputs } from './compare.js';
export { formatReport } from './format-report.js';
