import { Worker } from 'node:worker_threads';
import type { TestRef } from './cases.js';
import type { TestResult } from './run-test.js';

export interface PoolOptions {
  backend: string;
  /** Tests run at once, one worker thread each. */
  jobs: number;
  /** A test running longer is failed and its worker terminated (a hung kernel cannot hang the run). */
  timeoutMs: number;
  /** Heap cap of a worker, so one runaway test fails alone instead of taking the process down. */
  heapMb?: number;
}

/**
 * Runs tests in worker threads, each under a time cap. A worker that times out, crashes or runs out of memory is
 * terminated and replaced; its test is failed with the reason. Results come back in the order of `refs`.
 */
export async function runInWorkers(refs: readonly TestRef[], opts: PoolOptions, onResult?: (r: TestResult) => void): Promise<TestResult[]> {
  // A worker cannot pick the Vulkan driver for Dawn (its process.env is a copy): the main thread does it first.
  if (opts.backend === 'webgpu') await (await import('../backends/webgpu/gpu-source.js')).settleVulkanDriver();
  const results: TestResult[] = new Array(refs.length);
  let next = 0;
  const slot = async (): Promise<void> => {
    const lane = new WorkerLane(opts);
    try {
      while (next < refs.length) {
        const i = next++;
        results[i] = await lane.run(refs[i]!);
        onResult?.(results[i]!);
      }
    } finally {
      await lane.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, refs.length)) }, slot));
  return results;
}

/** One worker thread, restarted after a test kills it. */
class WorkerLane {
  private worker: Promise<Worker> | undefined;
  constructor(private readonly opts: PoolOptions) {}

  async run(ref: TestRef): Promise<TestResult> {
    const worker = await (this.worker ??= startWorker(this.opts));
    const started = performance.now();
    const failure = (category: 'timeout' | 'crash', reason: string): TestResult => ({
      id: ref.id, suite: ref.suite, kind: ref.kind, status: 'failed', category, reason, ms: Math.round(performance.now() - started),
    });
    return new Promise<TestResult>((resolve) => {
      const done = (result: TestResult, dead: boolean): void => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (dead) {
          this.worker = undefined;
          void worker.terminate();
        }
        resolve(result);
      };
      const onMessage = (result: TestResult): void => done(result, false);
      const onError = (e: Error): void => done(failure('crash', `the test crashed its worker: ${e.message}`), true);
      const onExit = (code: number): void => done(failure('crash', `the worker exited with code ${code} during the test`), true);
      const timer = setTimeout(() => done(failure('timeout', `did not finish within ${this.opts.timeoutMs / 1000} s`), true), this.opts.timeoutMs);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage(ref);
    });
  }

  async close(): Promise<void> {
    const worker = await this.worker?.catch(() => undefined);
    await worker?.terminate();
  }
}

/** Resolves once the worker has loaded the backend, so start-up time never counts against a test's cap. */
function startWorker(opts: PoolOptions): Promise<Worker> {
  const worker = spawnWorker(opts);
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the conformance worker exited with code ${code} while starting`)));
  });
}

/** From TypeScript sources (tsx, vitest) the worker registers tsx itself: Node 20 workers do not inherit its hooks. */
function spawnWorker(opts: PoolOptions): Worker {
  const options = { workerData: { backend: opts.backend }, resourceLimits: { maxOldGenerationSizeMb: opts.heapMb ?? 4096 } };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), options);
  const entry = new URL('./worker.ts', import.meta.url).href;
  const code = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { ...options, eval: true });
}
