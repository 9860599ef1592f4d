import { BufferUsage } from './usage.js';

const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/** Sizes are rounded up to a class so freed buffers fit later requests: 256-byte steps, then powers of two. */
export function sizeClass(bytes: number): number {
  const b = Math.max(bytes, 16);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  return 2 ** Math.ceil(Math.log2(b));
}

/**
 * Storage buffers reused across ops and runs. A buffer released mid-submission can be handed out again at once:
 * WebGPU orders the dispatches of one queue, so a later writer never overtakes an earlier reader.
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private live = 0;
  bytesAllocated = 0;

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const reused = this.free.get(size)?.pop();
    this.live++;
    if (reused) return reused;
    this.bytesAllocated += size;
    return this.device.createBuffer({ size, usage: STORAGE_USAGE });
  }

  release(buffer: GPUBuffer): void {
    this.live--;
    const list = this.free.get(buffer.size) ?? [];
    list.push(buffer);
    this.free.set(buffer.size, list);
  }

  /** Buffers handed out and not yet released (a leak check for tests). */
  get inUse(): number {
    return this.live;
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }
}
