import { NeuropodError } from '../api/errors.js';
import type { Model } from '../graph/ir.js';
import type { Value } from '../graph/value.js';

/**
 * What the conformance runner needs of a backend: run a model on feeds, giving the named outputs. A new backend
 * (wasm, webgpu) is one more row in BACKENDS; it may fall back to the CPU reference per op, as the runtime does.
 */
export interface ConformanceBackend {
  readonly name: string;
  run(model: Model, feeds: Map<string, Value>, outputs: readonly string[]): Promise<Map<string, Value>>;
}

/** Backends by CLI name, loaded on demand so the runner pays only for the one it tests. */
export const BACKENDS: Record<string, () => Promise<ConformanceBackend>> = {
  cpu: async () => {
    const [{ GraphExecutor }, { referenceKernels }] = await Promise.all([import('../runtime/executor.js'), import('../../kernels/index.js')]);
    return {
      name: 'cpu',
      run: async (model, feeds, outputs) => new GraphExecutor(model, referenceKernels).run(feeds, outputs),
    };
  },
};

export async function backendNamed(name: string): Promise<ConformanceBackend> {
  const make = BACKENDS[name];
  if (!make) throw new NeuropodError('USAGE', `no conformance backend '${name}'; available: ${Object.keys(BACKENDS).join(', ')}`);
  return make();
}
