import { referenceKernels } from '../../../kernels/index.js';
import { checkAssumedInputs, planGraph } from '../../graph/passes/plan-graph.js';
import type { Backend } from '../../runtime/backend.js';
import { GraphExecutor } from '../../runtime/executor.js';

/** The TypeScript reference kernels, one node at a time: the oracle the other backends are compared with. */
export const cpuBackend: Backend = {
  name: 'cpu',
  unavailable: async () => undefined,
  async prepare(model, options) {
    new GraphExecutor(model, referenceKernels).checkSupported();
    const planned = planGraph(model, { keep: options.keep });
    const executor = new GraphExecutor(planned.model, referenceKernels);
    return {
      backend: 'cpu',
      graph: planned.model.graph,
      run: async (feeds, wanted, profile) => {
        checkAssumedInputs(planned, feeds);
        return executor.run(new Map(feeds), wanted, profile);
      },
      dispose: () => {},
    };
  },
};
