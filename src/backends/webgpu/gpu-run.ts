import { NeuropodError } from '../../api/errors.js';
import type { DType } from '../../tensor/dtype.js';
import { Tensor, type Shape } from '../../tensor/tensor.js';
import type { GpuContext } from './gpu-context.js';
import { GPU_DTYPES, GpuStorage, GpuTensor } from './gpu-tensor.js';
import type { GpuTimer } from './gpu-timer.js';
import { BufferUsage, MapMode } from './usage.js';

/** Dispatches a submission holds before it is sent on (long graphs are chunked, not one huge encoder). */
const DISPATCHES_PER_SUBMIT = 256;

export interface Dispatch {
  /** WGSL source: the pipeline cache key. */
  shader: string;
  /** Packed uniform struct (binding 0), or undefined for a shader without one. */
  uniforms?: Uint8Array;
  /** Storage buffers at bindings 1.., inputs then outputs, in the shader's order. */
  buffers: readonly GpuTensor[];
  workgroups: readonly [number, number?, number?];
}

/**
 * One inference's GPU work: dispatches recorded into a command encoder and submitted when a value must come
 * back to the host (a download, the outputs at the end) or the chunk is full.
 */
export class GpuRun {
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private pending = 0;
  /** Per-run upload buffers let go of; destroyed once the work that reads them is submitted. */
  private readonly retired: GPUBuffer[] = [];
  dispatches = 0;
  submits = 0;
  /** Tensors read back to the host (fallback inputs and outputs). */
  downloads = 0;
  /** The profile index of the op being recorded, which timed dispatches are charged to. */
  owner = -1;
  /** GPU time per profile index, once the final readback has come (with a timer). */
  gpuTimes: Map<number, number> | undefined;

  constructor(
    readonly ctx: GpuContext,
    private readonly timer?: GpuTimer,
  ) {}

  /** A fresh pooled tensor the next dispatch writes. */
  output(dtype: DType, shape: Shape): GpuTensor {
    const pool = this.ctx.pool;
    return new GpuTensor(dtype, [...shape], new GpuStorage(pool.acquire(Math.max(4, sizeOfShape(shape) * 4)), (b) => pool.release(b), true));
  }

  dispatch(d: Dispatch): void {
    const [x, y = 1, z = 1] = d.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const pipeline = this.ctx.pipelines.get(d.shader);
    const entries: GPUBindGroupEntry[] = [];
    if (d.uniforms) entries.push({ binding: 0, resource: this.ctx.uniforms.place(d.uniforms) });
    d.buffers.forEach((t, i) => entries.push({ binding: i + 1, resource: { buffer: t.buffer, size: Math.min(t.buffer.size, Math.max(16, t.byteLength)) } }));
    const group = this.ctx.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const timed = this.owner >= 0 ? this.timer?.passFor(this.owner) : undefined;
    if (timed) this.endPass();
    const pass = timed ? this.commandEncoder().beginComputePass(timed) : this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    if (timed) pass.end();
    this.dispatches++;
    if (++this.pending >= DISPATCHES_PER_SUBMIT) this.submit();
  }

  /** A host tensor put on the GPU for this run (its own buffer, destroyed after release and the next submit). */
  upload(t: Tensor): GpuTensor {
    const words = gpuWords(t);
    const buffer = this.ctx.device.createBuffer({ size: Math.max(16, words.byteLength), usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, mappedAtCreation: true });
    new Uint32Array(buffer.getMappedRange(), 0, words.length).set(new Uint32Array(words.buffer, words.byteOffset, words.length));
    buffer.unmap();
    return new GpuTensor(t.dtype, [...t.shape], new GpuStorage(buffer, (b) => this.retired.push(b)));
  }

  /** `to` gets `from`'s elements, in order with the dispatches recorded so far (a GPU copy, no readback). */
  copy(from: GpuTensor, to: GpuTensor): void {
    const bytes = Math.min(from.byteLength, to.byteLength);
    if (bytes === 0) return;
    const encoder = this.commandEncoder();
    this.endPass();
    encoder.copyBufferToBuffer(from.buffer, 0, to.buffer, 0, Math.ceil(bytes / 4) * 4);
  }

