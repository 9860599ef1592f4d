import { load } from '../dist/index.js';
import { createBackendPicker } from './backend-picker.js';
import { el } from './element.js';
import { clearError, showError } from './error-view.js';
import { createEditor } from './input-editors.js';
import { renderOutput } from './output-views.js';
import { fetchWithProgress, openedFileUrl, rememberedPackages, rememberPackage } from './package-source.js';
import { renderProfile } from './profile-chart.js';
import { renderSpec } from './spec-view.js';
import { registerServiceWorker } from './sw-register.js';

const BUNDLED = [
  { name: 'mnist', url: new URL('./models/mnist.neuropod', import.meta.url).href },
  { name: 'edges', url: new URL('./models/edges.neuropod', import.meta.url).href },
  { name: 'words', url: new URL('./models/words.neuropod', import.meta.url).href },
  { name: 'addition', url: new URL('../examples/addition.neuropod', import.meta.url).href },
];
const LAST_KEY = 'neuropod-demo:last';
const $ = (id) => document.getElementById(id);

/** What is open: the package's cache URL, its bytes (to reload on a backend change), the model, its editors. */
const state = { url: null, bytes: null, model: null, editors: [], runs: [], firstRun: null, loadMs: null, downloadMs: null };

const samplePicture = fetch(new URL('./models/digit.png', import.meta.url)).then((r) => r.blob()).then((b) => createImageBitmap(b)).catch(() => null);
const probeBytes = fetch(BUNDLED.at(-1).url).then((r) => r.arrayBuffer());

async function openUrl(url) {
  const started = performance.now();
  showProgress(0, 0, `downloading ${url}`);
  const bytes = await fetchWithProgress(url, (received, total) => showProgress(received, total, `downloading ${shortName(url)}: ${kb(received)}${total ? ` of ${kb(total)}` : ''}`));
  state.downloadMs = performance.now() - started;
  await openBytes(url, bytes, `downloaded ${kb(bytes.length)} in ${state.downloadMs.toFixed(0)} ms`);
}

async function openFile(file) {
  const url = openedFileUrl(file.name);
  const bytes = new Uint8Array(await file.arrayBuffer());
  state.downloadMs = null;
  await openBytes(url, bytes, `read ${file.name} (${kb(bytes.length)})`);
}

/** load() on the chosen backend, then the spec, editors and a first run; a package that loads is kept for offline. */
async function openBytes(url, bytes, howRead) {
  clearError($('error'));
  for (const id of ['spec', 'inputs', 'results']) $(id).hidden = true;
  for (const key of ['runs', 'model', 'source']) delete document.body.dataset[key];
  await state.model?.dispose();
  state.model = null;
  const backend = $('backend').value;
  showProgress(null, null, `${howRead}; compiling for ${backend}…`);
  const started = performance.now();
  try {
    state.model = await load(bytes.slice(), { backend });
  } finally {
    $('progress-bar').max = Math.max(bytes.length, 1);
    $('progress-bar').value = bytes.length;
  }
  state.loadMs = performance.now() - started;
  $('progress-label').textContent = `${howRead}; loaded on ${state.model.backend} in ${state.loadMs.toFixed(0)} ms`;
  Object.assign(state, { url, bytes, runs: [], firstRun: null });
  await rememberPackage(url, bytes);
  localStorage.setItem(LAST_KEY, url);
  if (backend === 'auto') picker.showAuto(state.model.backend);
  Object.assign(document.body.dataset, { model: state.model.name, source: url });
  await showModel(state.model);
  await refreshRecent();
  await run();
}

async function showModel(model) {
  $('spec-body').replaceChildren(renderSpec(model));
  const symbols = new Map();
  const picture = await samplePicture;
  state.editors = model.inputs.map((spec) => ({ name: spec.name, ...createEditor(spec, symbols, picture, () => guarded(run, 'run')) }));
  $('editors').replaceChildren(...state.editors.map((e) => e.element));
  $('outputs').replaceChildren();
  $('profile').replaceChildren();
  for (const id of ['spec', 'inputs']) $(id).hidden = false;
  $('results').hidden = true;
}

