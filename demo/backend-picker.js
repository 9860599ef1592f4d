import { BACKENDS, load } from '../dist/index.js';
import { el } from './element.js';

/**
 * The backend select: every name the engine's BACKENDS lists. Each named one is tried once on a tiny package;
 * one that cannot start here says so in its label and keeps its error as the tooltip (choosing it shows the error).
 */
export function createBackendPicker(select, probeBytes) {
  for (const name of BACKENDS) select.append(el('option', { value: name, textContent: name }));
  const probes = BACKENDS.filter((b) => b !== 'auto').map(async (name) => {
    const option = select.querySelector(`option[value="${name}"]`);
    try {
      const model = await load(await probeBytes(), { backend: name });
      await model.dispose();
      option.dataset.available = 'true';
    } catch (e) {
      option.dataset.available = 'false';
      option.textContent = `${name} (unavailable)`;
      option.title = e.message;
    }
  });
  return {
    probed: Promise.all(probes),
    /** Marks what 'auto' resolved to. */
    showAuto(resolved) {
      select.querySelector('option[value="auto"]').textContent = `auto (${resolved})`;
    },
  };
}
