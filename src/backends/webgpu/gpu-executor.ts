import { isNeuropodError, NeuropodError } from '../../api/errors.js';
import type { Graph, Model } from '../../graph/ir.js';
import type { Value } from '../../graph/value.js';
import { GraphExecutor, subgraphsOf, usedNames, type OpTiming } from '../../runtime/executor.js';
import { Tensor } from '../../tensor/tensor.js';
import type { KernelContext, KernelTable } from '../../../kernels/registry.js';
import type { GpuContext } from './gpu-context.js';
import type { GpuInput, GpuKernelTable, InputInfo } from './gpu-kernel.js';
import { planSteps, type GpuStep } from './gpu-plan.js';
import { GpuRun, uploadable } from './gpu-run.js';
import { GpuTimer } from './gpu-timer.js';
import { GpuTensor } from './gpu-tensor.js';
import { RunState, type Slot } from './gpu-run-state.js';

/**
 * Runs a graph with GPU tensors kept on the GPU from op to op. A node runs on its WebGPU kernel when it has one
 * that takes these inputs; otherwise on the reference kernel, with its GPU inputs downloaded first (the profile
 * says which ran where). Control flow runs wholly on the reference, its subgraphs included.
 */
export class GpuGraphExecutor {
  private readonly plans = new Map<string, GpuStep[]>();
  private readonly subgraphs = new WeakMap<Graph, GraphExecutor>();
  private hostExecutor: GraphExecutor | undefined;
  private readonly constantNames: Set<string>;
  /** What the last run did on the GPU: dispatches recorded, submissions, tensors read back, ops GPU-timed. */
  lastRun = { dispatches: 0, submits: 0, downloads: 0, timed: 0 };

  constructor(
    readonly model: Model,
    private readonly gpuKernels: GpuKernelTable,
    private readonly reference: KernelTable,
  ) {
    const graph = model.graph;
    this.constantNames = new Set(graph.initializers.keys());
    // Only a `value` attribute is the same Tensor object every run (value_float and the like are made afresh).
    for (const node of graph.nodes) if (node.opType === 'Constant' && node.domain === '' && node.attributes.get('value')?.type === 'tensor') this.constantNames.add(node.outputs[0]!);
  }

  /** The host tensors this model uploads as constants (freed from the device at dispose). */
  constantTensors(): Tensor[] {
    const out = [...this.model.graph.initializers.values()];
    for (const node of this.model.graph.nodes) {
      const v = node.opType === 'Constant' ? node.attributes.get('value') : undefined;
      if (v?.type === 'tensor') out.push(v.value);
    }
    return out;
  }

  plan(wanted: readonly string[]): GpuStep[] {
    const key = wanted.join('\u0000');
    let steps = this.plans.get(key);
    if (!steps) this.plans.set(key, (steps = planSteps(this.model, this.model.graph, wanted, this.gpuKernels, this.reference)));
    return steps;
  }

  /** Every shader the plan for `wanted` may dispatch (compiled at prepare), and its constants uploaded. */
  warm(ctx: GpuContext, wanted: readonly string[]): Promise<void> {
    const sources: string[] = [];
    const graph = this.model.graph;
    for (const step of this.plan(wanted)) {
      if (!step.gpu || step.skip) continue;
      sources.push(...step.gpu.shaders(step));
      const host = new Set(step.gpu.hostInputs ?? []);
      step.node.inputs.forEach((name, i) => {
        const t = graph.initializers.get(name);
        if (t && !host.has(i) && uploadable(t.dtype) && t.dtype === 'float32') ctx.constant(t);
      });
    }
    return ctx.pipelines.prepare(sources);
  }

  /** The whole graph on the reference kernels: the way on when no GPU can be had. */
  referenceRun(feeds: ReadonlyMap<string, Value>, wanted: readonly string[], profile?: OpTiming[]): Map<string, Value> {
    this.hostExecutor ??= new GraphExecutor(this.model, this.reference);
    return this.hostExecutor.run(new Map(feeds), wanted, profile);
  }

