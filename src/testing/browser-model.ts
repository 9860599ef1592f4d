import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ERROR_CODES, NeuropodError, type ErrorCode } from '../api/errors.js';
import type { BackendChoice, BackendName } from '../api/options.js';
import type { TensorSpec } from '../spec/types.js';
import { DTYPES, isDType, type TensorData } from '../tensor/dtype.js';
import { tensor, Tensor } from '../tensor/tensor.js';
import type { TensorLike } from './compare.js';
import { KIT_PAGE_FUNCTION, KIT_PAGE_HTML } from './kit-page-source.js';
import type { SelfTestOptions, SelfTestReport } from './self-test.js';
import { repoRoot } from './shared-fixtures.js';
import { startStaticServer, type StaticServer } from './static-server.js';

/** The part of a Playwright Page the kit uses (so @playwright/test and playwright-core pages both fit). */
export interface KitPage {
  goto(url: string): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  close(): Promise<void>;
}

/** A Browser or BrowserContext: something that opens pages. */
export interface KitPageSource {
  newPage(): Promise<KitPage>;
}

export interface BrowserModelOptions {
  /** Backend in the page (default 'auto'); one that cannot start there rejects with BACKEND_UNAVAILABLE. */
  backend?: BackendChoice;
  /** Run the engine in a Worker in the page (the engine's default) or in the page itself. */
  worker?: boolean;
  /** Neuropod spec checks in the page (default true). */
  validate?: boolean;
  /** Folder holding the engine's browser build (index.js and its chunks); default this package's dist/. */
  distDir?: string;
}

export interface BrowserModel {
  name: string;
  platform: string;
  /** The backend the page runs on ('auto' resolved). */
  backend: BackendName;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  /** The page's origin (COOP/COEP, loopback). */
  url: string;
  page: KitPage;
  /** Runs the model in the page; the outputs come back to the test as tensors. */
  infer(inputs: Readonly<Record<string, TensorLike>>, options?: { outputs?: readonly string[] }): Promise<Record<string, Tensor>>;
  /** model.selfTest() in the page: the package's test_data.pkl on this browser's backend. */
  selfTest(options?: SelfTestOptions): Promise<SelfTestReport>;
  /** Disposes the model, closes the page if the kit opened it, and stops the server. */
  close(): Promise<void>;
}

interface WireTensor {
  dtype: string;
  shape: number[];
  b64?: string;
  strings?: string[];
}

/**
 * Serves `modelPath` (a .neuropod zip, a package directory, a bare .onnx or TF.js model.json) and the engine on a
 * cross-origin-isolated loopback server, opens it in a page and loads it on the chosen backend.
 */
type OpenedInPage = Omit<BrowserModel, 'url' | 'page' | 'infer' | 'selfTest' | 'close'>;

export async function openBrowserModel(target: KitPage | KitPageSource, modelPath: string, options: BrowserModelOptions = {}): Promise<BrowserModel> {
  const distDir = resolve(options.distDir ?? join(repoRoot, 'dist'));
  if (!existsSync(join(distDir, 'index.js'))) throw new NeuropodError('IO_FAILED', `${distDir}/index.js is missing: build the engine first (npm run build)`);
  const path = resolve(modelPath);
  if (!existsSync(path)) throw new NeuropodError('IO_FAILED', `openBrowserModel(): ${path} does not exist`);
  const isDirectory = statSync(path).isDirectory();
  const server = await startStaticServer({
    mounts: { '/neuropod-web/': distDir, '/model/': isDirectory ? path : dirname(path) },
    pages: { '/': KIT_PAGE_HTML, '/index.html': KIT_PAGE_HTML },
  });
  const ownsPage = !('goto' in target);
  let page: KitPage | undefined;
  try {
    page = ownsPage ? await (target as KitPageSource).newPage() : (target as KitPage);
    await page.goto(`${server.url}/`);
    const modelUrl = isDirectory ? '/model/' : `/model/${encodeURIComponent(basename(path))}`;
    const loadOptions = { backend: options.backend ?? 'auto', ...(options.worker === undefined ? {} : { worker: options.worker }), ...(options.validate === undefined ? {} : { validate: options.validate }) };
    const opened = await runInPage<OpenedInPage>(page, { op: 'open', engineUrl: '/neuropod-web/index.js', modelUrl, options: loadOptions }, modelPath);
    return browserModel(opened, page, server, ownsPage, modelPath);
  } catch (e) {
    if (ownsPage) await page?.close().catch(() => undefined);
    await server.close();
    throw e;
  }
}

function browserModel(opened: OpenedInPage, page: KitPage, server: StaticServer, ownsPage: boolean, what: string): BrowserModel {
  return {
    ...opened,
    url: server.url,
    page,
    infer: async (inputs, options = {}) => {
      const wire = Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, toWire(t, name)]));
      const answer = await runInPage<{ outputs: Record<string, WireTensor> }>(page, { op: 'infer', inputs: wire, outputs: options.outputs ?? [] }, what);
      return Object.fromEntries(Object.entries(answer.outputs).map(([name, t]) => [name, fromWire(t)]));
    },
    selfTest: async (options = {}) => (await runInPage<{ report: SelfTestReport }>(page, { op: 'selfTest', options }, what)).report,
    close: async () => {
      await runInPage(page, { op: 'close' }, what).catch(() => undefined);
      if (ownsPage) await page.close();
      await server.close();
    },
  };
}

async function runInPage<T>(page: KitPage, command: Record<string, unknown>, what: string): Promise<T> {
  const result = (await page.evaluate(`(${KIT_PAGE_FUNCTION})(${JSON.stringify(command)})`)) as T & { error?: { code: string; message: string } };
  if (result.error) {
    const code: ErrorCode = result.error.code in ERROR_CODES ? (result.error.code as ErrorCode) : 'INFERENCE_FAILED';
    throw new NeuropodError(code, `in the browser (${what}): ${result.error.message}`);
  }
  return result;
}

function toWire(t: TensorLike, name: string): WireTensor {
  if (!isDType(t.dtype)) throw new NeuropodError('TENSOR_INVALID', `input '${name}': dtype '${t.dtype}' is not a dtype`);
  if (t.dtype === 'string') return { dtype: t.dtype, shape: [...t.shape], strings: Array.from(t.data as ArrayLike<string>) };
  const data = tensor(t.data as TensorData, t.shape, t.dtype).numeric;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { dtype: t.dtype, shape: [...t.shape], b64: bytes.toString('base64') };
}

function fromWire(t: WireTensor): Tensor {
  if (!isDType(t.dtype)) throw new NeuropodError('INFERENCE_FAILED', `the page returned a tensor of unknown dtype '${t.dtype}'`);
  if (t.strings) return new Tensor('string', t.shape, t.strings);
  const bytes = Buffer.from(t.b64 ?? '', 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const Ctor = DTYPES[t.dtype].array!;
  return new Tensor(t.dtype, t.shape, new Ctor(copy.buffer, 0, copy.length / DTYPES[t.dtype].rawBytes));
}
