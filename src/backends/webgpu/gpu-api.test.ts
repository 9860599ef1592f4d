/**
 * The WebGPU machinery through the public API: a device lost mid-call (DEVICE_LOST, then a new device), and
 * GPU-resident tensors (a caller's GPUBuffer as an input, outputs left on the GPU, two models chained on one
 * device with no readback in between), with the errors for buffers that do not fit.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeOnnxModel } from '../../formats/onnx/encode.js';
import type { Graph, Model as IrModel, Node } from '../../graph/ir.js';
import { gpuDevice, gpuTensor, isGpuBufferTensor, load, tensor, type Model, type Tensor } from '../../index.js';
import { GpuContext } from './gpu-context.js';
import { findGpu } from './gpu-source.js';
import { BufferUsage } from './usage.js';
import { randomTensor, webgpuMissing } from './webgpu-harness.js';

const missing = await webgpuMissing();

const node = (opType: string, inputs: string[], outputs: string[], attributes: Node['attributes'] = new Map()): Node => ({ name: `${opType}_${outputs[0]}`, opType, domain: '', inputs, outputs, attributes });
const spec = (shape: (number | string)[], dtype: 'float32' | 'int32' = 'float32') => ({ kind: 'tensor' as const, dtype, shape });

function onnx(nodes: Node[], inputs: [string, (number | string)[]][], outputs: [string, (number | string)[]][], initializers: [string, Tensor][] = []): Uint8Array {
  const graph: Graph = {
    name: 'g', nodes,
    inputs: inputs.map(([name, shape]) => ({ name, type: spec(shape) })),
    outputs: outputs.map(([name, shape]) => ({ name, type: spec(shape) })),
    initializers: new Map(initializers),
  };
  const model: IrModel = { graph, opsets: new Map([['', 17]]) };
  return new Uint8Array(encodeOnnxModel(model));
}

/** A: h = Relu(x W + b), [n, 8] -> [n, 16]. */
const MODEL_A = onnx(
  [node('MatMul', ['x', 'W'], ['m']), node('Add', ['m', 'b'], ['a']), node('Relu', ['a'], ['h'])],
  [['x', ['n', 8]]], [['h', ['n', 16]]],
  [['W', randomTensor([8, 16], 11)], ['b', randomTensor([16], 12)]],
);
/** B: y = Sigmoid(h V), [n, 16] -> [n, 4]; and s = Softmax(h) beside it. */
const MODEL_B = onnx(
  [node('MatMul', ['h', 'V'], ['p']), node('Sigmoid', ['p'], ['y']), node('Softmax', ['h'], ['s'], new Map([['axis', { type: 'int', value: -1 }]]))],
  [['h', ['n', 16]]], [['y', ['n', 4]], ['s', ['n', 16]]],
  [['V', randomTensor([16, 4], 13)]],
);

const floats = (t: Tensor | undefined) => Array.from(t!.numeric as Float32Array);

function expectClose(actual: Tensor, expected: Tensor, tol = 1e-5): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = floats(actual), e = floats(expected);
  const worst = Math.max(0, ...a.map((v, i) => Math.abs(v - e[i]!) / Math.max(1, Math.abs(e[i]!))));
  expect(worst).toBeLessThanOrEqual(tol);
}

/** A buffer on `device` holding `values` as f32, with the usages a model input needs (and MAP_READ-free). */
function f32Buffer(device: GPUDevice, values: number[], usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST): GPUBuffer {
  const buffer = device.createBuffer({ size: Math.max(16, values.length * 4), usage, mappedAtCreation: true });
  new Float32Array(buffer.getMappedRange(), 0, values.length).set(values);
  buffer.unmap();
  return buffer;
}