  /**
   * Runs the graph; a WebGPU validation error anywhere in the run fails it (a kernel bug, never silently wrong).
   * Feeds may be GPU tensors (held by the run until it ends). The wanted values named in `onGpu` come back as GPU
   * tensors the caller owns, with no readback; such a run is not GPU-timed (the timestamps would need one).
   */
  async run(ctx: GpuContext, feeds: ReadonlyMap<string, Slot>, wanted: readonly string[], profile?: OpTiming[], onGpu: ReadonlySet<string> = new Set()): Promise<Map<string, Slot>> {
    ctx.device.pushErrorScope('validation');
    let result: Map<string, Slot> | undefined;
    try {
      result = await this.runSteps(ctx, feeds, wanted, profile, onGpu);
    } finally {
      const error = await ctx.device.popErrorScope().catch(() => null);
      if (error && result) {
        for (const v of result.values()) if (v instanceof GpuTensor) v.storage.release();
        throw new NeuropodError('INFERENCE_FAILED', `webgpu: the run raised a validation error: ${error.message}`);
      }
    }
    return result;
  }

  private async runSteps(ctx: GpuContext, feeds: ReadonlyMap<string, Slot>, wanted: readonly string[], profile: OpTiming[] | undefined, onGpu: ReadonlySet<string>): Promise<Map<string, Slot>> {
    const timer = profile && onGpu.size === 0 && ctx.gpu.features.has('timestamp-query') ? new GpuTimer(ctx.device) : undefined;
    const state = new RunState(new GpuRun(ctx, timer), this.model.graph, this.constantNames, feeds);
    try {
      for (const step of this.plan(wanted)) {
        if (!step.skip) await this.runStep(step, state, profile);
        for (const name of step.release) state.drop(name);
      }
      const outputs = await state.collect(wanted, onGpu);
      // WebGPU ops' times are their GPU times where the adapter has timestamps (else the time to record them).
      for (const [i, ms] of state.run.gpuTimes ?? []) profile![i]!.ms = ms;
      return outputs;
    } catch (e) {
      throw (await lossOf(ctx, e)) ?? e;
    } finally {
      state.end();
      const { dispatches, submits, downloads, gpuTimes } = state.run;
      this.lastRun = { dispatches, submits, downloads, timed: gpuTimes?.size ?? 0 };
    }
  }

  private async runStep(step: GpuStep, state: RunState, profile?: OpTiming[]): Promise<void> {
    const { node } = step;
    const inputs = node.inputs.map((n) => (n === '' ? undefined : state.lookup(n)));
    const started = profile ? performance.now() : 0;
    const hostOnly = step.hostIsland && inputs.every((v) => !(v instanceof GpuTensor));
    const onGpu = step.gpu !== undefined && !hostOnly && this.accepts(step, inputs);
    let outs: (Slot | undefined)[];
    state.run.owner = onGpu && profile ? profile.length : -1;
    try {
      outs = onGpu ? await this.encodeStep(step, inputs, state) : await this.referenceStep(step, inputs, state);
    } catch (e) {
      throw nodeFailure(node.opType, node.name, e);
    }
    const backend = onGpu ? 'webgpu' : 'cpu';
    if (profile) profile.push({ node: node.name, op: node.opType, backend, ms: performance.now() - started });
    if (profile && step.fused) profile.push({ node: step.fused.node.name, op: step.fused.node.opType, backend, ms: 0 });
    const names = step.fused ? step.fused.node.outputs : node.outputs;
    names.forEach((name, i) => state.set(name, outs[i]));
    // Outputs a kernel made but the graph leaves unnamed are freed at once.
    outs.forEach((v, i) => {
      if ((names[i] ?? '') === '' && v instanceof GpuTensor) v.storage.release();
    });
  }

