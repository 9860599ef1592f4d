/** Where packages come from (a URL with a progress count, a picked or dropped file) and the cache of opened ones. */
export const MODEL_CACHE = 'neuropod-demo-models';
/** Files the user opened are kept under this path so the cache has one URL per package. */
const OPENED_PREFIX = new URL('./opened/', import.meta.url).href;

/**
 * The bytes at `url`, counting them as they arrive. Content-Length gives the total when the server sends it.
 * Offline (or when the server fails) the copy in the model cache is used.
 */
export async function fetchWithProgress(url, onProgress) {
  let response;
  try {
    response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  } catch (e) {
    const cached = await (await caches.open(MODEL_CACHE)).match(url);
    if (!cached) throw Object.assign(new Error(`could not fetch ${url}: ${e.message}`), { code: 'IO_FAILED' });
    response = cached;
  }
  const total = Number(response.headers.get('Content-Length')) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/** The cache URL for a file the user picked or dropped. */
export function openedFileUrl(name) {
  return OPENED_PREFIX + encodeURIComponent(name);
}

/** Keeps a package's bytes so it opens again with the network off (the service worker serves the same cache). */
export async function rememberPackage(url, bytes) {
  const cache = await caches.open(MODEL_CACHE);
  await cache.put(url, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) } }));
}

/** Packages opened before, newest last: [{ url, name }]. */
export async function rememberedPackages() {
  const keys = await (await caches.open(MODEL_CACHE)).keys();
  return keys.map((r) => ({ url: r.url, name: decodeURIComponent(r.url.split('/').pop()) }));
}
