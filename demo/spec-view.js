import { el } from './element.js';
import { formatShape } from './tensor-layout.js';

/** The model's name, platform, backend and its input and output specs (symbols shown quoted, free dims null). */
export function renderSpec(model) {
  const table = el('table', { className: 'spec' }, el('tr', {}, ...['', 'name', 'dtype', 'shape'].map((h) => el('th', { textContent: h }))));
  const rows = [...model.inputs.map((s) => ['input', s]), ...model.outputs.map((s) => ['output', s])];
  for (const [side, s] of rows) {
    table.append(el('tr', { dataset: { side, name: s.name } },
      el('td', { textContent: side }), el('td', { textContent: s.name }), el('td', { textContent: s.dtype }), el('td', { className: 'shape', textContent: formatShape(s.shape) })));
  }
  const about = el('p', { className: 'about' },
    el('strong', { className: 'model-name', textContent: model.name }), ` · platform ${model.platform} · backend `, el('strong', { className: 'model-backend', textContent: model.backend }));
  return el('div', {}, about, table);
}