  private accepts(step: GpuStep, inputs: readonly (Slot | undefined)[]): boolean {
    const host = new Set(step.gpu!.hostInputs ?? []);
    const infos: (InputInfo | undefined)[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i];
      if (v === undefined) infos.push(undefined);
      else if (v instanceof GpuTensor) infos.push({ dtype: v.dtype, shape: v.shape, onGpu: true });
      else if (v instanceof Tensor && (host.has(i) || uploadable(v.dtype))) infos.push({ dtype: v.dtype, shape: v.shape, onGpu: false });
      else return false;
    }
    return step.gpu!.accepts(infos, step);
  }

  private async encodeStep(step: GpuStep, inputs: readonly (Slot | undefined)[], state: RunState): Promise<(Slot | undefined)[]> {
    const host = new Set(step.gpu!.hostInputs ?? []);
    const args: GpuInput[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i];
      args.push(v === undefined ? undefined : host.has(i) ? ((await state.toHost(v)) as Tensor) : state.toGpu(v as Tensor | GpuTensor, step.node.inputs[i]!));
    }
    return step.gpu!.encode(args, { ...step, run: state.run });
  }

  private async referenceStep(step: GpuStep, inputs: readonly (Slot | undefined)[], state: RunState): Promise<(Value | undefined)[]> {
    const { node } = step;
    const args: (Value | undefined)[] = [];
    for (const v of inputs) args.push(v === undefined ? undefined : await state.toHost(v));
    const outer = await this.outerValues(node, state);
    const ctx: KernelContext = {
      node, attrs: step.attrs, opset: step.opset,
      runSubgraph: (graph, subInputs) => this.runSubgraph(graph, subInputs, outer),
    };
    const outs = step.reference.run(args, ctx);
    if (!step.fused) return outs;
    const f = step.fused;
    return f.reference.run([outs[0], ...f.constants.slice(1)], { node: f.node, attrs: f.attrs, opset: f.opset, runSubgraph: ctx.runSubgraph });
  }

  /** Host copies of the outer values a node's subgraphs read (they run on the reference, synchronously). */
  private async outerValues(node: GpuStep['node'], state: RunState): Promise<Map<string, Value>> {
    const outer = new Map<string, Value>();
    if (subgraphsOf(node).length === 0) return outer;
    const own = new Set(node.inputs);
    for (const name of usedNames(node)) {
      if (own.has(name) || outer.has(name)) continue;
      const v = state.lookup(name);
      if (v !== undefined) outer.set(name, await state.toHost(v));
    }
    return outer;
  }

  private runSubgraph(graph: Graph, inputs: (Value | undefined)[], outer: ReadonlyMap<string, Value>): Value[] {
    let executor = this.subgraphs.get(graph);
    if (!executor) this.subgraphs.set(graph, (executor = new GraphExecutor({ graph, opsets: this.model.opsets }, this.reference)));
    const feeds = new Map<string, Value>(outer);
    graph.inputs.forEach((info, i) => {
      const v = inputs[i];
      if (v !== undefined) feeds.set(info.name, v);
    });
    const produced = executor.run(feeds);
    return graph.outputs.map((o) => produced.get(o.name)!);
  }
}

/**
 * The DEVICE_LOST error when a failure came from losing the device. A map or submit on a lost device can fail
 * before the `lost` promise settles, so any failure waits briefly (200 ms) for it.
 */
async function lossOf(ctx: GpuContext, e: unknown): Promise<unknown> {
  const settled = (ms: number) => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms));
  if (isNeuropodError(e) && e.code === 'DEVICE_LOST') return e;
  return Promise.race([ctx.gpu.lost.catch((lost: unknown) => lost), settled(ctx.gpu.isLost() ? 1000 : 200)]);
}

function nodeFailure(op: string, name: string, e: unknown): NeuropodError {
  const where = `${op} node '${name || '(unnamed)'}'`;
  if (isNeuropodError(e)) {
    if (e.code === 'DEVICE_LOST' || e.message.includes(where)) return e;
    return new NeuropodError(e.code === 'OP_UNSUPPORTED' ? e.code : 'INFERENCE_FAILED', `${where}: ${e.message}`, { cause: e });
  }
  return new NeuropodError('INFERENCE_FAILED', `${where} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

