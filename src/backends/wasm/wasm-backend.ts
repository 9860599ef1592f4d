import { convWasmKernels } from '../../../kernels/conv-wasm.js';
import { elementwiseWasmKernels } from '../../../kernels/elementwise-wasm.js';
import { referenceKernels } from '../../../kernels/index.js';
import { matmulWasmKernels } from '../../../kernels/matmul-wasm.js';
import { normWasmKernels } from '../../../kernels/norm-wasm.js';
import { padWasmKernels } from '../../../kernels/pad-wasm.js';
import { poolWasmKernels } from '../../../kernels/pool-wasm.js';
import { reduceWasmKernels } from '../../../kernels/reduce-wasm.js';
import { rnnWasmKernels } from '../../../kernels/rnn-wasm.js';
import { tensorWasmKernels } from '../../../kernels/tensor-wasm.js';
import { unaryWasmKernels } from '../../../kernels/unary-wasm.js';
import { KernelTable, type KernelDef } from '../../../kernels/registry.js';
import type { Graph } from '../../graph/ir.js';
import { fuseConvEpilogues } from '../../graph/passes/fuse-conv-epilogue.js';
import { fuseGelus } from '../../graph/passes/fuse-gelu.js';
import { fuseLayerNorms } from '../../graph/passes/fuse-layer-norm.js';
import { checkAssumedInputs, planGraph } from '../../graph/passes/plan-graph.js';
import type { Value } from '../../graph/value.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Backend } from '../../runtime/backend.js';
import { GraphExecutor, subgraphsOf, type OpTiming } from '../../runtime/executor.js';
import { simdUnavailable, wasmKernelModules, type WasmKernelModules } from './wasm-modules-instance.js';
import { ThreadPool } from './thread-pool.js';
import { chooseThreads } from './threads.js';
import { ResidentTensor } from './resident-tensor.js';
import { WasmKernelRuntime } from './wasm-runtime.js';

/**
 * The wasm kernels first, the reference for every op (or opset) they do not cover. Every kernel found here
 * reports what it read to the runtime, so a resident wasm output is freed after its last reader, wasm or not.
 */
class WasmFirstKernels extends KernelTable {
  private readonly counted = new Map<KernelDef, KernelDef>();

  constructor(
    private readonly wasm: KernelTable,
    private readonly rt: WasmKernelRuntime,
  ) {
    super([]);
  }

  override find(domain: string, op: string, opset: number) {
    const wasm = this.wasm.find(domain, op, opset);
    if (wasm) return wasm;
    const reference = referenceKernels.find(domain, op, opset);
    if (!reference) return undefined;
    let counted = this.counted.get(reference);
    if (!counted) {
      const rt = this.rt;
      counted = { ...reference, run: (inputs, ctx) => {
        const out = reference.run(inputs, ctx);
        passedOn(inputs, out);
        rt.consumed(ctx.node, inputs, true);
        return out;
      } };
      this.counted.set(reference, counted);
    }
    return counted;
  }

  override ops() {
    const seen = new Set(this.wasm.ops().map((o) => `${o.domain}::${o.op}`));
    return [...this.wasm.ops(), ...referenceKernels.ops().filter((o) => !seen.has(`${o.domain}::${o.op}`))];
  }
}

/**
 * Copies out each resident input a reference kernel handed on unread (Identity returns its input; sequence ops
 * keep it in a Sequence): the value lives on under another name past its own name's last reader.
 */
function passedOn(inputs: readonly (Value | undefined)[], outputs: readonly (Value | undefined)[]): void {
  const wrapped = outputs.some((v) => v !== undefined && !(v instanceof Tensor));
  for (const t of inputs) if (t instanceof ResidentTensor && (wrapped || outputs.includes(t))) t.materialize();
}

/** Every initializer of the graph and its subgraphs: the tensors whose packed forms are kept for the model's life. */
function constantsOf(graph: Graph, into = new Set<Tensor>()): Set<Tensor> {
  for (const t of graph.initializers.values()) into.add(t);
  for (const node of graph.nodes) for (const sub of subgraphsOf(node)) constantsOf(sub, into);
  return into;
}

/**
 * How many node inputs of the main graph read each value. A value a subgraph reads, or a graph output, is left
 * out: it is never freed early, only copied out when the run ends.
 */
