import * as Comlink from 'comlink';
import { NeuropodError } from '../api/errors.js';
import { inputMap, type InferInputs } from '../api/infer-inputs.js';
import type { Model } from '../api/model.js';
import { throwIfAborted, type BackendName, type InferOptions, type LoadOptions } from '../api/options.js';
import type { PackageSource } from '../archive/open-package.js';
import type { OpTiming } from '../runtime/executor.js';
import { frozenSpecs } from '../spec/frozen-specs.js';
import type { TensorSpec } from '../spec/types.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SelfTestOptions, SelfTestReport } from '../testing/self-test.js';
import { EngineConnection } from './engine-connection.js';
import { threadsAvailable, warnThreadsOnce } from '../backends/wasm/threads.js';
import { isGpuBufferTensor, type GpuBufferTensor } from '../backends/webgpu/gpu-buffer-tensor.js';
import type { ModelInfo, WorkerLoadOptions } from './engine-worker.js';
import { takeOwnership, tensorsFromWire, tensorsToWire, unwrap, type WireBytes } from './wire.js';

/** What it takes to load the model, and to load it again in a fresh Worker after a crash. */
interface LoadRequest {
  source: PackageSource | WireBytes;
  options: WorkerLoadOptions;
}

/** Loads the model in a dedicated engine Worker; the model returned drives it (docs/browser.md). */
export async function loadInWorker(source: PackageSource, options: LoadOptions): Promise<Model> {
  const { backend, validate, threads, cache } = options;
  // A page that is not cross-origin isolated gives its Workers no SharedArrayBuffer either: the engine Worker is
  // told one thread (so it stays quiet) and the page warns, once, when a model lands on wasm.
  const oneThread = threads !== 1 && !threadsAvailable();
  const model = new WorkerModel({ source: transportable(source), options: { backend, validate, threads: oneThread ? 1 : threads, cache } });
  await model.open(options.signal);
  if (oneThread && model.backend === 'wasm') warnThreadsOnce();
  return model;
}

/**
 * Strings are resolved against the page here (the Worker's own location is the engine script). Bytes are kept
 * as a Blob, off the JS heap and without detaching the caller's buffer, so a crashed Worker's successor can read
 * them again.
 */
function transportable(source: PackageSource): PackageSource | WireBytes {
  if (typeof source === 'string') return resolvedHere(source);
  if (source instanceof URL) return source.href;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const view = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    // A Blob takes no view of shared memory: such bytes are copied out first.
    const owned = view.buffer instanceof ArrayBuffer ? view : view.slice();
    return { kind: 'neuropod-bytes', blob: new Blob([owned as Uint8Array<ArrayBuffer>]), asBuffer: source instanceof ArrayBuffer };
  }
  return source;
}

