import { convWasmKernels } from '../../../kernels/conv-wasm.js';
import { referenceKernels } from '../../../kernels/index.js';
import { matmulWasmKernels } from '../../../kernels/matmul-wasm.js';
import { KernelTable } from '../../../kernels/registry.js';
import type { Graph } from '../../graph/ir.js';
import { fuseConvEpilogues } from '../../graph/passes/fuse-conv-epilogue.js';
import { checkAssumedInputs, planGraph } from '../../graph/passes/plan-graph.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Backend } from '../../runtime/backend.js';
import { GraphExecutor, subgraphsOf, type OpTiming } from '../../runtime/executor.js';
import { simdUnavailable, wasmKernelModules } from './wasm-modules-instance.js';
import { WasmKernelRuntime } from './wasm-runtime.js';

/** The wasm kernels first, the reference for every op (or opset) they do not cover. */
class WasmFirstKernels extends KernelTable {
  constructor(private readonly wasm: KernelTable) {
    super([]);
  }

  override find(domain: string, op: string, opset: number) {
    return this.wasm.find(domain, op, opset) ?? referenceKernels.find(domain, op, opset);
  }

  override ops() {
    const seen = new Set(this.wasm.ops().map((o) => `${o.domain}::${o.op}`));
    return [...this.wasm.ops(), ...referenceKernels.ops().filter((o) => !seen.has(`${o.domain}::${o.op}`))];
  }
}

/** Every initializer of the graph and its subgraphs: the tensors whose packed forms are kept for the model's life. */
function constantsOf(graph: Graph, into = new Set<Tensor>()): Set<Tensor> {
  for (const t of graph.initializers.values()) into.add(t);
  for (const node of graph.nodes) for (const sub of subgraphsOf(node)) constantsOf(sub, into);
  return into;
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
 * SIMD128 kernels (wasm/*.wat) for Conv/Gemm/MatMul, one thread, the reference kernels for every other op. The
 * model is first rewritten so BatchNormalization folds into Conv weights and Relu/Clip into the GEMM epilogue.
 */
export const wasmBackend: Backend = {
  name: 'wasm',
  unavailable: async () => simdUnavailable(),
  async prepare(source, options) {
    const modules = await wasmKernelModules();
    new GraphExecutor(source, referenceKernels).checkSupported();
    const planned = planGraph(source, { keep: options.keep });
    const model = fuseConvEpilogues(planned.model);
    const rt = new WasmKernelRuntime(modules, constantsOf(model.graph));
    const executor = new GraphExecutor(model, new WasmFirstKernels(new KernelTable([matmulWasmKernels(rt), convWasmKernels(rt)])));
    return {
      backend: 'wasm',
      run: async (feeds, wanted, profile) => {
        checkAssumedInputs(planned, feeds);
        return executor.run(new Map(feeds), wanted, profile && honestProfile(rt, profile));
      },
      dispose: () => rt.dispose(),
    };
  },
};
