import { NeuropodError } from '../../api/errors.js';
import { runChunk, type ChunkExports } from './thread-chunk.js';
import type { WasmKernelModules } from './wasm-modules-instance.js';

/** Job kinds, as runChunk (thread-chunk.ts) numbers them. */
export const JOB = { gemmColumns: 1, gemmRows: 2, convColumns: 3, depthwise: 4 } as const;

/**
 * The control block, in Int32 slots of the shared memory. GEN counts jobs (Workers sleep on it); CLAIM is the
 * current job's tag (its GEN, 11 bits) over the next unclaimed chunk (20 bits), so a Worker that woke late can
 * never take a chunk of a later job with the parameters of an earlier one; DONE counts finished chunks; ERR is
 * the first failing thread + 1, its message in MSG. OWNER holds the pool's id while it lives: a Worker that wakes
 * after dispose freed the block (terminate is asynchronous) finds another value there, or STOP, and leaves.
 */
const GEN = 0, CLAIM = 1, DONE = 2, ERR = 3, STOP = 4, KIND = 5, TOTAL = 6, OWNER = 7, PARAMS = 8, PARAM_SLOTS = 32;
const MSG = PARAMS + PARAM_SLOTS, MSG_CHARS = 200, CONTROL_SLOTS = MSG + 1 + MSG_CHARS;
const TAG_SHIFT = 20, INDEX_MASK = (1 << TAG_SHIFT) - 1, TAG_MASK = 0x7ff;
export const MAX_CHUNKS = INDEX_MASK;
/** A chunk unfinished this long (or 50 times the slowest chunk the caller ran, if longer) means its thread died. */
const STALL_MS = 10_000;
const START_MS = 30_000;

/**
 * Claims the next chunk of the job tagged `tag`, or -1 when it has none left (or a later job began). Workers get
 * this function's source text too, so it names no constant from outside it: 1 is CLAIM, 20 TAG_SHIFT.
 */
function claim(p: Int32Array, base: number, tag: number, total: number): number {
  for (;;) {
    const c = Atomics.load(p, base + 1);
    if (c >>> 20 !== tag || (c & 0xfffff) >= total) return -1;
    if (Atomics.compareExchange(p, base + 1, c, c + 1) === c) return c & 0xfffff;
  }
}

/** What a pool Worker runs: instantiate gemm and conv on the shared memory, then take chunks of every job. */
function workerBody(): string {
  return `
const runChunk = ${runChunk.toString()};
const claim = ${claim.toString()};
const [GEN, DONE, ERR, STOP, KIND, TOTAL, OWNER, PARAMS, MSG, MSG_CHARS, TAG_MASK] =
  ${JSON.stringify([GEN, DONE, ERR, STOP, KIND, TOTAL, OWNER, PARAMS, MSG, MSG_CHARS, TAG_MASK])};
function loop(ex, p, f, base, thread, tile, owner) {
  let seen = Atomics.load(p, base + GEN);
  for (;;) {
    Atomics.wait(p, base + GEN, seen);
    if (Atomics.load(p, base + STOP) !== 0 || Atomics.load(p, base + OWNER) !== owner) return;
    seen = Atomics.load(p, base + GEN);
    const tag = seen & TAG_MASK, kind = p[base + KIND], total = p[base + TOTAL];
    for (let i; (i = claim(p, base, tag, total)) >= 0;) {
      try {
        runChunk(ex, kind, p, f, base + PARAMS, i, tile);
      } catch (e) {
        if (Atomics.compareExchange(p, base + ERR, 0, thread + 1) === 0) {
          const text = String(e && e.message || e).slice(0, MSG_CHARS);
          for (let j = 0; j < text.length; j++) p[base + MSG + 1 + j] = text.charCodeAt(j);
          p[base + MSG] = text.length;
        }
      }
      if (Atomics.add(p, base + DONE, 1) + 1 === total) Atomics.notify(p, base + DONE);
    }
  }
}
port.on(async (msg) => {
  try {
    const imports = { env: { memory: msg.memory } };
    const gemm = (await WebAssembly.instantiate(msg.modules.gemm, imports)).exports;
    const conv = (await WebAssembly.instantiate(msg.modules.conv, imports)).exports;
    const ex = { gemm: gemm.gemm, pack_b: gemm.pack_b, im2col_pack_cols: conv.im2col_pack_cols, depthwise: conv.depthwise };
    const p = new Int32Array(msg.memory.buffer), f = new Float32Array(msg.memory.buffer);
    port.post({ ready: true });
    loop(ex, p, f, msg.control >> 2, msg.thread, msg.tile, msg.owner);
  } catch (e) {
    port.post({ error: String(e && e.stack || e) });
  }
});
`;
}