/** Counts GPUBuffer.mapAsync calls (every readback maps a buffer) while `work` runs. */
async function countMaps<T>(device: GPUDevice, work: () => Promise<T>): Promise<{ value: T; maps: number }> {
  const probe = device.createBuffer({ size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const proto = Object.getPrototypeOf(probe) as GPUBuffer;
  probe.destroy();
  const spy = vi.spyOn(proto, 'mapAsync');
  try {
    const value = await work();
    return { value, maps: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

const opened: Model[] = [];
async function open(bytes: Uint8Array, backend: 'webgpu' | 'cpu' = 'webgpu'): Promise<Model> {
  const m = await load(bytes, { backend });
  opened.push(m);
  return m;
}

afterEach(async () => {
  for (const m of opened.splice(0)) await m.dispose();
  vi.restoreAllMocks();
});

describe.skipIf(missing !== undefined)('WebGPU through the public API', () => {
  it('rejects the call in flight with DEVICE_LOST naming the reason, leaves the inputs as they were, and the next call runs on a new device', async () => {
    const model = await open(MODEL_A);
    const reference = await open(MODEL_A, 'cpu');
    const x = randomTensor([3, 8], 21);
    const before = floats(x);
    const expected = (await reference.infer({ x })).h!;
    const first = await gpuDevice();
    // Destroy the device right after the run's first submission: its readback is then waiting on a lost device.
    const queue = first.queue;
    const submit = queue.submit.bind(queue);
    let armed = true;
    queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
      submit(buffers);
      if (armed) {
        armed = false;
        first.destroy();
      }
    };
    await expect(model.infer({ x })).rejects.toMatchObject({
      code: 'DEVICE_LOST',
      message: expect.stringMatching(/^webgpu: the GPU device was lost \(reason 'destroyed'.*\); the call was abandoned, the next call opens a new device$/),
    });
    expect(armed).toBe(false);
    expect(floats(x)).toEqual(before);
    const again = await model.infer({ x });
    expectClose(again.h!, expected);
    expect(model.profile().every((p) => p.backend === 'webgpu')).toBe(true);
    expect(await gpuDevice()).not.toBe(first);
    expect(floats(x)).toEqual(before);
  });

  it('chains two models on the GPU: A\'s output fed to B equals the CPU-chained result, with no readback of the intermediate', async () => {
    const [a, b, cpuA, cpuB] = [await open(MODEL_A), await open(MODEL_B), await open(MODEL_A, 'cpu'), await open(MODEL_B, 'cpu')];
    const x = randomTensor([5, 8], 31);
    const before = floats(x);
    const h = (await cpuA.infer({ x })).h!;
    const expected = await cpuB.infer({ h });
    const device = await gpuDevice();
    // B on a host input, for the number of maps B's own output readback takes.
    const baseline = await countMaps(device, () => b.infer({ h }));
    const onGpu = await countMaps(device, () => a.infer({ x }, { outputsOn: 'gpu' }));
    expect(onGpu.maps).toBe(0);
    const hGpu = onGpu.value.h!;
    expect(isGpuBufferTensor(hGpu)).toBe(true);
    expect([hGpu.dtype, hGpu.shape, hGpu.device === device]).toEqual(['float32', [5, 16], true]);
    const chained = await countMaps(device, () => b.infer({ h: hGpu }));
    expect(chained.maps).toBe(baseline.maps);
    expect(b.profile().filter((p) => p.op !== 'Softmax' || p.backend === 'webgpu').every((p) => p.backend === 'webgpu')).toBe(true);
    expectClose(chained.value.y!, expected.y!);
    expectClose(chained.value.s!, expected.s!);
    // The intermediate is intact after B read it, and reads back as A's CPU output.
    expectClose(await hGpu.read(), h);
    // B's outputs can stay on the GPU too.
    const both = await b.infer({ h: hGpu }, { outputsOn: 'gpu' });
    expectClose(await both.y!.read(), expected.y!);
    // Disposed while a call that took it is still running: that call keeps it until it ends.
    const running = b.infer({ h: hGpu });
    hGpu.dispose();
    expectClose((await running).y!, expected.y!);
    for (const t of [hGpu, both.y!, both.s!]) t.dispose();
    expect((await GpuContext.shared()).pool.inUse).toBe(0);
    await expect(hGpu.read()).rejects.toMatchObject({ code: 'DISPOSED' });
    await expect(b.infer({ h: hGpu })).rejects.toMatchObject({ code: 'DISPOSED', message: expect.stringContaining(`input 'h'`) });
    expect(floats(x)).toEqual(before);
  });

  it('fails read() of a GPU output with DEVICE_LOST once its device is gone', async () => {
    const model = await open(MODEL_A);
    const { h } = await model.infer({ x: randomTensor([1, 8], 51) }, { outputsOn: 'gpu' });
    h!.device.destroy();
    await expect(h!.read()).rejects.toMatchObject({ code: 'DEVICE_LOST', message: expect.stringMatching(/^read\(\): the GPU device this tensor lives on was lost \(reason 'destroyed'/) });
    h!.dispose();
    // The model itself goes on, on a new device.
    expect((await model.infer({ x: randomTensor([1, 8], 51) })).h!.shape).toEqual([1, 16]);
  });

  it('takes a caller\'s GPUBuffer as an input, never writes it, and leaves it the caller\'s after dispose()', async () => {
    const model = await open(MODEL_A);
    const device = await gpuDevice();
    const x = randomTensor([2, 8], 41);
    const buffer = f32Buffer(device, floats(x));
    const input = gpuTensor({ device, buffer, shape: [2, 8] });
    const fromHost = await model.infer({ x });
    expectClose((await model.infer({ x: input })).h!, fromHost.h!, 0);
    input.dispose();
    expect(() => input.gpuBuffer).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    const intact = await gpuTensor({ device, buffer, shape: [2, 8] }).read();
    expect(floats(intact)).toEqual(floats(x));
    buffer.destroy();
  });

  it('refuses GPU tensors that do not fit: too small, a dtype the GPU cannot hold or the spec does not take, no STORAGE usage, another device, a backend without a GPU', async () => {
    const model = await open(MODEL_A);
    const device = await gpuDevice();
    const buffer = f32Buffer(device, new Array(16).fill(1));
    expect(() => gpuTensor({ device, buffer, shape: [4, 8] })).toThrow(expect.objectContaining({ code: 'TENSOR_INVALID', message: expect.stringContaining('a 64-byte buffer is too small for a float32 tensor of shape [4, 8] (128 bytes') }));
    expect(() => gpuTensor({ device, buffer, shape: [2, 8], dtype: 'float64' })).toThrow(expect.objectContaining({ code: 'TENSOR_INVALID', message: expect.stringContaining('a float64 tensor cannot live on the GPU') }));
    await expect(model.infer({ x: gpuTensor({ device, buffer, shape: [2, 8], dtype: 'int32' }) })).rejects.toMatchObject({ code: 'SPEC_DTYPE' });
    const copyOnly = f32Buffer(device, new Array(16).fill(1), BufferUsage.COPY_SRC | BufferUsage.COPY_DST);
    expect(() => gpuTensor({ device, buffer: copyOnly, shape: [2, 8] })).toThrow(expect.objectContaining({ code: 'TENSOR_INVALID', message: expect.stringContaining('lacks STORAGE usage') }));

    const found = await findGpu();
    if (typeof found === 'string') throw new Error(found);
    const other = await found.adapter.requestDevice();
    const foreign = gpuTensor({ device: other, buffer: f32Buffer(other, new Array(16).fill(1)), shape: [2, 8] });
    await expect(model.infer({ x: foreign })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining(`input 'x' is a GPU tensor on another GPUDevice`) });
    other.destroy();

    const cpu = await open(MODEL_A, 'cpu');
    const mine = gpuTensor({ device, buffer, shape: [2, 8] });
    await expect(cpu.infer({ x: mine })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining(`GPU tensor input 'x' needs a model on the webgpu backend`) });
    await expect(cpu.infer({ x: randomTensor([2, 8], 1) }, { outputsOn: 'gpu' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining(`outputsOn: 'gpu' needs a model on the webgpu backend`) });
    await expect(model.infer({ x: randomTensor([2, 8], 1) }, { outputsOn: 'gpus' as 'gpu' })).rejects.toMatchObject({ code: 'USAGE' });
    buffer.destroy();
    copyOnly.destroy();
  });

  it('leaves an output on the GPU that the graph passes through or computes on the host (a copy or an upload, never the caller\'s buffer)', async () => {
    // y = Identity(x): the output's storage is the caller's buffer; z = Shape(x) is computed on the host (int64).
    const bytes = onnx([node('Identity', ['x'], ['y'])], [['x', [2, 2]]], [['y', [2, 2]]]);
    const model = await open(bytes);
    const device = await gpuDevice();
    const buffer = f32Buffer(device, [1, 2, 3, 4]);
    const out = await model.infer({ x: gpuTensor({ device, buffer, shape: [2, 2] }) }, { outputsOn: 'gpu' });
    expect(out.y!.gpuBuffer).not.toBe(buffer);
    expect(floats(await out.y!.read())).toEqual([1, 2, 3, 4]);
    out.y!.dispose();
    const fromHost = await model.infer({ x: tensor([5, 6, 7, 8], [2, 2]) }, { outputsOn: 'gpu' });
    expect(floats(await fromHost.y!.read())).toEqual([5, 6, 7, 8]);
    fromHost.y!.dispose();
    buffer.destroy();
  });
});
