import { NeuropodError } from '../api/errors.js';
import type { Backend, BackendName } from '../runtime/backend.js';

/**
 * Every backend this build has, best first: 'auto' takes the first whose `unavailable()` is undefined. Each is
 * imported only when chosen, so a page pays for the backends it runs. A new backend is one row here.
 */
const BACKEND_MODULES: readonly { name: BackendName; load: () => Promise<Backend> }[] = [
  { name: 'webgpu', load: async () => (await import('./webgpu/webgpu-backend.js')).webgpuBackend },
  { name: 'wasm', load: async () => (await import('./wasm/wasm-backend.js')).wasmBackend },
  { name: 'cpu', load: async () => (await import('./cpu/cpu-backend.js')).cpuBackend },
];

export const BUILT_BACKENDS: readonly BackendName[] = BACKEND_MODULES.map((b) => b.name);

/** The backend `choice` names, or for 'auto' the best one that can start here. */
export async function chooseBackend(choice: BackendName | 'auto'): Promise<Backend> {
  if (choice !== 'auto') {
    const row = BACKEND_MODULES.find((b) => b.name === choice);
    if (!row) throw new NeuropodError('BACKEND_UNAVAILABLE', `backend '${choice}' is not in this build; available: ${BUILT_BACKENDS.join(', ')}`);
    const backend = await row.load();
    const why = await backend.unavailable();
    if (why) throw new NeuropodError('BACKEND_UNAVAILABLE', `backend '${choice}' cannot start here: ${why}`);
    return backend;
  }
  const reasons: string[] = [];
  for (const row of BACKEND_MODULES) {
    const backend = await row.load();
    const why = await backend.unavailable(true);
    if (!why) return backend;
    reasons.push(`${row.name}: ${why}`);
  }
  throw new NeuropodError('BACKEND_UNAVAILABLE', `no backend can start here (${reasons.join('; ')})`);
}
