import { BufferUsage } from './usage.js';

/** WebGPU's minUniformBufferOffsetAlignment default; every adapter allows it. */
const ALIGN = 256;
const CHUNK = 64 * 1024;

/**
 * Uniform values of one submission packed into a few buffers, written once before the submit. Reuse after the
 * submit is safe: writeBuffer and submit are ordered on the queue.
 */
export class UniformArena {
  private readonly chunks: { buffer: GPUBuffer; data: Uint8Array; used: number }[] = [];
  private current = 0;

  constructor(private readonly device: GPUDevice) {}

  /** Places `bytes` and returns where the shader finds them. */
  place(bytes: Uint8Array): GPUBufferBinding {
    const size = Math.ceil(bytes.byteLength / 16) * 16;
    let chunk = this.chunks[this.current];
    if (chunk && chunk.used + size > CHUNK) chunk = this.chunks[++this.current];
    if (!chunk) {
      chunk = { buffer: this.device.createBuffer({ size: CHUNK, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST }), data: new Uint8Array(CHUNK), used: 0 };
      this.chunks[this.current] = chunk;
    }
    const offset = chunk.used;
    chunk.data.set(bytes, offset);
    chunk.used = Math.ceil((offset + size) / ALIGN) * ALIGN;
    return { buffer: chunk.buffer, offset, size };
  }

  /** Writes what was placed; call right before the submit. */
  flush(queue: GPUQueue): void {
    for (const chunk of this.chunks) {
      if (chunk.used > 0) queue.writeBuffer(chunk.buffer, 0, chunk.data.buffer as ArrayBuffer, 0, chunk.used);
      chunk.used = 0;
    }
    this.current = 0;
  }

  destroy(): void {
    for (const c of this.chunks) c.buffer.destroy();
    this.chunks.length = 0;
  }
}
