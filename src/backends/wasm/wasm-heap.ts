import { NeuropodError } from '../../api/errors.js';

const PAGE = 65536;
const ALIGN = 16;
/** Bytes 0..RESERVED stay unused so a pointer of 0 never names a live block. */
const RESERVED = 1024;
const MAX_PAGES = 65536;

interface FreeBlock {
  at: number;
  size: number;
}

/**
 * The one `WebAssembly.Memory` every kernel module imports, with a first-fit allocator over it: weights packed at
 * load live here for the model's lifetime, inputs and scratch for one kernel call. Freed neighbours merge, and a
 * block freed at the top lowers the top, so a steady run of inferences reuses the same addresses and the memory
 * stops growing after the first one.
 */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private top = RESERVED;
  private readonly free: FreeBlock[] = [];
  private readonly sizes = new Map<number, number>();
  private view: Float32Array;

  /** `shared`: a memory on a SharedArrayBuffer, which the thread pool's Workers import too. */
  constructor(shared = false) {
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared });
    this.view = new Float32Array(this.memory.buffer);
  }

  /** A 16-byte-aligned block of at least `bytes`. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const fit = this.free.findIndex((b) => b.size >= size);
    let at: number;
    if (fit >= 0) {
      const block = this.free[fit]!;
      at = block.at;
      if (block.size === size) this.free.splice(fit, 1);
      else Object.assign(block, { at: at + size, size: block.size - size });
    } else {
      at = this.top;
      this.reserve(at + size);
      this.top = at + size;
    }
    this.sizes.set(at, size);
    return at;
  }

  release(at: number): void {
    const size = this.sizes.get(at);
    if (size === undefined) throw new NeuropodError('INFERENCE_FAILED', `wasm heap: no live block at ${at} to release`);
    this.sizes.delete(at);
    let i = this.free.findIndex((b) => b.at > at);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { at, size });
    this.mergeAround(i);
  }

  /** Bytes in live blocks (for the test that memory stays flat across runs). */
  get liveBytes(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * A float view of the whole memory, renewed after growth (growing detaches a plain buffer; a shared one keeps
   * its old, shorter length).
   */
  f32(): Float32Array {
    const buffer = this.memory.buffer;
    if (this.view.buffer !== buffer || this.view.byteLength !== buffer.byteLength) this.view = new Float32Array(buffer);
    return this.view;
  }

  private mergeAround(i: number): void {
    const list = this.free;
    if (i + 1 < list.length && list[i]!.at + list[i]!.size === list[i + 1]!.at) {
      list[i]!.size += list[i + 1]!.size;
      list.splice(i + 1, 1);
    }
    if (i > 0 && list[i - 1]!.at + list[i - 1]!.size === list[i]!.at) {
      list[i - 1]!.size += list[i]!.size;
      list.splice(i, 1);
      i--;
    }
    const last = list[list.length - 1];
    if (last && last.at + last.size === this.top) {
      this.top = last.at;
      list.pop();
    }
  }

  private reserve(end: number): void {
    const have = this.memory.buffer.byteLength / PAGE;
    const need = Math.ceil(end / PAGE);
    if (need <= have) return;
    // Grow by at least a quarter so a run of growing allocations does not grow page by page.
    const pages = Math.min(MAX_PAGES, Math.max(need, Math.ceil(have * 1.25)));
    try {
      this.memory.grow(pages - have);
    } catch (e) {
      throw new NeuropodError('INFERENCE_FAILED', `wasm memory cannot grow to ${end} bytes (${need} pages)`, { cause: e });
    }
  }
}
