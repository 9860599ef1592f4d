import { NeuropodError } from '../../api/errors.js';
import type { Node } from '../../graph/ir.js';
import type { Value } from '../../graph/value.js';
import type { Shape, Tensor } from '../../tensor/tensor.js';
import { ResidentTensor } from './resident-tensor.js';
import { MIN_PARALLEL_MACS } from './parallel.js';
import type { ThreadPool } from './thread-pool.js';
import type { ConvExports, ElementwiseExports, GemmExports, GemvExports, ExpExports, PoolExports, WasmKernelModules, NormExports, ReduceExports, TransposeExports, UnaryExports } from './wasm-modules-instance.js';

/** Floats a packed A (4-row panels) of m×k takes. */
export function packedASize(m: number, k: number): number {
  return Math.ceil(m / 4) * 4 * k;
}

/** Floats a packed B (8-column panels) of k×n takes. */
export function packedBSize(k: number, n: number): number {
  return Math.ceil(n / 8) * 8 * k;
}

/**
 * What the wasm kernels of one prepared model work with: the shared modules and heap, the model's constant
 * tensors (initializers) and, for each, the blocks derived from it once (raw copy, packed panels) that live until
 * `dispose`. Everything else a kernel allocates is scratch of that call, released when `call` returns, except
 * its output: that stays resident (ResidentTensor) until the last planned reader of its value has run (the reader
 * counts come from the graph), or until the run ends.
 */
export class WasmKernelRuntime {
  readonly gemm: GemmExports;
  readonly gemv: GemvExports;
  readonly conv: ConvExports;
  readonly elementwise: ElementwiseExports;
  readonly pool: PoolExports;
  readonly exp: ExpExports;
  readonly unary: UnaryExports;
  readonly norm: NormExports;
  readonly reduce: ReduceExports;
  readonly transpose: TransposeExports;
  readonly tile: number;
  /** Set by a wasm kernel that handed its call to the reference kernel, so the profile names the right backend. */
  delegatedLast = false;
  /** The model's Worker pool (threads > 1 on a shared memory), which kernels reach through parallel.ts. */
  threadPool: ThreadPool | undefined;
  /** Multiply-adds from which parallel.ts splits a call across the pool (tests lower it). */
  minParallelMacs = MIN_PARALLEL_MACS;
  private readonly derivedBlocks = new Map<Tensor, Map<string, number>>();
  private scratch: number[] = [];
  private readonly resident = new Set<ResidentTensor>();
  /** Resident tensors on each block (an output and its views): the block is freed with the last of them. */
  private readonly holders = new Map<number, number>();
  private pendingReads = new Map<string, number>();

  /**
   * `readers`: how many inputs of the main graph's `nodes` read each value (values a subgraph or the caller may
   * read are absent: they are never freed early).
   */
  constructor(
    private readonly modules: WasmKernelModules,
    private readonly constants: ReadonlySet<Tensor>,
    private readonly readers: ReadonlyMap<string, number> = new Map(),
    private readonly nodes: ReadonlySet<Node> = new Set(),
  ) {
    this.gemm = modules.gemm;
    this.gemv = modules.gemv;
    this.conv = modules.conv;
    this.elementwise = modules.elementwise;
    this.pool = modules.pool;
    this.exp = modules.exp;
    this.unary = modules.unary;
    this.norm = modules.norm;
    this.reduce = modules.reduce;
    this.transpose = modules.transpose;
    this.tile = modules.tile;
  }

  /** Runs one kernel call; its scratch blocks are released after, whatever happens. */
  call<T>(body: () => T): T {
    const outer = this.scratch;
    this.scratch = [];
    try {
      return body();
    } finally {
      for (const at of this.scratch) this.modules.heap.release(at);
      this.scratch = outer;
    }
  }

  /** A scratch block of this call becomes the output tensor, resident past the call. */
  output(at: number, shape: Shape): ResidentTensor {
    const i = this.scratch.lastIndexOf(at);
    if (i < 0) throw new NeuropodError('INFERENCE_FAILED', `wasm output block ${at} is not scratch of this call`);
    this.scratch.splice(i, 1);
    const t = new ResidentTensor(shape, at, (block, floats) => this.read(block, floats));
    this.resident.add(t);
    this.holders.set(at, 1);
    return t;
  }

  /** Whether `t` holds its values in wasm memory now. */
  isResident(t: Value | undefined): t is ResidentTensor {
    return t instanceof ResidentTensor && this.resident.has(t);
  }

  /** `t`'s values under another shape (Reshape, Squeeze, ...) without a copy: a second tensor on the same block. */
  view(t: ResidentTensor, shape: Shape): ResidentTensor {
    const at = t.block!, v = new ResidentTensor(shape, at, (block, floats) => this.read(block, floats));
    this.resident.add(v);
    this.holders.set(at, (this.holders.get(at) ?? 1) + 1);
    return v;
  }

