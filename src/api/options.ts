import { NeuropodError } from './errors.js';

import type { BackendName } from '../runtime/backend.js';

export type { BackendName };
/** Backends a caller may ask for; 'auto' takes the best that can start here (src/backends/index.ts). */
export const BACKENDS = ['auto', 'cpu', 'wasm', 'webgpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface LoadOptions {
  /** 'auto' (default) chooses the best backend that can start here; a named one that cannot is BACKEND_UNAVAILABLE. */
  backend?: BackendChoice;
  /** Neuropod spec checks on inputs before and outputs after each infer (default true). */
  validate?: boolean;
  /** Cancels loading (fetches and import). */
  signal?: AbortSignal;
  /**
   * Run the engine in a dedicated module Worker (docs/browser.md). Default: true in a page (a window with `Worker`),
   * false elsewhere (Node, or inside the caller's own Worker, where it runs in place).
   */
  worker?: boolean;
  /** Keep fetched package files in the Cache API with their sha256 so they load again offline (docs/browser.md). */
  cache?: boolean;
  /**
   * wasm backend threads: its Conv/Gemm/MatMul split across a pool of Workers on one shared memory (docs/wasm.md).
   * Default min(cores, 4) where SharedArrayBuffer exists (Node; a cross-origin isolated page), else 1 with one
   * console warning saying which headers give threads; `threads: 1` is one thread, without the warning.
   */
  threads?: number;
}

export interface InferOptions {
  /** Outputs to compute and return; empty or absent means every output. */
  outputs?: readonly string[];
  /** Cancels the call while it waits in the model's queue, or drops its result once it runs (ABORTED). */
  signal?: AbortSignal;
  /**
   * Worker models only: hand the input buffers to the Worker without a copy. The caller's typed arrays are then
   * detached (length 0). Default false: the inputs are copied once and stay usable.
   */
  transfer?: boolean;
  /**
   * 'gpu' (webgpu models in place, worker: false): every output stays on the GPU as a GpuBufferTensor the caller
   * reads with read() and frees with dispose(), with no readback (docs/api.md, "GPU tensors"). Default 'cpu'.
   */
  outputsOn?: 'cpu' | 'gpu';
}

export interface ResolvedOptions {
  backend: BackendChoice;
  validate: boolean;
  worker: boolean;
  cache: boolean;
  threads?: number;
}

function usage(message: string): NeuropodError {
  return new NeuropodError('USAGE', `load(): ${message}`);
}

/** Checks load() options and picks the backend. */
export function resolveOptions(options: LoadOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw usage(`options must be an object, got ${String(options)}`);
  const choice = options.backend ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(choice)) throw usage(`backend must be one of ${BACKENDS.join(', ')}; got ${JSON.stringify(choice)}`);
  if (options.validate !== undefined && typeof options.validate !== 'boolean') throw usage(`validate must be true or false; got ${JSON.stringify(options.validate)}`);
  if (options.worker !== undefined && typeof options.worker !== 'boolean') throw usage(`worker must be true or false; got ${JSON.stringify(options.worker)}`);
  if (options.cache !== undefined && typeof options.cache !== 'boolean') throw usage(`cache must be true or false; got ${JSON.stringify(options.cache)}`);
  if (options.worker && !canStartWorker()) throw usage('worker: true needs the Web Worker API, which this environment lacks (leave worker unset to run in place)');
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads > 0)) throw usage(`threads must be a positive integer; got ${JSON.stringify(options.threads)}`);
  if (options.signal !== undefined && !isAbortSignal(options.signal)) throw usage('signal must be an AbortSignal');
  const worker = options.worker ?? (runsInWindow() && canStartWorker());
  return { backend: choice, validate: options.validate ?? true, worker, cache: options.cache ?? false, threads: options.threads };
}

/** A page: the engine goes to a Worker by default there. Inside a Worker (no window) or Node it runs in place. */
function runsInWindow(): boolean {
  return typeof window !== 'undefined' && typeof document !== 'undefined';
}

function canStartWorker(): boolean {
  return typeof Worker === 'function';
}

function isAbortSignal(v: unknown): v is AbortSignal {
  return typeof v === 'object' && v !== null && typeof (v as AbortSignal).aborted === 'boolean' && typeof (v as AbortSignal).addEventListener === 'function';
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new NeuropodError('ABORTED', `${what} was cancelled`, { cause: signal.reason });
}
