import { BufferPool } from './buffer-pool.js';
import { openDevice, type GpuDevice } from './device.js';
import { PipelineCache } from './pipeline-cache.js';
import type { Tensor } from '../../tensor/tensor.js';
import { gpuWords } from './gpu-run.js';
import { GpuStorage, GpuTensor } from './gpu-tensor.js';
import { UniformArena } from './uniform-arena.js';
import { BufferUsage } from './usage.js';

/** One device and what lives on it: pipelines, pooled buffers, uniforms, uploaded constants. Lost together. */
export class GpuContext {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly uniforms: UniformArena;
  /** Constants (initializers, Constant nodes) uploaded once, by the host tensor they came from. */
  private readonly constants = new WeakMap<Tensor, GpuTensor>();
  private readonly constantBuffers: GPUBuffer[] = [];

  private constructor(readonly gpu: GpuDevice) {
    this.pool = new BufferPool(gpu.device);
    this.pipelines = new PipelineCache(gpu.device);
    this.uniforms = new UniformArena(gpu.device);
  }

  static async open(): Promise<GpuContext> {
    return new GpuContext(await openDevice());
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  /** A constant's copy on this device, made on first use and kept until the device goes. */
  constant(t: Tensor): GpuTensor {
    let g = this.constants.get(t);
    if (!g) {
      const words = gpuWords(t);
      const buffer = this.device.createBuffer({ size: Math.max(16, words.byteLength), usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
      this.device.queue.writeBuffer(buffer, 0, words.buffer, words.byteOffset, words.byteLength);
      this.constantBuffers.push(buffer);
      g = new GpuTensor(t.dtype, [...t.shape], new GpuStorage(buffer, () => {}));
      this.constants.set(t, g);
    }
    return g;
  }

  /** Rejects with DEVICE_LOST if the device goes while `work` runs. */
  guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.gpu.lost]);
  }

  destroy(): void {
    for (const b of this.constantBuffers) b.destroy();
    this.pool.destroy();
    this.uniforms.destroy();
    this.gpu.device.destroy();
  }
}
