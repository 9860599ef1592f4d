import { NeuropodError } from '../api/errors.js';
import type { Model } from '../graph/ir.js';
import type { Value } from '../graph/value.js';
import { chooseBackend } from '../backends/index.js';
import type { BackendName } from '../runtime/backend.js';

/**
 * What the conformance runner needs of a backend: run a model on feeds, giving the named outputs. A new backend
 * (wasm, webgpu) is one more row in BACKENDS (`runtimeBackend('wasm')`); it may fall back to the CPU reference per op, as the runtime does.
 */
export interface ConformanceBackend {
  readonly name: string;
  run(model: Model, feeds: Map<string, Value>, outputs: readonly string[]): Promise<Map<string, Value>>;
}

/** Backends by CLI name, loaded on demand so the runner pays only for the one it tests. */
export const BACKENDS: Record<string, () => Promise<ConformanceBackend>> = {
  cpu: () => runtimeBackend('cpu'),
  wasm: () => runtimeBackend('wasm'),
  webgpu: () => runtimeBackend('webgpu'),
};

/** A runtime backend (src/backends) as the runner uses it: prepared per test model, disposed after. */
async function runtimeBackend(name: BackendName): Promise<ConformanceBackend> {
  const backend = await chooseBackend(name);
  return {
    name,
    async run(model, feeds, outputs) {
      const prepared = await backend.prepare(model, {});
      try {
        return await prepared.run(feeds, outputs);
      } finally {
        prepared.dispose();
      }
    },
  };
}

export async function backendNamed(name: string): Promise<ConformanceBackend> {
  const make = BACKENDS[name];
  if (!make) throw new NeuropodError('USAGE', `no conformance backend '${name}'; available: ${Object.keys(BACKENDS).join(', ')}`);
  return make();
}
