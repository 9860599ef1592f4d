import type { Tensor } from '../../tensor/tensor.js';
import type { ConvExports, GemmExports, WasmKernelModules } from './wasm-modules-instance.js';

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
 * `dispose`. Everything else a kernel allocates is scratch of that call, released when `call` returns.
 */
export class WasmKernelRuntime {
  readonly gemm: GemmExports;
  readonly conv: ConvExports;
  readonly tile: number;
  /** Set by a wasm kernel that handed its call to the reference kernel, so the profile names the right backend. */
  delegatedLast = false;
  private readonly derivedBlocks = new Map<Tensor, Map<string, number>>();
  private scratch: number[] = [];

  constructor(
    private readonly modules: WasmKernelModules,
    private readonly constants: ReadonlySet<Tensor>,
  ) {
    this.gemm = modules.gemm;
    this.conv = modules.conv;
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

  /** `t`'s float32 values in wasm memory (kept for a constant, copied per call otherwise). */
  values(t: Tensor): number {
    const data = t.data as Float32Array;
    return this.derived(t, 'values', data.length, (at) => this.f32().set(data, at >> 2));
  }

  /** A scratch copy of `t`'s float32 values, for a packing step that reads them once. */
  tempValues(t: Tensor): number {
    return this.tempCopy(t.data as Float32Array);
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
    for (const byKey of this.derivedBlocks.values()) for (const at of byKey.values()) this.modules.heap.release(at);
    this.derivedBlocks.clear();
  }
}