async function run() {
  const model = state.model;
  if (!model) return;
  clearError($('error'));
  $('run').disabled = true;
  try {
    const inputs = {};
    for (const e of state.editors) inputs[e.name] = await e.read();
    const started = performance.now();
    const outputs = await model.infer(inputs);
    const ms = performance.now() - started;
    if (state.firstRun === null) state.firstRun = ms;
    else state.runs.push(ms);
    $('outputs').replaceChildren(...Object.entries(outputs).map(([name, t]) => renderOutput(name, t)));
    $('profile').replaceChildren(renderProfile(await model.profile()));
    showTimings();
    $('results').hidden = false;
    document.body.dataset.runs = String(1 + state.runs.length);
  } finally {
    $('run').disabled = false;
  }
}

function showTimings() {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = [
    ['download', state.downloadMs === null ? 'local file' : `${state.downloadMs.toFixed(1)} ms`],
    ['load', `${state.loadMs.toFixed(1)} ms`],
    ['first run', `${state.firstRun.toFixed(2)} ms`],
    ['run', !state.runs.length ? 'press Run again' : state.runs.length === 1 ? `${state.runs[0].toFixed(2)} ms` : `${median(state.runs).toFixed(2)} ms (median of ${state.runs.length} runs)`],
  ];
  $('timings').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: v, dataset: { timing: k } })]));
}

function showProgress(value, max, label) {
  $('progress').hidden = false;
  const bar = $('progress-bar');
  if (value === null || !max) bar.removeAttribute('value');
  else Object.assign(bar, { max, value });
  $('progress-label').textContent = label;
}

async function refreshRecent() {
  const known = await rememberedPackages();
  const links = known.map(({ url, name }) => el('button', { type: 'button', className: 'link', textContent: name, dataset: { url }, onclick: () => guarded(() => openUrl(url), 'open') }));
  $('recent').replaceChildren(...(links.length ? links : ['none']));
}

/** Runs an action, showing what went wrong in the page (NeuropodError code and message) instead of throwing. */
async function guarded(action, what) {
  try {
    await action();
  } catch (e) {
    if (what === 'open') {
      $('progress-bar').value = 0;
      $('progress-label').textContent = 'not loaded';
    }
    showError($('error'), e, what === 'run' ? 'run failed' : 'could not open the package');
    console.error(e);
  }
}

const shortName = (url) => decodeURIComponent(url.split('/').pop());
const kb = (n) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(2)} MB`);

function wireOpeners() {
  $('package-file').onchange = (e) => e.target.files[0] && guarded(() => openFile(e.target.files[0]), 'open');
  $('url-form').onsubmit = (e) => {
    e.preventDefault();
    const url = new URL($('package-url').value.trim(), location.href).href;
    guarded(() => openUrl(url), 'open');
  };
  $('bundled').replaceChildren(...BUNDLED.map(({ name, url }) => el('button', { type: 'button', className: 'link', textContent: name, dataset: { url }, onclick: () => guarded(() => openUrl(url), 'open') })));
  $('run').onclick = () => guarded(run, 'run');
  $('backend').onchange = () => state.bytes && guarded(() => openBytes(state.url, state.bytes, shortName(state.url)), 'open');
  let depth = 0;
  document.addEventListener('dragenter', (e) => { e.preventDefault(); $('drop-hint').hidden = ++depth <= 0; });
  document.addEventListener('dragleave', () => { $('drop-hint').hidden = --depth <= 0; });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    $('drop-hint').hidden = true;
    const file = e.dataTransfer?.files?.[0];
    if (file) guarded(() => openFile(file), 'open');
  });
}

/** First visit: the bundled MNIST; later: the package opened last (from the cache when offline); ?model=URL wins. */
function startUrl() {
  const asked = new URLSearchParams(location.search).get('model');
  if (asked) return new URL(asked, location.href).href;
  return localStorage.getItem(LAST_KEY) ?? BUNDLED[0].url;
}

const picker = createBackendPicker($('backend'), () => probeBytes.then((b) => b.slice(0)));
wireOpeners();
registerServiceWorker($('offline-state'));
await refreshRecent();
await guarded(async () => {
  const url = startUrl();
  try {
    await openUrl(url);
  } catch (e) {
    if (url === BUNDLED[0].url) throw e;
    console.warn(`could not reopen ${url}; opening the bundled default`, e);
    await openUrl(BUNDLED[0].url);
  }
}, 'open');
