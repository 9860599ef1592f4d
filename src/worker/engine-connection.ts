import * as Comlink from 'comlink';
import { NeuropodError } from '../api/errors.js';
import type { EngineApi } from './engine-worker.js';

/**
 * One engine Worker and the ways it can die. `call` settles with the Worker's answer or, when the Worker dies
 * first, with WORKER_CRASHED; `onDeath` hears of a death even when no call is pending.
 */
export class EngineConnection {
  /** Every EngineApi method already answers a promise, so the proxy has the API's own types. */
  readonly remote: EngineApi;
  private readonly proxy: Comlink.Remote<EngineApi>;
  private readonly died: Promise<never>;
  private reject!: (e: NeuropodError) => void;
  private ended = false;
  private started = false;

  private constructor(
    private readonly worker: Worker,
    private readonly scriptUrl: string,
    private readonly onDeath: (connection: EngineConnection, reason: string) => void,
  ) {
    this.proxy = Comlink.wrap<EngineApi>(worker);
    this.remote = this.proxy as unknown as EngineApi;
    this.died = new Promise<never>((_, reject) => (this.reject = reject));
    this.died.catch(() => {});
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      const message = (e as ErrorEvent).message;
      if (message) this.die(`had an uncaught error: ${message}`);
      else this.die(this.started ? 'failed' : `could not load or run its script ${this.scriptUrl} (dist/worker.js is served beside dist/index.js, with CORS when it is of another origin)`);
    });
    worker.addEventListener('messageerror', () => this.die('sent a message that could not be read'));
  }

  /** Starts a Worker from dist/worker.js and waits until it holds its life lock. */
  static async start(onDeath: (connection: EngineConnection, reason: string) => void): Promise<EngineConnection> {
    const { worker, url, revoke } = spawnEngineWorker();
    const connection = new EngineConnection(worker, url, onDeath);
    try {
      await connection.watchLife();
      connection.started = true;
      return connection;
    } catch (e) {
      connection.terminate();
      throw e;
    } finally {
      revoke();
    }
  }

  call<T>(work: (remote: EngineApi) => Promise<T>): Promise<T> {
    return Promise.race([work(this.remote), this.died]);
  }

  /** Ends the Worker on purpose: no death is reported; calls still pending through it reject (nobody waits on them). */
  terminate(): void {
    if (!this.ended) this.reject(new NeuropodError('DISPOSED', 'the engine Worker was ended'));
    this.ended = true;
    this.proxy[Comlink.releaseProxy]();
    this.worker.terminate();
  }

  private async watchLife(): Promise<void> {
    const name = `neuropod-web-engine-${crypto.randomUUID()}`;
    if (!(await this.call((remote) => remote.holdLifeLock(name)))) return;
    // Granted only once the Worker's hold ends, which is when the Worker ends.
    navigator.locks.request(name, () => this.die('stopped (it closed itself, ran out of memory or was ended by the browser)')).catch(() => {});
  }

  private die(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.worker.terminate();
    this.reject(new NeuropodError('WORKER_CRASHED', `the engine Worker ${reason}`));
    this.onDeath(this, reason);
  }
}

/**
 * dist/worker.js beside this module, started directly where it can be. Otherwise a same-origin blob module starts
 * it by importing it: a Worker cannot be started from another origin (the engine imported from a CDN, with CORS),
 * and a Worker's own script is matched to a service worker by its URL, so an offline app whose service worker's
 * scope does not cover dist/ would not get it; a blob Worker belongs to the page's service worker instead.
 */
function spawnEngineWorker(): { worker: Worker; url: string; revoke: () => void } {
  const url = new URL(/* @vite-ignore */ './worker.js', import.meta.url);
  const controlled = Boolean(globalThis.navigator?.serviceWorker?.controller);
  if (url.origin === globalThis.location?.origin && !controlled) return { worker: new Worker(url, { type: 'module' }), url: url.href, revoke: () => {} };
  const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};\n`], { type: 'text/javascript' }));
  return { worker: new Worker(shim, { type: 'module' }), url: url.href, revoke: () => URL.revokeObjectURL(shim) };
}
