import { BufferUsage, MapMode } from './usage.js';

/** Timestamps a run may take: two a dispatch (WebGPU allows 4096 queries a set). */
const MAX_TIMED_DISPATCHES = 2048;
const QUERY_RESOLVE = 0x200;

/**
 * GPU time per op through `timestamp-query`: a timed dispatch gets its own compute pass whose start and end
 * are written to a query set; the set is resolved into the run's last submission and read with the outputs.
 */
export class GpuTimer {
  private readonly querySet: GPUQuerySet;
  /** The op (its profile index) of each timed dispatch. */
  private readonly owners: number[] = [];
  private readonly buffers: GPUBuffer[] = [];

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * MAX_TIMED_DISPATCHES });
  }

  get timed(): number {
    return this.owners.length;
  }

  /** The pass that times one dispatch of op `owner`, or undefined once the set is full. */
  passFor(owner: number): GPUComputePassDescriptor | undefined {
    if (this.owners.length >= MAX_TIMED_DISPATCHES) return undefined;
    const i = this.owners.length;
    this.owners.push(owner);
    return { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } };
  }

  /** Records the resolve into `encoder`; the returned buffer is readable once that encoder is submitted. */
  resolve(encoder: GPUCommandEncoder): GPUBuffer {
    const bytes = Math.max(16, this.owners.length * 16);
    const resolved = this.device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const read = this.device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.buffers.push(resolved, read);
    if (this.owners.length > 0) {
      encoder.resolveQuerySet(this.querySet, 0, 2 * this.owners.length, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, read, 0, this.owners.length * 16);
    }
    return read;
  }

  /** Milliseconds by owner, summed over its dispatches, from a buffer `resolve` returned (after its submit). */
  async times(read: GPUBuffer): Promise<Map<number, number>> {
    await read.mapAsync(MapMode.READ);
    const ticks = new BigUint64Array(read.getMappedRange().slice(0, this.owners.length * 16));
    const out = new Map<number, number>();
    this.owners.forEach((owner, i) => {
      const ns = ticks[2 * i + 1]! > ticks[2 * i]! ? Number(ticks[2 * i + 1]! - ticks[2 * i]!) : 0;
      out.set(owner, (out.get(owner) ?? 0) + ns / 1e6);
    });
    return out;
  }

  destroy(): void {
    this.querySet.destroy();
    for (const b of this.buffers) b.destroy();
  }
}