  /**
   * Counts one run of `node` against its inputs' readers and frees each resident input it was the last reader of.
   * `keep` copies the values out first: a reference kernel may pass an input on (Identity, a Sequence) unread.
   */
  consumed(node: Node, inputs: readonly (Value | undefined)[], keep: boolean): void {
    if (!this.nodes.has(node)) return;
    node.inputs.forEach((name, i) => {
      const t = inputs[i];
      if (!(t instanceof ResidentTensor) || !this.resident.has(t)) return;
      const left = (this.pendingReads.get(name) ?? 0) - 1;
      this.pendingReads.set(name, left);
      if (left === 0) this.releaseResident(t, keep);
    });
  }

  beginRun(): void {
    this.pendingReads = new Map(this.readers);
  }

  /** Frees what is still resident, copying the values out first: a graph output or a cpu kernel's input may still be read. */
  endRun(): void {
    for (const t of [...this.resident]) this.releaseResident(t, true);
  }

  private releaseResident(t: ResidentTensor, keep: boolean): void {
    const at = t.block;
    t.detach(keep);
    this.resident.delete(t);
    if (at === undefined) return;
    const left = (this.holders.get(at) ?? 1) - 1;
    if (left > 0) return void this.holders.set(at, left);
    this.holders.delete(at);
    this.modules.heap.release(at);
  }

  /** A scratch block of `floats` (not zeroed). */
  temp(floats: number): number {
    const at = this.modules.heap.alloc(floats * 4);
    this.scratch.push(at);
    return at;
  }

  /** A scratch copy of `data`. */
  tempCopy(data: Float32Array): number {
    const at = this.temp(data.length);
    this.f32().set(data, at >> 2);
    return at;
  }

  isConstant(t: Tensor): boolean {
    return this.constants.has(t);
  }

  /**
   * A block of `floats` made from `t` by `fill`: made once and kept when `t` is one of the model's constants
   * (the `key` names the layout, so one weight may be kept packed two ways), made per call otherwise.
   */
  derived(t: Tensor, key: string, floats: number, fill: (at: number) => void): number {
    if (!this.constants.has(t)) {
      const at = this.temp(floats);
      fill(at);
      return at;
    }
    let byKey = this.derivedBlocks.get(t);
    if (!byKey) this.derivedBlocks.set(t, (byKey = new Map()));
    let at = byKey.get(key);
    if (at === undefined) {
      at = this.modules.heap.alloc(floats * 4);
      byKey.set(key, at);
      fill(at);
    }
    return at;
  }

  /** `t`'s float32 values in wasm memory: where they are for a resident tensor, kept for a constant, else a copy. */
  values(t: Tensor): number {
    if (t instanceof ResidentTensor && this.resident.has(t)) return t.block!;
    const data = t.data as Float32Array;
    return this.derived(t, 'values', data.length, (at) => this.f32().set(data, at >> 2));
  }

  /**
   * `t`'s values (a vector, or a scalar repeated) times `scale`, zero-padded to `padded` floats: a bias gemm reads
   * a whole tile of at a time.
   */
  paddedVector(t: Tensor, length: number, padded: number, scale = 1): number {
    const data = t.data as Float32Array;
    return this.derived(t, `padded:${length}:${padded}:${scale}`, padded, (at) => {
      const view = this.f32(), base = at >> 2;
      view.fill(0, base, base + padded);
      for (let i = 0; i < length; i++) view[base + i] = scale * data[data.length === 1 ? 0 : i]!;
    });
  }

  /** A scratch copy of `t`'s float32 values, for a packing step that reads them once. */
  tempValues(t: Tensor): number {
    return this.tempCopy(t.data as Float32Array);
  }

  /**
   * `t`'s values for a step that reads them once (packing): a resident tensor where it is (reading `data` would
   * copy it out of wasm memory and back in), anything else as a scratch copy (a constant's raw copy is not kept).
   */
  readOnce(t: Tensor): number {
    if (t instanceof ResidentTensor && this.resident.has(t)) return t.block!;
    return this.tempValues(t);
  }

  /** The current float view of the heap (take it after the allocations it must see: growth replaces it). */
  f32(): Float32Array {
    return this.modules.heap.f32();
  }

  /** A copy out of wasm memory, for an output tensor. */
  read(at: number, floats: number): Float32Array {
    return this.f32().slice(at >> 2, (at >> 2) + floats);
  }

  /** Releases every kept block of this model. */
  dispose(): void {
    this.endRun();
    for (const byKey of this.derivedBlocks.values()) for (const at of byKey.values()) this.modules.heap.release(at);
    this.derivedBlocks.clear();
  }
}