  /** Sends what is recorded so far; nothing waits. */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    this.ctx.uniforms.flush(this.ctx.device.queue);
    this.ctx.device.queue.submit([this.encoder.finish()]);
    this.encoder = undefined;
    this.pending = 0;
    this.submits++;
    for (const b of this.retired.splice(0)) b.destroy();
  }

  /**
   * Brings tensors back to the host in one submission (int64 widened from its int32 words). The `final` one
   * (the run's outputs) also brings the dispatch timestamps, into `gpuTimes`.
   */
  async download(tensors: readonly GpuTensor[], final = false): Promise<Tensor[]> {
    const timer = final && this.timer && this.timer.timed > 0 ? this.timer : undefined;
    if (tensors.length === 0 && !timer) return [];
    this.downloads += tensors.length;
    const encoder = this.commandEncoder();
    this.endPass();
    const stamps = timer?.resolve(encoder);
    const reads = tensors.map((t) => {
      const buf = this.ctx.device.createBuffer({ size: Math.max(16, t.byteLength), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      if (t.byteLength > 0) encoder.copyBufferToBuffer(t.buffer, 0, buf, 0, Math.ceil(t.byteLength / 4) * 4);
      return buf;
    });
    this.submit();
    try {
      await this.ctx.guard(Promise.all(reads.map((b) => b.mapAsync(MapMode.READ))));
      if (timer && stamps) this.gpuTimes = await this.ctx.guard(timer.times(stamps));
      return tensors.map((t, i) => hostTensor(t, new Uint32Array(reads[i]!.getMappedRange().slice(0, t.byteLength))));
    } finally {
      for (const b of reads) b.destroy();
    }
  }

  /** Waits until the GPU has run everything submitted (for timing and for tests). */
  async finish(): Promise<void> {
    this.submit();
    await this.ctx.guard(this.ctx.device.queue.onSubmittedWorkDone());
  }

  /** Frees what is left once the run is over (after its last submit). */
  end(): void {
    this.submit();
    for (const b of this.retired.splice(0)) b.destroy();
    this.timer?.destroy();
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = undefined;
  }

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.ctx.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.commandEncoder().beginComputePass();
    return this.pass;
  }
}

function sizeOfShape(shape: Shape): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The 32-bit words a host tensor takes on the GPU; int64 indices narrow to int32 (checked), bool to uint32. */
export function gpuWords(t: Tensor): Float32Array | Int32Array | Uint32Array {
  const d = t.data;
  if (d instanceof Float32Array || d instanceof Int32Array || d instanceof Uint32Array) return d;
  if (t.dtype === 'int64') {
    const out = new Int32Array(t.size);
    const big = d as BigInt64Array;
    for (let i = 0; i < out.length; i++) {
      const v = big[i]!;
      if (v > 2147483647n || v < -2147483648n) throw new NeuropodError('INFERENCE_FAILED', `webgpu: an int64 value ${v} does not fit the GPU's 32-bit integers`);
      out[i] = Number(v);
    }
    return out;
  }
  if (t.dtype === 'bool' || t.dtype === 'uint8') return Uint32Array.from(d as Uint8Array);
  throw new NeuropodError('INFERENCE_FAILED', `webgpu: a ${t.dtype} tensor cannot be put on the GPU`);
}

/** Whether `gpuWords` can carry this dtype. */
export function uploadable(dtype: DType): boolean {
  return GPU_DTYPES.has(dtype);
}

/** A host tensor of `t`'s dtype and shape from its 32-bit words (int64 widened, bool/uint8 narrowed). */
export function hostTensor(t: Pick<GpuTensor, 'dtype' | 'shape'>, words: Uint32Array): Tensor {
  const shape = [...t.shape], dtype = t.dtype;
  if (dtype === 'float32') return new Tensor(dtype, shape, new Float32Array(words.buffer));
  if (dtype === 'int32') return new Tensor(dtype, shape, new Int32Array(words.buffer));
  if (dtype === 'uint32') return new Tensor(dtype, shape, words);
  if (dtype === 'int64') return new Tensor(dtype, shape, BigInt64Array.from(new Int32Array(words.buffer), (v) => BigInt(v)));
  if (dtype === 'bool' || dtype === 'uint8') return new Tensor(dtype, shape, Uint8Array.from(words));
  throw new NeuropodError('INFERENCE_FAILED', `webgpu: cannot read a GPU tensor back as ${dtype}`);
}
