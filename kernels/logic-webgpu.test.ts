/**
 * WebGPU And / Or / Xor / Not against the reference kernels, fed by GPU comparisons (bools move to the GPU only
 * where one already lives there), in Node through the `webgpu` package.
 */
import { describe, expect, it } from 'vitest';
import type { Model, Node } from '../src/graph/ir.js';
import type { Value } from '../src/graph/value.js';
import { WebGpuModel } from '../src/backends/webgpu/webgpu-backend.js';
import { randomTensor as r, webgpuMissing } from '../src/backends/webgpu/webgpu-harness.js';
import { GraphExecutor, type OpTiming } from '../src/runtime/executor.js';
import { Tensor } from '../src/tensor/tensor.js';
import { referenceKernels } from './index.js';

const missing = await webgpuMissing();

const node = (opType: string, inputs: string[], output: string): Node => ({ name: `${opType}_${output}`, opType, domain: '', inputs, outputs: [output], attributes: new Map() });

describe.skipIf(missing !== undefined)('WebGPU logic ops match the reference kernels', () => {
  it('And, Or, Xor (broadcasting, one operand from the host) and Not on the outputs of GPU comparisons', async () => {
    const nodes = [
      node('Less', ['x0', 'x1'], 'p'), node('Greater', ['x0', 'x2'], 'q'),
      node('And', ['p', 'q'], 'and'), node('Or', ['p', 'q'], 'or'), node('Xor', ['p', 'q'], 'xor'), node('Not', ['p'], 'not'),
      node('And', ['p', 'mask'], 'masked'), node('Or', ['row', 'q'], 'rowor'),
    ];
    const outputs = ['and', 'or', 'xor', 'not', 'masked', 'rowor'];
    const feeds = new Map<string, Value>([
      ['x0', r([3, 4, 5], 1)], ['x1', r([3, 1, 5], 2)], ['x2', r([5], 3)],
      ['mask', new Tensor('bool', [4, 1], Uint8Array.of(1, 0, 1, 1))], ['row', new Tensor('bool', [5], Uint8Array.of(0, 1, 0, 0, 1))],
    ]);
    const graph = { name: 'logic', nodes, inputs: [...feeds.keys()].map((name) => ({ name })), outputs: outputs.map((name) => ({ name })), initializers: new Map<string, Tensor>() };
    const model: Model = { graph, opsets: new Map([['', 18]]) };
    const cpu = new GraphExecutor(model, referenceKernels).run(new Map(feeds), outputs);
    const prepared = await WebGpuModel.prepare(model);
    try {
      const profile: OpTiming[] = [];
      const gpu = await prepared.run(feeds, outputs, profile);
      expect(profile.map((p) => `${p.op}:${p.backend}`)).toEqual(nodes.map((n) => `${n.opType}:webgpu`));
      for (const name of outputs) {
        const [g, c] = [gpu.get(name) as Tensor, cpu.get(name) as Tensor];
        expect(g.dtype, name).toBe('bool');
        expect(g.shape, name).toEqual(c.shape);
        expect(Array.from(g.numeric as Uint8Array), name).toEqual(Array.from(c.numeric as Uint8Array));
      }
    } finally {
      prepared.dispose();
    }
  });
});
