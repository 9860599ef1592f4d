import { referenceKernels } from '../../../kernels/index.js';
import type { Backend } from '../../runtime/backend.js';
import { GraphExecutor } from '../../runtime/executor.js';

/** The TypeScript reference kernels, one node at a time: the oracle the other backends are compared with. */
export const cpuBackend: Backend = {
  name: 'cpu',
  unavailable: async () => undefined,
  async prepare(model) {
    const executor = new GraphExecutor(model, referenceKernels);
    executor.checkSupported();
    return {
      backend: 'cpu',
      run: async (feeds, wanted, profile) => executor.run(new Map(feeds), wanted, profile),
      dispose: () => {},
    };
  },
};