function readerCounts(graph: Graph): Map<string, number> {
  const counts = new Map<string, number>(), never = new Set(graph.outputs.map((o) => o.name));
  const mentionAll = (g: Graph) => {
    for (const n of g.nodes) {
      n.inputs.forEach((i) => never.add(i));
      subgraphsOf(n).forEach(mentionAll);
    }
    g.outputs.forEach((o) => never.add(o.name));
  };
  for (const node of graph.nodes) {
    for (const name of node.inputs) if (name !== '') counts.set(name, (counts.get(name) ?? 0) + 1);
    subgraphsOf(node).forEach(mentionAll);
  }
  for (const name of never) counts.delete(name);
  return counts;
}

/** A profile list that relabels 'wasm' entries whose kernel handed the call to the reference. */
function honestProfile(rt: WasmKernelRuntime, target: OpTiming[]): OpTiming[] {
  const list: OpTiming[] = [];
  list.push = (...entries: OpTiming[]) => {
    for (const e of entries) target.push(e.backend === 'wasm' && rt.delegatedLast ? { ...e, backend: 'cpu' } : e);
    return target.length;
  };
  return list;
}

/**
 * SIMD128 kernels (wasm/*.wat) for Conv/Gemm/MatMul, Add/Sub/Mul/Div, MaxPool, Concat, Softmax and LSTM (Conv/Gemm/MatMul
 * split across a Worker pool when `threads` > 1 and shared memory is available), the reference kernels for every other op. The
 * model is first rewritten so BatchNormalization folds into Conv weights and Relu/Clip into the GEMM epilogue.
 */
export const wasmBackend: Backend = {
  name: 'wasm',
  unavailable: async () => simdUnavailable(),
  async prepare(source, options) {
    new GraphExecutor(source, referenceKernels).checkSupported();
    const threads = usesPool(source.graph) ? await chooseThreads(options.threads) : 1;
    const { modules, pool } = await modulesAndPool(threads);
    const planned = planGraph(source, { keep: options.keep });
    const model = fuseGelus(fuseLayerNorms(fuseConvEpilogues(planned.model, planned.shapes), planned.shapes));
    const rt = new WasmKernelRuntime(modules, constantsOf(model.graph), readerCounts(model.graph), new Set(model.graph.nodes));
    rt.threadPool = pool;
    const executor = new GraphExecutor(model, new WasmFirstKernels(new KernelTable([matmulWasmKernels(rt), convWasmKernels(rt), elementwiseWasmKernels(rt), poolWasmKernels(rt), reduceWasmKernels(rt), normWasmKernels(rt), rnnWasmKernels(rt), tensorWasmKernels(rt), padWasmKernels(rt), unaryWasmKernels(rt)]), rt));
    return {
      backend: 'wasm',
      graph: model.graph,
      run: async (feeds, wanted, profile) => {
        checkAssumedInputs(planned, feeds);
        rt.beginRun();
        try {
          const out = executor.run(new Map(feeds), wanted, profile && honestProfile(rt, profile));
          for (const [name, v] of out) if (v instanceof ResidentTensor) out.set(name, v.toPlain());
          return out;
        } finally {
          rt.endRun();
        }
      },
      dispose: () => {
        rt.dispose();
        pool?.dispose();
      },
    };
  },
};

/** Ops whose wasm kernels split across the thread pool (parallel.ts). */
const POOL_OPS = new Set(['Conv', 'FusedConv', 'Gemm', 'FusedGemm', 'MatMul']);

/** Whether a model has a node the pool would run (anywhere, subgraphs included): else it starts no Workers. */
function usesPool(graph: Graph): boolean {
  return graph.nodes.some((n) => POOL_OPS.has(n.opType) || subgraphsOf(n).some(usesPool));
}

/**
 * The plain modules for one thread; for more, the shared-memory build and a pool of `threads - 1` Workers on
 * it. A pool that cannot start (a page whose policy refuses Workers from Blob URLs, say) leaves the model on one
 * thread with a console warning saying why.
 */
async function modulesAndPool(threads: number): Promise<{ modules: WasmKernelModules; pool?: ThreadPool }> {
  if (threads > 1) {
    try {
      const modules = await wasmKernelModules(true);
      return { modules, pool: await ThreadPool.start(modules, threads) };
    } catch (e) {
      console.warn(`neuropod-web: the wasm backend runs on one thread: its ${threads - 1} Worker thread(s) did not start (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  return { modules: await wasmKernelModules(false) };
}
