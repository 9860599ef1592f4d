import { BufferPool } from './buffer-pool.js';
import { openDevice, type GpuDevice } from './device.js';
import { PipelineCache } from './pipeline-cache.js';
import type { Tensor } from '../../tensor/tensor.js';
import { gpuWords } from './gpu-run.js';
import { GpuStorage, GpuTensor } from './gpu-tensor.js';
import { UniformArena } from './uniform-arena.js';
import { BufferUsage } from './usage.js';

let shared: Promise<GpuContext> | undefined;

/**
 * One device and what lives on it: pipelines, pooled buffers, uniforms, uploaded constants, lost together. Every
 * model shares the process's context (one device, pipelines compiled once); runs take turns on it.
 */
export class GpuContext {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly uniforms: UniformArena;
  /** Constants (initializers, Constant nodes) uploaded once, by the host tensor they came from. */
  private readonly constants = new Map<Tensor, GpuTensor>();
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(readonly gpu: GpuDevice) {
    this.pool = new BufferPool(gpu.device);
    this.pipelines = new PipelineCache(gpu.device);
    this.uniforms = new UniformArena(gpu.device);
  }

  static async open(): Promise<GpuContext> {
    return new GpuContext(await openDevice());
  }

  /** The process's context; a new one (a new device) once the last was lost or destroyed. */
  static async shared(): Promise<GpuContext> {
    const pending = shared;
    const current = pending && (await pending.catch(() => undefined));
    if (current && !current.gpu.isLost()) return current;
    if (shared === pending) shared = GpuContext.open();
    return shared!;
  }

  /** Runs `job` when the runs before it are done: a run owns the uniform arena until its readback. */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    const next = this.turn.then(job);
    this.turn = next.catch(() => {});
    return next;
  }

  get device(): GPUDevice {
    return this.gpu.device;
  }

  /** A constant's copy on this device, made on first use and kept until the device goes. */
  constant(t: Tensor): GpuTensor {
    let g = this.constants.get(t);
    if (!g) {
      const words = gpuWords(t);
      const buffer = this.device.createBuffer({ size: Math.max(16, words.byteLength), usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, words.buffer, words.byteOffset, words.byteLength);
      g = new GpuTensor(t.dtype, [...t.shape], new GpuStorage(buffer, () => {}));
      this.constants.set(t, g);
    }
    return g;
  }

  /** Frees the device copies of a disposed model's constants. */
  dropConstants(tensors: Iterable<Tensor>): void {
    for (const t of tensors) {
      this.constants.get(t)?.buffer.destroy();
      this.constants.delete(t);
    }
  }

  /** Rejects with DEVICE_LOST if the device goes while `work` runs. */
  guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.gpu.lost]);
  }

  destroy(): void {
    this.dropConstants([...this.constants.keys()]);
    this.pool.destroy();
    this.uniforms.destroy();
    this.gpu.device.destroy();
  }
}
