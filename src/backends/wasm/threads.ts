/**
 * How many threads the wasm backend runs on: `threads` from load() when the thread pool can start here, else 1
 * with one console warning per page or process saying how to get threads.
 */

/** Threads by default where they can run: the cores, at most 4 (more rarely pays on GEMMs of model size). */
export const DEFAULT_MAX_THREADS = 4;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p === 'object' && typeof p.versions?.node === 'string' && typeof (globalThis as { window?: unknown }).window === 'undefined';
}

/**
 * Whether a shared WebAssembly.Memory can be made and shared with Workers: always in Node (worker_threads), only
 * when cross-origin isolated in a browser.
 */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  return isNode() || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

async function cores(): Promise<number> {
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (typeof hc === 'number' && hc > 0) return hc;
  if (isNode()) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return 1;
}

export const THREADS_WARNING =
  'neuropod-web: the wasm backend runs on one thread here. WebAssembly threads need SharedArrayBuffer, which a page ' +
  'only has when cross-origin isolated: serve it with the headers "Cross-Origin-Opener-Policy: same-origin" and ' +
  '"Cross-Origin-Embedder-Policy: require-corp" (load() option threads: 1 keeps one thread without this warning).';

let warned = false;

/** The threads warning, once per page or process. */
export function warnThreadsOnce(): void {
  if (warned) return;
  warned = true;
  console.warn(THREADS_WARNING);
}

/** For tests: the next warnThreadsOnce warns again. */
export function resetThreadsWarning(): void {
  warned = false;
}

/**
 * The thread count for a model: `requested` (load()'s `threads`) or min(cores, 4) by default where threads can
 * run; 1 where they cannot (with the warning, unless 1 was asked for) or where `requested` is 1.
 */
export async function chooseThreads(requested: number | undefined): Promise<number> {
  if (requested === 1) return 1;
  if (!threadsAvailable()) {
    warnThreadsOnce();
    return 1;
  }
  return requested ?? Math.max(1, Math.min(await cores(), DEFAULT_MAX_THREADS));
}