/** Against the page's base URL, or the calling Worker's location; a base that cannot resolve (blob:) leaves it as is. */
function resolvedHere(url: string): string {
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

interface Job {
  send(engine: EngineConnection): Promise<void>;
  reject(e: unknown): void;
  done: boolean;
}

/** The page's side of a model loaded in a Worker: same surface as LocalModel, calls queued in order. */
class WorkerModel implements Model {
  name = '';
  platform = '';
  inputs: readonly Readonly<TensorSpec>[] = [];
  outputs: readonly Readonly<TensorSpec>[] = [];
  backend: BackendName = 'cpu';
  /** The Worker with the model loaded (or being loaded); undefined after a crash until the next call. */
  private engine: Promise<EngineConnection> | undefined;
  private live: EngineConnection | undefined;
  private tail: Promise<void> = Promise.resolve();
  private readonly pending = new Set<Job>();
  private timings: OpTiming[] = [];
  private disposed = false;

  constructor(private readonly request: LoadRequest) {}

  async open(signal: AbortSignal | undefined): Promise<void> {
    this.describe(await this.startEngine(signal));
  }

  /** After load: the Worker's figure from its load (a later re-warm in the Worker is not reported here). */
  pipelineMs: number | undefined;

  infer(inputs: InferInputs, options: InferOptions & { outputsOn: 'gpu' }): Promise<Record<string, GpuBufferTensor>>;
  infer(inputs: InferInputs, options?: InferOptions): Promise<Record<string, Tensor>>;
  infer(inputs: InferInputs, options: InferOptions = {}): Promise<Record<string, Tensor | GpuBufferTensor>> {
    return this.enqueue<Record<string, Tensor | GpuBufferTensor>>(options.signal, 'infer()', () => {
      const given = inputMap(inputs);
      const gpuInput = [...given].find(([, t]) => isGpuBufferTensor(t))?.[0];
      if (gpuInput !== undefined || options.outputsOn === 'gpu') {
        const what = gpuInput !== undefined ? `GPU tensor input '${gpuInput}'` : `outputsOn: 'gpu'`;
        throw new NeuropodError('USAGE', `infer(): ${what} cannot cross to the engine Worker (a GPUBuffer belongs to the thread and device that made it); load the model with worker: false to chain GPU tensors`);
      }
      const wire = takeOwnership(tensorsToWire(given as Map<string, Tensor>, options.transfer ? 'move' : 'copy'));
      return async (engine) => {
        const answer = unwrap(await engine.call((remote) => remote.infer(Comlink.transfer(wire.tensors, wire.transfer), options.outputs)));
        this.timings = answer.timings;
        return Object.fromEntries(tensorsFromWire(answer.outputs));
      };
    });
  }

  selfTest(options: SelfTestOptions = {}): Promise<SelfTestReport> {
    return this.enqueue(undefined, 'selfTest()', () => async (engine) => unwrap(await engine.call((remote) => remote.selfTest(options))));
  }
  profile(): OpTiming[] {
    return this.timings.map((t) => ({ ...t }));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.failPending(this.disposedError());
    const engine = this.engine;
    this.engine = this.live = undefined;
    this.timings = [];
    (await engine?.catch(() => undefined))?.terminate();
  }

  /**
   * Calls run one at a time, in order. `prepare` runs now (it takes the inputs at call time); what it returns runs
   * at the call's turn, unless the call was cancelled or failed while it waited. A cancelled call that is already
   * running settles at once, and its answer is dropped when it comes.
   */
  private enqueue<T>(signal: AbortSignal | undefined, what: string, prepare: () => (engine: EngineConnection) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.disposed) throw this.disposedError();
      throwIfAborted(signal, what);
      const send = prepare();
      const onAbort = (): void => job.reject(new NeuropodError('ABORTED', `${what} was cancelled`, { cause: signal?.reason }));
      const settle = (finish: () => void): void => {
        if (job.done) return;
        job.done = true;
        this.pending.delete(job);
        signal?.removeEventListener('abort', onAbort);
        finish();
      };
      const job: Job = {
        done: false,
        send: async (engine) => {
          const value = await send(engine);
          settle(() => resolve(value));
        },
        reject: (e) => settle(() => reject(e)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(job);
      this.tail = this.tail.then(() => this.run(job));
    });
  }

  private async run(job: Job): Promise<void> {
    if (job.done) return;
    try {
      const engine = await this.connected();
      if (!job.done) await job.send(engine);
    } catch (e) {
      job.reject(e);
    }
  }

  /** The live Worker, or a fresh one with the model loaded again when the last one crashed. */
  private connected(): Promise<EngineConnection> {
    if (this.disposed) return Promise.reject(this.disposedError());
    if (!this.engine) {
      const starting = this.startEngine(undefined).then(() => this.live!);
      this.engine = starting;
      starting.catch(() => {
        if (this.engine === starting) this.engine = undefined;
      });
    }
    return this.engine;
  }

  private async startEngine(signal: AbortSignal | undefined): Promise<ModelInfo> {
    const abort = abortion(signal);
    const starting = EngineConnection.start((connection, reason) => this.crashed(connection, reason));
    let engine: EngineConnection;
    try {
      engine = await Promise.race([starting, abort.promise]);
    } catch (e) {
      void starting.then((late) => late.terminate(), () => {});
      abort.stop();
      throw e;
    }
    try {
      const info = unwrap(await Promise.race([engine.call((remote) => remote.load(this.request.source, this.request.options)), abort.promise]));
      this.live = engine;
      this.engine ??= Promise.resolve(engine);
      return info;
    } catch (e) {
      engine.terminate();
      throw e;
    } finally {
      abort.stop();
    }
  }

  private describe(info: ModelInfo): void {
    this.name = info.name;
    this.platform = info.platform;
    this.inputs = frozenSpecs(info.inputs);
    this.outputs = frozenSpecs(info.outputs);
    this.backend = info.backend;
    this.pipelineMs = info.pipelineMs;
  }

  /** Every call made before the crash fails with it; the next one starts a fresh Worker. */
  private crashed(connection: EngineConnection, reason: string): void {
    if (this.live === connection) this.engine = this.live = undefined;
    this.failPending(new NeuropodError('WORKER_CRASHED', `model '${this.name}': the engine Worker ${reason}; its pending calls were rejected, and the next call starts a fresh Worker and loads the model again`));
  }

  private failPending(e: NeuropodError): void {
    for (const job of [...this.pending]) job.reject(e);
  }

  private disposedError(): NeuropodError {
    return new NeuropodError('DISPOSED', `model '${this.name}' was disposed; load it again to run it`);
  }
}

/** A promise that rejects with ABORTED when `signal` fires (never without one), and a way to stop listening. */
function abortion(signal: AbortSignal | undefined): { promise: Promise<never>; stop: () => void } {
  let stop = (): void => {};
  const promise = new Promise<never>((_, reject) => {
    if (!signal) return;
    const onAbort = (): void => reject(new NeuropodError('ABORTED', 'load() was cancelled', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    stop = () => signal.removeEventListener('abort', onAbort);
  });
  promise.catch(() => {});
  return { promise, stop };
}