const NODE_PRELUDE = `const { parentPort } = require('node:worker_threads');
const port = { on: (f) => parentPort.once('message', f), post: (m) => parentPort.postMessage(m) };`;
const WEB_PRELUDE = `const port = { on: (f) => { self.onmessage = (e) => { self.onmessage = null; f(e.data); }; }, post: (m) => self.postMessage(m) };`;

/** One started Worker, Node's or the web's, behind the three calls the pool makes. */
interface PoolWorker {
  post(message: unknown): void;
  terminate(): void;
  /** Settles when the thread has ended (Node tells; a web Worker is taken as ended once terminated). */
  ended: Promise<void>;
}

interface WorkerEvents {
  message(data: { ready?: boolean; error?: string }): void;
  died(why: string): void;
}

type Spawn = (events: WorkerEvents) => PoolWorker;

async function spawner(): Promise<{ spawn: Spawn; done(): void }> {
  if (typeof Worker === 'function' && typeof Blob === 'function' && typeof URL.createObjectURL === 'function') {
    // A page or a Worker (the engine's own): a classic Worker from a Blob URL of the inlined source, so no file
    // has to be found next to a bundle.
    const url = URL.createObjectURL(new Blob([`${WEB_PRELUDE}\n${workerBody()}`], { type: 'text/javascript' }));
    return {
      spawn: (events) => {
        const w = new Worker(url, { name: 'neuropod-wasm-thread' });
        w.onmessage = (e) => events.message(e.data as { ready?: boolean; error?: string });
        w.onerror = (e) => {
          e.preventDefault();
          events.died(e.message || 'a script error');
        };
        w.onmessageerror = () => events.died('a message it could not read');
        let ended: () => void = () => {};
        const done = new Promise<void>((resolve) => (ended = resolve));
        return { post: (m) => w.postMessage(m), terminate: () => { w.terminate(); ended(); }, ended: done };
      },
      done: () => URL.revokeObjectURL(url),
    };
  }
  const { Worker: NodeWorker } = await import('node:worker_threads');
  const source = `${NODE_PRELUDE}\n${workerBody()}`;
  return {
    spawn: (events) => {
      const w = new NodeWorker(source, { eval: true, name: 'neuropod-wasm-thread' });
      w.unref();
      w.on('message', (m) => events.message(m as { ready?: boolean; error?: string }));
      w.on('error', (e) => events.died(e instanceof Error ? e.message : String(e)));
      const ended = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.on('exit', (code) => events.died(`it exited with code ${code}`));
      return { post: (m) => w.postMessage(m), terminate: () => void w.terminate(), ended };
    },
    done: () => {},
  };
}

