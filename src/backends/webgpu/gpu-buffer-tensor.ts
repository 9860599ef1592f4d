import { NeuropodError } from '../../api/errors.js';
import { isDType, type DType } from '../../tensor/dtype.js';
import { sizeOf, type Shape, type Tensor } from '../../tensor/tensor.js';
import { hostTensor } from './gpu-run.js';
import { GPU_DTYPES, GpuStorage, GpuTensor } from './gpu-tensor.js';
import { BufferUsage, MapMode } from './usage.js';

/**
 * A tensor whose elements stay in a GPUBuffer on the engine's device (docs/api.md, "GPU tensors"): a webgpu
 * model's output with `outputsOn: 'gpu'`, or a caller's buffer wrapped by `gpuTensor()`. Row-major, 4 bytes an
 * element: float32, int32 and uint32 as themselves, int64 as int32 words (values must fit), bool and uint8 as
 * uint32 words. `read()` copies it to the host; `dispose()` lets it go.
 */
export class GpuBufferTensor {
  readonly size: number;
  private storage: GpuStorage | undefined;

  /** Use gpuTensor() or infer(..., { outputsOn: 'gpu' }); the constructor is internal. */
  constructor(
    readonly dtype: DType,
    readonly shape: Shape,
    /** The device the buffer belongs to; a model takes the tensor only on the device it runs on. */
    readonly device: GPUDevice,
    storage: GpuStorage,
    /** Whether the engine made the buffer (dispose() returns it) or the caller did (dispose() only lets go of it). */
    readonly ownsBuffer: boolean,
  ) {
    this.size = sizeOf(shape);
    this.storage = storage;
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.storage === undefined;
  }

  /** The buffer holding the elements (at offset 0); DISPOSED once dispose() was called. */
  get gpuBuffer(): GPUBuffer {
    return this.live('gpuBuffer').buffer;
  }

  /** The elements on the host: one copy into a mappable buffer and one map. */
  async read(): Promise<Tensor> {
    const buffer = this.live('read()').buffer;
    const bytes = this.size * 4;
    const staging = this.device.createBuffer({ size: Math.max(16, bytes), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    try {
      const encoder = this.device.createCommandEncoder();
      if (bytes > 0) encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      const lost = this.device.lost.then((info) => {
        throw new NeuropodError('DEVICE_LOST', `read(): the GPU device this tensor lives on was lost (${lossReason(info)}); its data is gone`);
      });
      await Promise.race([staging.mapAsync(MapMode.READ), lost]);
      return hostTensor(this, new Uint32Array(staging.getMappedRange().slice(0, bytes)));
    } finally {
      staging.destroy();
    }
  }

  /**
   * Lets the tensor go: an engine-made buffer returns to the engine's pool (a run that already took the tensor
   * as an input keeps it until that run ends); a caller's buffer stays the caller's. Safe to call twice.
   */
  dispose(): void {
    this.storage?.release();
    this.storage = undefined;
  }

  /** The engine's view for one run, holding the storage until the run lets go. */
  hold(name: string): GpuTensor {
    return new GpuTensor(this.dtype, [...this.shape], this.live(`input '${name}'`).retain());
  }

  private live(what: string): GpuStorage {
    if (!this.storage) throw new NeuropodError('DISPOSED', `${what}: this GPU tensor was disposed`);
    return this.storage;
  }
}

export function isGpuBufferTensor(v: unknown): v is GpuBufferTensor {
  return v instanceof GpuBufferTensor;
}

export interface GpuTensorInit {
  /** The engine's device (`await gpuDevice()`): the buffer must have been made on it. */
  device: GPUDevice;
  /** Holds the elements from offset 0; needs STORAGE and COPY_SRC usage, at least 4 bytes an element. */
  buffer: GPUBuffer;
  shape: Shape;
  /** float32 (default), int32, uint32, int64, bool or uint8, each element one 32-bit word. */
  dtype?: DType;
}

/** Wraps a caller's GPUBuffer as an input for a webgpu model; the buffer stays the caller's (see GpuBufferTensor). */
export function gpuTensor(init: GpuTensorInit): GpuBufferTensor {
  if (init === null || typeof init !== 'object') throw new NeuropodError('USAGE', `gpuTensor(): expected { device, buffer, shape, dtype? }, got ${String(init)}`);
  const { device, buffer, shape, dtype = 'float32' } = init;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new NeuropodError('TENSOR_INVALID', `gpuTensor(): shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!isDType(dtype)) throw new NeuropodError('TENSOR_INVALID', `gpuTensor(): unknown dtype '${String(dtype)}'`);
  if (!GPU_DTYPES.has(dtype)) throw new NeuropodError('TENSOR_INVALID', `gpuTensor(): a ${dtype} tensor cannot live on the GPU here; the GPU dtypes are ${[...GPU_DTYPES].join(', ')}`);
  if (!device || typeof (device as GPUDevice).createBuffer !== 'function') throw new NeuropodError('USAGE', `gpuTensor(): device must be the engine's GPUDevice (await gpuDevice())`);
  if (!buffer || typeof (buffer as GPUBuffer).size !== 'number' || typeof (buffer as GPUBuffer).usage !== 'number') throw new NeuropodError('USAGE', `gpuTensor(): buffer must be a GPUBuffer`);
  const needed = sizeOf(shape) * 4;
  if (buffer.size < needed) {
    throw new NeuropodError('TENSOR_INVALID', `gpuTensor(): a ${buffer.size}-byte buffer is too small for a ${dtype} tensor of shape [${shape.join(', ')}] (${needed} bytes: 4 bytes an element)`);
  }
  const missing = [['STORAGE', BufferUsage.STORAGE], ['COPY_SRC', BufferUsage.COPY_SRC]].filter(([, bit]) => (buffer.usage & (bit as number)) === 0).map(([n]) => n);
  if (missing.length) throw new NeuropodError('TENSOR_INVALID', `gpuTensor(): the buffer lacks ${missing.join(' and ')} usage (GPUBufferUsage), which a model input needs`);
  return new GpuBufferTensor(dtype, [...shape], device, new GpuStorage(buffer, () => {}), false);
}

/** A device-lost info in words: the reason and Dawn's / the browser's message. */
export function lossReason(info: GPUDeviceLostInfo): string {
  const reason = info.reason ?? 'unknown';
  return info.message ? `reason '${reason}': ${info.message.trim()}` : `reason '${reason}'`;
}
