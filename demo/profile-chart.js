import { el } from './element.js';

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 22;
const LABEL_WIDTH = 150;
const BAR_WIDTH = 360;
const MAX_ROWS = 16;

/**
 * Per-op profile of the last run: one bar per operator type and backend (total ms over its nodes), slowest first;
 * an op whose nodes ran on two backends gets a bar for each.
 */
export function renderProfile(timings) {
  const byOp = new Map();
  for (const t of timings) {
    const key = `${t.op}\u0000${t.backend}`;
    const row = byOp.get(key) ?? { op: t.op, backend: t.backend, ms: 0, nodes: 0 };
    row.ms += t.ms;
    row.nodes += 1;
    byOp.set(key, row);
  }
  const rows = [...byOp.values()].sort((a, b) => b.ms - a.ms).slice(0, MAX_ROWS);
  const total = timings.reduce((a, t) => a + t.ms, 0);
  const box = el('div', { className: 'profile' });
  box.append(el('p', { className: 'hint', textContent: `${timings.length} nodes, ${total.toFixed(2)} ms in kernels; by operator type and backend${byOp.size > MAX_ROWS ? ` (slowest ${MAX_ROWS} of ${byOp.size})` : ''}` }));
  if (rows.length) box.append(barChart(rows));
  box.append(slowestNodes(timings));
  return box;
}

function barChart(rows) {
  const max = Math.max(...rows.map((r) => r.ms), 1e-6);
  const backends = [...new Set(rows.map((r) => r.backend))];
  const svg = svgNode('svg', { class: 'chart', width: LABEL_WIDTH + BAR_WIDTH + 120, height: (rows.length + 1) * ROW + 4, role: 'img', 'aria-label': 'time per operator type' });
  rows.forEach((r, i) => {
    const y = i * ROW + 2;
    const g = svgNode('g', { 'data-op': r.op, 'data-backend': r.backend });
    g.append(
      svgNode('text', { x: LABEL_WIDTH - 8, y: y + 15, 'text-anchor': 'end', class: 'op' }, `${r.op} ×${r.nodes}`),
      svgNode('rect', { x: LABEL_WIDTH, y: y + 3, width: Math.max(1, (r.ms / max) * BAR_WIDTH), height: ROW - 6, rx: 3, class: `bar backend-${r.backend}` }),
      svgNode('text', { x: LABEL_WIDTH + Math.max(1, (r.ms / max) * BAR_WIDTH) + 6, y: y + 15, class: 'ms' }, `${r.ms.toFixed(3)} ms  ${r.backend}`),
    );
    svg.append(g);
  });
  // A node's bar takes the colour of the backend its kernel ran on.
  backends.forEach((b, i) => {
    const x = LABEL_WIDTH + i * 90;
    const y = rows.length * ROW + 6;
    svg.append(svgNode('rect', { x, y: y + 3, width: 12, height: 12, rx: 2, class: `bar backend-${b}` }), svgNode('text', { x: x + 18, y: y + 14, class: 'legend' }, b));
  });
  return svg;
}

function slowestNodes(timings) {
  const table = el('table', { className: 'nodes' }, el('tr', {}, ...['node', 'op', 'backend', 'ms'].map((h) => el('th', { textContent: h }))));
  for (const t of [...timings].sort((a, b) => b.ms - a.ms).slice(0, 20)) {
    table.append(el('tr', {}, el('td', { textContent: t.node }), el('td', { textContent: t.op }), el('td', { textContent: t.backend }), el('td', { textContent: t.ms.toFixed(3) })));
  }
  return el('details', {}, el('summary', { textContent: 'slowest nodes' }), table);
}

function svgNode(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}