/** Whether this thread may block in Atomics.wait (not a page's main thread). */
function canBlock(p: Int32Array, at: number): boolean {
  try {
    Atomics.wait(p, at, 1 - Atomics.load(p, at), 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `threads - 1` Workers and the calling thread, all on the shared memory of `modules`. `run` splits one job into
 * chunks that every thread claims from one counter until none is left (so a busy core takes fewer), the caller
 * included, and returns when all are done: synchronous, like the kernels around it. The caller waits with
 * Atomics.wait where it may and spins on Atomics.load on a page's main thread (`worker: false`). A Worker that
 * dies makes the pool fail with a NeuropodError (INFERENCE_FAILED) at the next job, or at the job it stalls;
 * `dispose` stops and terminates them all.
 */
export class ThreadPool {
  /** Jobs run, their chunks, and the chunks the calling thread ran itself (the rest ran on Workers). */
  readonly stats = { jobs: 0, chunks: 0, callerChunks: 0 };
  private gen = 0;
  private failure: NeuropodError | undefined;
  private disposed = false;
  private readonly p: Int32Array;
  private readonly f: Float32Array;
  private readonly base: number;
  private readonly blocking: boolean;

  private constructor(
    private readonly modules: WasmKernelModules,
    readonly threads: number,
    private readonly workers: PoolWorker[],
    private readonly control: number,
    /** threads × 128 bytes: each thread's edge-tile scratch. */
    private readonly tiles: number,
  ) {
    const buffer = modules.heap.memory.buffer;
    this.p = new Int32Array(buffer);
    this.f = new Float32Array(buffer);
    this.base = control >> 2;
    this.blocking = canBlock(this.p, this.base + STOP);
  }

  /** Starts `threads - 1` Workers on the shared memory of `modules` and waits until each has instantiated them. */
  static async start(modules: WasmKernelModules, threads: number): Promise<ThreadPool> {
    if (!modules.shared) throw new NeuropodError('USAGE', 'wasm thread pool: the modules must be the shared-memory build');
    const heap = modules.heap, control = heap.alloc(CONTROL_SLOTS * 4), tiles = heap.alloc(threads * 128);
    const block = new Int32Array(heap.memory.buffer, control, CONTROL_SLOTS).fill(0);
    const owner = 1 + Math.floor(Math.random() * 0x7ffffffe);
    block[OWNER] = owner;
    const workers: PoolWorker[] = [];
    let pool: ThreadPool | undefined;
    const { spawn, done } = await spawner();
    try {
      const ready = [];
      for (let t = 1; t < threads; t++) {
        ready.push(new Promise<void>((resolve, reject) => {
          let started = false;
          const timer = setTimeout(() => reject(new Error(`wasm thread ${t} did not start within ${START_MS / 1000} s`)), START_MS);
          const w = spawn({
            message: (m) => {
              clearTimeout(timer);
              if (m.ready) {
                started = true;
                resolve();
              } else reject(new Error(`wasm thread ${t} could not instantiate the kernels: ${m.error}`));
            },
            died: (why) => {
              clearTimeout(timer);
              if (!started) reject(new Error(`wasm thread ${t} died while starting: ${why}`));
              else pool?.died(t, why);
            },
          });
          workers.push(w);
          w.post({ memory: heap.memory, modules: modules.compiled, control, tile: tiles + t * 128, thread: t, owner });
        }));
      }
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      heap.release(control);
      heap.release(tiles);
      throw e;
    } finally {
      done();
    }
    pool = new ThreadPool(modules, threads, workers, control, tiles);
    return pool;
  }

  /** The calling thread's edge-tile scratch. */
  get tile(): number {
    return this.tiles;
  }

  /**
   * Runs chunks 0..total-1 of a job of `kind` (runChunk) on every thread and returns when all are done.
   * `ints`: the job's parameters from slot 0; `floats`: [slot, value] pairs written over them.
   */
  run(kind: number, total: number, ints: readonly number[], floats: readonly (readonly [number, number])[]): void {
    if (this.failure) throw this.failure;
    if (this.disposed) throw new NeuropodError('DISPOSED', 'wasm thread pool: used after dispose()');
    if (total > MAX_CHUNKS || ints.length > PARAM_SLOTS) throw new NeuropodError('INFERENCE_FAILED', `wasm thread pool: a job of ${total} chunks and ${ints.length} parameters is too large`);
    const { p, f, base } = this;
    p.set(ints, base + PARAMS);
    for (const [slot, value] of floats) f[base + PARAMS + slot] = value;
    p[base + KIND] = kind;
    p[base + TOTAL] = total;
    Atomics.store(p, base + DONE, 0);
    Atomics.store(p, base + ERR, 0);
    this.gen = (this.gen + 1) | 0;
    const tag = this.gen & TAG_MASK;
    Atomics.store(p, base + CLAIM, tag << TAG_SHIFT);
    Atomics.store(p, base + GEN, this.gen);
    Atomics.notify(p, base + GEN);
    const ex = this.exports();
    let slowest = 0;
    this.stats.jobs++;
    this.stats.chunks += total;
    // A chunk that throws here still lets every claimed chunk finish (the rest are counted, not run) before the
    // error leaves: no Worker may still be writing when the caller frees the job's blocks.
    let failed: { error: unknown } | undefined;
    for (let i; (i = claim(p, base, tag, total)) >= 0;) {
      this.stats.callerChunks++;
      const t0 = performance.now();
      if (!failed) {
        try {
          runChunk(ex, kind, p, f, base + PARAMS, i, this.tiles);
        } catch (error) {
          failed = { error };
        }
      }
      Atomics.add(p, base + DONE, 1);
      slowest = Math.max(slowest, performance.now() - t0);
    }
    this.waitDone(total, Math.max(STALL_MS, 50 * slowest));
    if (failed) {
      const e = failed.error;
      throw new NeuropodError('INFERENCE_FAILED', `wasm thread 0 failed in its part of a ${jobName(kind)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const err = Atomics.load(p, base + ERR);
    if (err !== 0) {
      const length = p[base + MSG]!;
      const text = String.fromCharCode(...p.subarray(base + MSG + 1, base + MSG + 1 + length));
      throw new NeuropodError('INFERENCE_FAILED', `wasm thread ${err - 1} failed in its part of a ${jobName(kind)}: ${text}`);
    }
  }

  private waitDone(total: number, stallMs: number): void {
    const { p, base } = this;
    let seen = Atomics.load(p, base + DONE), since = performance.now();
    for (let spins = 0; seen < total; spins++) {
      if (this.blocking) Atomics.wait(p, base + DONE, seen, 20);
      else if (spins % 1024 !== 1023) continue;
      const now = Atomics.load(p, base + DONE);
      if (now !== seen) {
        seen = now;
        since = performance.now();
      } else if (performance.now() - since > stallMs) {
        this.fail(new NeuropodError('INFERENCE_FAILED', `wasm thread pool: ${total - seen} of ${total} chunks of a job unfinished after ${Math.round(stallMs / 1000)} s without progress; a wasm thread died or hangs (the pool is stopped; load the model again)`));
        throw this.failure;
      }
    }
  }

  /** A Worker died: every later job fails (it might have died inside one). */
  private died(thread: number, why: string): void {
    if (this.disposed) return;
    this.fail(new NeuropodError('INFERENCE_FAILED', `wasm thread ${thread} of ${this.threads} died (${why}); the pool is stopped: dispose the model and load it again`));
  }

  private fail(error: NeuropodError): void {
    this.failure ??= error;
    this.stop();
  }

  /** Whether the pool failed: the next job would throw this. */
  get error(): NeuropodError | undefined {
    return this.failure;
  }

  private stop(): void {
    Atomics.store(this.p, this.base + STOP, 1);
    Atomics.store(this.p, this.base + OWNER, 0);
    Atomics.add(this.p, this.base + GEN, 1);
    Atomics.notify(this.p, this.base + GEN);
    for (const w of this.workers) w.terminate();
  }

  /** Settles once every Worker thread has ended (after dispose, or a failure). */
  async ended(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ended));
  }

  /** Tests: ends Worker `thread` (1-based) as a crash would, without stopping the pool. */
  killForTest(thread: number): void {
    this.workers[thread - 1]!.terminate();
  }

  /** Stops and terminates the Workers and frees the control block. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stop();
    this.modules.heap.release(this.control);
    this.modules.heap.release(this.tiles);
  }

  private cachedExports: ChunkExports | undefined;
  private exports(): ChunkExports {
    const { gemm, conv } = this.modules;
    return (this.cachedExports ??= { gemm: gemm.gemm, pack_b: gemm.pack_b, im2col_pack_cols: conv.im2col_pack_cols, depthwise: conv.depthwise });
  }
}

function jobName(kind: number): string {
  return kind === JOB.depthwise ? 'depthwise conv' : kind === JOB.convColumns ? 'conv' : 'GEMM';
}
