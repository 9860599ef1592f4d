/**
 * The WebGPU machinery: device features, one pipeline for many shapes, one submission per inference, readback
 * of the requested outputs only, fused activations, per-op fallback with the profile saying where, no pooled
 * buffer left behind, and a lost device failing the call in flight and replaced on the next.
 */
import { describe, expect, it, vi } from 'vitest';
import { NeuropodError } from '../../api/errors.js';
import type { Graph, Model, Node } from '../../graph/ir.js';
import type { Value } from '../../graph/value.js';
import type { OpTiming } from '../../runtime/executor.js';
import { Tensor } from '../../tensor/tensor.js';
import { referenceKernels } from '../../../kernels/index.js';
import { WANTED_FEATURES } from './device.js';
import { GpuContext } from './gpu-context.js';
import { findGpu } from './gpu-source.js';
import { randomTensor, webgpuMissing, worstRelative } from './webgpu-harness.js';
import { webgpuBackend, WebGpuModel } from './webgpu-backend.js';
import { GraphExecutor } from '../../runtime/executor.js';

const missing = await webgpuMissing();
const f32 = (shape: number[], values: number[]) => new Tensor('float32', shape, Float32Array.from(values));
const floats = (v: Value | undefined) => Array.from((v as Tensor).numeric as Float32Array);

function node(opType: string, inputs: string[], outputs: string[], attrs: Node['attributes'] = new Map(), domain = ''): Node {
  return { name: `${opType}_${outputs[0]}`, opType, domain, inputs, outputs, attributes: attrs };
}

function model(nodes: Node[], inputs: string[], outputs: string[], initializers = new Map<string, Tensor>()): Model {
  const graph: Graph = { name: 'g', nodes, inputs: inputs.map((name) => ({ name })), outputs: outputs.map((name) => ({ name })), initializers };
  return { graph, opsets: new Map([['', 17]]) };
}

const reference = (m: Model, feeds: Map<string, Value>, wanted: string[]) => new GraphExecutor(m, referenceKernels).run(new Map(feeds), wanted);

/** Conv(3x3, pads 1) -> Relu -> MaxPool(2x2) -> Add(bias): four ops, three dispatches once Relu is fused. */
function convChain(): { m: Model; feeds: Map<string, Value> } {
  const ints = (v: number[]) => ({ type: 'ints' as const, value: v });
  const m = model(
    [
      node('Conv', ['x', 'w'], ['c'], new Map([['pads', ints([1, 1, 1, 1])]])),
      node('Relu', ['c'], ['r']),
      node('MaxPool', ['r'], ['p'], new Map([['kernel_shape', ints([2, 2])], ['strides', ints([2, 2])]])),
      node('Add', ['p', 'b'], ['y']),
    ],
    ['x'], ['y'],
    new Map([['w', randomTensor([4, 3, 3, 3], 2)], ['b', randomTensor([4, 1, 1], 3)]]),
  );
  return { m, feeds: new Map([['x', randomTensor([1, 3, 8, 8], 1)]]) };
}

