import { drawImageTensor } from './image-input.js';
import { el } from './element.js';
import { formatShape, imageLayout } from './tensor-layout.js';

const TOP_K = 5;
const TABLE_LIMIT = 200;

/** Shows one output: top-k for class scores, a picture for image-shaped outputs, a table otherwise. */
export function renderOutput(name, t) {
  const box = el('section', { className: 'output', dataset: { output: name } });
  box.append(el('h3', { textContent: `${name}  ${t.dtype} ${formatShape(t.shape)}` }));
  const found = imageLayout(t.shape, t.dtype);
  if (isClassScores(t)) box.append(topK(t));
  else if (found) box.append(imageView(t, found));
  box.append(valuesTable(t, !isClassScores(t) && !found));
  return box;
}

/** A float vector, or a batch of one, with 2..10000 entries: scores over classes. */
function isClassScores(t) {
  if (!t.dtype.startsWith('float')) return false;
  const n = t.shape.at(-1);
  const batchOfOne = t.shape.slice(0, -1).every((d) => d === 1);
  return t.shape.length >= 1 && t.shape.length <= 2 && batchOfOne && n >= 2 && n <= 10000;
}

/** Logits are shown with their softmax; scores already on the simplex are shown as they are. */
function topK(t) {
  const scores = Array.from(t.data, Number);
  const sum = scores.reduce((a, b) => a + b, 0);
  const isProbability = scores.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) < 1e-3;
  const probs = isProbability ? scores : softmax(scores);
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]).slice(0, TOP_K);
  const list = el('ol', { className: 'topk' });
  for (const i of order) {
    const bar = el('span', { className: 'bar' });
    bar.style.width = `${(probs[i] * 100).toFixed(1)}%`;
    list.append(el('li', { dataset: { class: String(i), score: String(scores[i]) } },
      el('span', { className: 'label', textContent: `class ${i}` }),
      el('span', { className: 'meter' }, bar),
      el('span', { className: 'prob', textContent: `${(probs[i] * 100).toFixed(1)}%` }),
      el('span', { className: 'score', textContent: isProbability ? '' : formatNumber(scores[i]) })));
  }
  return el('div', {}, el('p', { className: 'hint', textContent: isProbability ? `top ${order.length} of ${scores.length} (probabilities)` : `top ${order.length} of ${scores.length} (softmax of the scores; raw score at the right)` }), list);
}

function softmax(values) {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / total);
}

function imageView(t, found) {
  const canvas = el('canvas', { className: 'output-image', ariaLabel: 'output image' });
  drawImageTensor(canvas, t, found);
  return canvas;
}

/** The values, flat (the first TABLE_LIMIT), rows of the last axis; open by default when nothing else shows them. */
function valuesTable(t, open) {
  const values = Array.from(t.data.slice(0, TABLE_LIMIT), (v) => (typeof v === 'string' ? v : formatNumber(Number(v))));
  const width = t.shape.length >= 2 ? Math.min(t.shape.at(-1), 16) : Math.min(values.length, 16) || 1;
  const table = el('table', { className: 'values' });
  for (let i = 0; i < values.length; i += width) {
    table.append(el('tr', {}, ...values.slice(i, i + width).map((v) => el('td', { textContent: v }))));
  }
  const more = t.data.length > TABLE_LIMIT ? ` (first ${TABLE_LIMIT} of ${t.data.length})` : '';
  const details = el('details', { open }, el('summary', { textContent: `values${more}${stats(t)}` }), table);
  return details;
}

function stats(t) {
  if (typeof t.data[0] === 'string' || t.data.length === 0) return '';
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const raw of t.data) {
    const v = Number(raw);
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return `; min ${formatNumber(min)}, max ${formatNumber(max)}, mean ${formatNumber(sum / t.data.length)}`;
}

export function formatNumber(v) {
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? v.toExponential(3) : v.toFixed(4).replace(/\.?0+$/, '');
}
