import { AttributeReader } from '../../graph/attributes.js';
import type { Graph, Model, Node } from '../../graph/ir.js';
import type { Tensor } from '../../tensor/tensor.js';
import { opsetFor, topologicalOrder, usedNames } from '../../runtime/executor.js';
import type { KernelDef, KernelTable } from '../../../kernels/registry.js';
import { activationEpilogue } from '../../../kernels/elementwise-webgpu.js';
import { NO_EPILOGUE, type Epilogue, type GpuKernelDef, type GpuKernelTable, type GpuNodeContext } from './gpu-kernel.js';

/** One node as the WebGPU executor runs it: its WebGPU kernel if any, the reference always. */
export interface GpuStep extends GpuNodeContext {
  gpu?: GpuKernelDef;
  reference: KernelDef;
  /** An activation node applied as this step's epilogue; its own step is skipped. */
  fused?: { node: Node; reference: KernelDef; attrs: AttributeReader; opset: number; constants: (Tensor | undefined)[] };
  /** Set on an activation whose producer applies it. */
  skip: boolean;
  /**
   * Every consumer of this step's outputs runs on the reference: with host inputs, the step runs there too,
   * instead of uploading its inputs only to read its outputs straight back (a Transpose feeding an LSTM).
   */
  hostIsland: boolean;
  /** Values whose last use is this step. */
  release: string[];
}

/** A value known when planning: an initializer, or a Constant node's `value`. */
export function constantValue(graph: Graph, producers: ReadonlyMap<string, Node>, name: string): Tensor | undefined {
  if (name === '') return undefined;
  const init = graph.initializers.get(name);
  if (init) return init;
  const node = producers.get(name);
  if (node?.opType !== 'Constant' || node.domain !== '') return undefined;
  const value = node.attributes.get('value');
  return value?.type === 'tensor' ? value.value : undefined;
}

/** Names read by each node (subgraph captures included), for consumer counts. */
function consumerCounts(order: readonly Node[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of order) for (const name of usedNames(node)) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/**
 * Orders the nodes the wanted outputs need, fuses an activation into the kernel that produces its only input
 * (Conv + Relu, Gemm + Clip), and frees every value after its last use, as the reference executor does.
 */
export function planSteps(model: Model, graph: Graph, wanted: readonly string[], gpuKernels: GpuKernelTable, reference: KernelTable): GpuStep[] {
  const order = topologicalOrder(graph, wanted);
  const producers = new Map<string, Node>();
  for (const node of graph.nodes) for (const out of node.outputs) producers.set(out, node);
  const steps = order.map((node): GpuStep => {
    const opset = opsetFor(model.opsets, node.domain);
    const ref = reference.find(node.domain, node.opType, opset)!;
    return { node, opset, attrs: new AttributeReader(node.attributes, node), epilogue: NO_EPILOGUE, gpu: gpuKernels.find(node.domain, node.opType, opset), reference: ref, skip: false, hostIsland: false, release: [] };
  });
  fuseActivations(graph, steps, producers, wanted);
  markHostIslands(steps);
  scheduleReleases(graph, order, steps, wanted);
  return steps;
}

function fuseActivations(graph: Graph, steps: GpuStep[], producers: ReadonlyMap<string, Node>, wanted: readonly string[]): void {
  const counts = consumerCounts(steps.map((s) => s.node));
  const outputs = new Set([...wanted, ...graph.outputs.map((o) => o.name)]);
  const stepOf = new Map(steps.map((s) => [s.node, s]));
  for (const step of steps) {
    const out = step.node.outputs[0];
    // A step already fused into its producer never runs on its own, so it cannot take an epilogue of its own.
    if (step.skip) continue;
    if (!step.gpu?.fusesEpilogue || !out || outputs.has(out) || counts.get(out) !== 1 || step.node.outputs.slice(1).some((o) => o !== '')) continue;
    const consumer = steps.find((s) => !s.skip && s.node.inputs[0] === out && s.node.inputs.slice(1).every((n) => n !== out));
    if (!consumer || consumer.node.outputs.length !== 1 || stepOf.get(consumer.node) === step) continue;
    const constants = consumer.node.inputs.map((n, i) => (i === 0 ? undefined : constantValue(graph, producers, n)));
    const epilogue: Epilogue | undefined = activationEpilogue(consumer, (i) => constants[i]);
    if (!epilogue) continue;
    step.epilogue = epilogue;
    step.fused = { node: consumer.node, reference: consumer.reference, attrs: consumer.attrs, opset: consumer.opset, constants };
    consumer.skip = true;
  }
}

function markHostIslands(steps: GpuStep[]): void {
  const consumers = new Map<string, GpuStep[]>();
  for (const step of steps) for (const name of usedNames(step.node)) consumers.set(name, [...(consumers.get(name) ?? []), step]);
  for (const step of steps) {
    const users = step.node.outputs.flatMap((o) => consumers.get(o) ?? []);
    step.hostIsland = users.length > 0 && users.every((u) => !u.gpu);
  }
}

function scheduleReleases(graph: Graph, order: readonly Node[], steps: GpuStep[], wanted: readonly string[]): void {
  const lastUse = new Map<string, number>();
  order.forEach((node, i) => {
    for (const name of usedNames(node)) lastUse.set(name, i);
  });
  const keep = new Set([...wanted, ...graph.inputs.map((i) => i.name)]);
  for (const [name, i] of lastUse) if (!keep.has(name) && !graph.initializers.has(name)) steps[i]!.release.push(name);
  order.forEach((node, i) => {
    for (const out of node.outputs) if (out !== '' && !lastUse.has(out) && !keep.has(out)) steps[i]!.release.push(out);
  });
}