describe.skipIf(missing !== undefined)('the WebGPU backend', () => {
  it('starts here, with every wanted feature the adapter has', async () => {
    expect(await webgpuBackend.unavailable()).toBeUndefined();
    const found = await findGpu();
    if (typeof found === 'string') throw new Error(found);
    const ctx = await GpuContext.shared();
    expect([...ctx.gpu.features].sort()).toEqual(WANTED_FEATURES.filter((f) => found.adapter.features.has(f)).sort());
  });

  it('serves every shape from one pipeline: Add on [2,2] then [3,1] + [1,4]', async () => {
    const m = model([node('Add', ['a', 'b'], ['y'])], ['a', 'b'], ['y']);
    const prepared = await WebGpuModel.prepare(m);
    const ctx = await prepared.context();
    const small = await prepared.run(new Map([['a', f32([2, 2], [1, 2, 3, 4])], ['b', f32([2, 2], [10, 20, 30, 40])]]), ['y']);
    const pipelines = ctx.pipelines.size;
    const wide = await prepared.run(new Map([['a', f32([3, 1], [1, 2, 3])], ['b', f32([1, 4], [10, 20, 30, 40])]]), ['y']);
    expect(floats(small.get('y'))).toEqual([11, 22, 33, 44]);
    expect([(wide.get('y') as Tensor).shape, floats(wide.get('y'))]).toEqual([[3, 4], [11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43]]);
    expect(ctx.pipelines.size).toBe(pipelines);
    prepared.dispose();
  });

  it('runs Conv -> Relu -> MaxPool -> Add in one submission, Relu fused into the Conv, GPU-timed, and frees every pooled buffer', async () => {
    const { m, feeds } = convChain();
    const prepared = await WebGpuModel.prepare(m);
    const ctx = await prepared.context();
    const profile: OpTiming[] = [];
    const out = (await prepared.run(feeds, ['y'], profile)).get('y') as Tensor;
    expect(worstRelative(out, reference(m, feeds, ['y']).get('y') as Tensor)).toBeLessThanOrEqual(1e-5);
    // With timestamp-query (SwiftShader has it) the three dispatching ops get GPU times, read in the same submission.
    const timed = ctx.gpu.features.has('timestamp-query') ? 3 : 0;
    expect(prepared.executor.lastRun).toEqual({ dispatches: 3, submits: 1, downloads: 1, timed });
    expect(profile.map((p) => [p.op, p.backend])).toEqual([['Conv', 'webgpu'], ['Relu', 'webgpu'], ['MaxPool', 'webgpu'], ['Add', 'webgpu']]);
    expect(profile.every((p) => Number.isFinite(p.ms) && p.ms >= 0)).toBe(true);
    expect(ctx.pool.inUse).toBe(0);
    prepared.dispose();
  });

  it('reads back only the requested output of two', async () => {
    const m = model([node('Relu', ['x'], ['a']), node('Sigmoid', ['x'], ['b'])], ['x'], ['a', 'b']);
    const prepared = await WebGpuModel.prepare(m);
    const out = await prepared.run(new Map([['x', f32([3], [-1, 0, 2])]]), ['a']);
    expect([...out.keys()]).toEqual(['a']);
    expect(floats(out.get('a'))).toEqual([0, 0, 2]);
    expect(prepared.executor.lastRun).toMatchObject({ dispatches: 1, downloads: 1 });
    prepared.dispose();
  });

  it('runs an op without a WebGPU kernel (CumSum) and string tensors on the reference, and the profile says so', async () => {
    const m = model(
      [
        node('Relu', ['x'], ['r']), node('CumSum', ['r', 'axis'], ['c']), node('Sigmoid', ['r'], ['s']), node('Relu', ['c'], ['y']),
        node('Concat', ['t', 't'], ['u'], new Map([['axis', { type: 'int', value: 0 }]])),
      ],
      ['x', 't'], ['y', 's', 'u'],
      new Map([['axis', new Tensor('int64', [], BigInt64Array.of(0n))]]),
    );
    const prepared = await WebGpuModel.prepare(m);
    const profile: OpTiming[] = [];
    const out = await prepared.run(new Map<string, Value>([['x', f32([4], [1, -2, 3, 4])], ['t', new Tensor('string', [1], ['a'])]]), ['y', 's', 'u'], profile);
    expect(floats(out.get('y'))).toEqual([1, 1, 4, 8]);
    expect((out.get('u') as Tensor).data).toEqual(['a', 'a']);
    expect(profile.map((p) => [p.op, p.backend])).toEqual([['Relu', 'webgpu'], ['CumSum', 'cpu'], ['Sigmoid', 'webgpu'], ['Relu', 'webgpu'], ['Concat', 'cpu']]);
    prepared.dispose();
  });

  it('keeps an op on the host when its inputs are there and its only consumer runs on the reference (Transpose -> CumSum)', async () => {
    const perm = { type: 'ints' as const, value: [1, 0] };
    const m = model([node('Transpose', ['x'], ['t'], new Map([['perm', perm]])), node('CumSum', ['t', 'axis'], ['y'])], ['x'], ['y'], new Map([['axis', new Tensor('int64', [], BigInt64Array.of(1n))]]));
    const prepared = await WebGpuModel.prepare(m);
    const profile: OpTiming[] = [];
    const out = await prepared.run(new Map([['x', f32([2, 2], [1, 2, 3, 4])]]), ['y'], profile);
    expect(floats(out.get('y'))).toEqual([1, 4, 2, 6]);
    expect(profile.map((p) => p.backend)).toEqual(['cpu', 'cpu']);
    expect(prepared.executor.lastRun).toEqual({ dispatches: 0, submits: 0, downloads: 0, timed: 0 });
    prepared.dispose();
  });

  it('fails the call in flight with DEVICE_LOST when the device is destroyed mid-run, and the next call opens a new device', async () => {
    let destroyOnce = true;
    referenceKernels.add({
      op: 'DestroyDevice',
      domain: 'test.neuropod',
      run: ([x]) => {
        if (destroyOnce) {
          destroyOnce = false;
          void GpuContext.shared().then((ctx) => ctx.device.destroy());
        }
        return [x];
      },
    });
    const m = model([node('Relu', ['x'], ['a']), node('DestroyDevice', ['a'], ['b'], new Map(), 'test.neuropod'), node('Sigmoid', ['b'], ['y'])], ['x'], ['y']);
    m.opsets.set('test.neuropod', 1);
    const prepared = await WebGpuModel.prepare(m);
    const first = await prepared.context();
    const feeds = new Map([['x', f32([2], [-1, 0])]]);
    await expect(prepared.run(feeds, ['y'])).rejects.toMatchObject({ code: 'DEVICE_LOST', message: expect.stringMatching(/^webgpu: the GPU device was lost \(.*\); the call was abandoned, the next call opens a new device$/) });
    const out = await prepared.run(feeds, ['y']);
    expect(floats(out.get('y'))).toEqual([0.5, 0.5]);
    expect(await prepared.context()).not.toBe(first);
    prepared.dispose();
  });

  it('runs a call on the wasm backend when a lost device cannot be replaced, says so once, and returns to the GPU once it can', async () => {
    const m = model([node('MatMul', ['x', 'w'], ['a']), node('Add', ['a', 'b'], ['y'])], ['x'], ['y'], new Map([['w', f32([2, 2], [1, 2, 3, 4])], ['b', f32([2], [0.5, 0.5])]]));
    const prepared = await WebGpuModel.prepare(m);
    const ctx = await prepared.context();
    ctx.device.destroy();
    await ctx.gpu.lost.catch(() => undefined);
    const noAdapter = new NeuropodError('BACKEND_UNAVAILABLE', 'webgpu: no adapter (test)');
    const open = vi.spyOn(GpuContext, 'open').mockRejectedValueOnce(noAdapter).mockRejectedValueOnce(noAdapter);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const feeds = new Map([['x', f32([1, 2], [-1, 0])]]);
    const before = floats(feeds.get('x'));
    for (let i = 0; i < 2; i++) {
      const profile: OpTiming[] = [];
      expect(floats((await prepared.run(feeds, ['y'], profile)).get('y'))).toEqual([-0.5, -1.5]);
      expect(profile.map((p) => p.backend)).toEqual(['wasm', 'wasm']);
    }
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^\[neuropod-web\] webgpu: the GPU device was lost and no new one can be opened \(webgpu: no adapter \(test\)\); calls run on the wasm backend until one can/)]);
    open.mockRestore();
    const again: OpTiming[] = [];
    expect(floats((await prepared.run(feeds, ['y'], again)).get('y'))).toEqual([-0.5, -1.5]);
    expect(again.map((p) => p.backend)).toEqual(['webgpu', 'webgpu']);
    expect(info.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringContaining('calls run on WebGPU again')]);
    expect(floats(feeds.get('x'))).toEqual(before);
    warn.mockRestore();
    info.mockRestore();
    prepared.dispose();
  });
});
