/**
 * The demo's service worker. Install keeps the app shell, the bundled packages and the engine: dist/index.js and
 * every file its modules name (followed from string literals, so hashed chunk names need no list). Requests for
 * the app and the engine go to the network first and fall back to the cache; packages the page opened are in the
 * page's own model cache, which the fallback also reads.
 */
const SHELL_CACHE = 'neuropod-demo-shell-v1';
const SHELL = [
  './', './index.html', './styles.css', './manifest.webmanifest', './icons/icon.svg', './icons/icon-maskable.svg',
  './app.js', './backend-picker.js', './draw-pad.js', './element.js', './error-view.js', './image-input.js', './input-editors.js',
  './output-views.js', './package-source.js', './profile-chart.js', './spec-view.js', './sw-register.js', './tensor-layout.js',
  './models/mnist.neuropod', './models/edges.neuropod', './models/words.neuropod', './models/digit.png', '../examples/addition.neuropod',
].map((p) => new URL(p, self.location.href).href);
const ENGINE_ENTRY = new URL('../dist/index.js', self.location.href).href;
const ENGINE_ROOT = new URL('../dist/', self.location.href).href;
const APP_ROOT = new URL('./', self.location.href).href;
/** Quoted relative file names in a built module: chunks, workers, wasm, shaders. */
const NAMED_FILE = /["'`](\.{0,2}\/?[\w\-./]+\.(?:js|mjs|wasm|wgsl))["'`]/g;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL);
    await keepModuleGraph(cache, ENGINE_ENTRY);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('neuropod-demo-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const reply = event.ports[0];
  if (event.data?.type !== 'keep') return;
  keepUrls(event.data.urls).then(() => reply.postMessage({ ok: true }), (e) => reply.postMessage({ ok: false, error: e.message }));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(networkFirst(event.request));
});

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && isAppOrEngine(request.url)) (await caches.open(SHELL_CACHE)).put(request, response.clone());
    return response;
  } catch (e) {
    const cached = (await caches.match(request)) ?? (request.mode === 'navigate' ? await caches.match(request, { ignoreSearch: true }) : undefined);
    if (cached) return cached;
    throw e;
  }
}

function isAppOrEngine(url) {
  return url.startsWith(APP_ROOT) || url.startsWith(ENGINE_ROOT);
}

async function keepUrls(urls) {
  const cache = await caches.open(SHELL_CACHE);
  for (const url of new Set(urls)) {
    if (!isAppOrEngine(url) || (await cache.match(url))) continue;
    const response = await fetch(url).catch(() => null);
    if (response?.ok) await cache.put(url, response);
  }
}

/** Caches a module and, breadth-first, every same-folder file it names; names that do not resolve are skipped. */
async function keepModuleGraph(cache, entry) {
  const seen = new Set([entry]);
  const queue = [entry];
  while (queue.length) {
    const url = queue.shift();
    const response = await fetch(url).catch(() => null);
    if (!response?.ok) continue;
    await cache.put(url, response.clone());
    if (!/\.m?js$/.test(new URL(url).pathname)) continue;
    for (const [, name] of (await response.text()).matchAll(NAMED_FILE)) {
      const next = new URL(name, url).href;
      if (next.startsWith(ENGINE_ROOT) && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
}
