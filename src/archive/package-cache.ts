import { isNeuropodError, NeuropodError } from '../api/errors.js';
import { sha256Hex } from './manifest.js';

/** The Cache API store for `load(url, { cache: true })`; the version is bumped if the entry format changes. */
export const PACKAGE_CACHE_NAME = 'neuropod-web-packages-v1';
const SHA_HEADER = 'X-Neuropod-Sha256';

type NetworkFetch = (url: string) => Promise<Uint8Array | undefined>;

/** Stored for a file the server said is not there, so that the probes a package makes answer offline too. */
const ABSENT = 'absent';

/**
 * Cache first: a stored copy whose bytes still hash to the sha256 stored beside them is used without touching the
 * network (so it loads offline); a damaged one is dropped and fetched again. What the network returns is stored,
 * an absent file (404) as absent: a directory package probes for files it may not have (manifest.json), and a
 * bare model for a config.json beside it. An absent record is asked of the network again first (the file may
 * have appeared since) and answers only when the network cannot.
 */
export async function fetchThroughCache(url: string, network: NetworkFetch): Promise<Uint8Array | undefined> {
  const cache = await openPackageCache(url);
  const hit = await cache.match(url);
  if (!hit) return fetchAndStore(cache, url, network);
  if (hit.headers.get(SHA_HEADER) === ABSENT) return fetchAndStore(cache, url, network).catch((e) => (isNeuropodError(e) && e.code === 'IO_FAILED' ? undefined : Promise.reject(e)));
  const bytes = new Uint8Array(await hit.arrayBuffer());
  const stored = hit.headers.get(SHA_HEADER);
  const actual = await sha256Hex(bytes);
  if (actual === stored) return bytes;
  await cache.delete(url);
  try {
    return await fetchAndStore(cache, url, network);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new NeuropodError('IO_FAILED', `the cached copy of ${url} is damaged (its sha256 is ${actual}, it was stored as ${stored ?? 'nothing'}) and fetching it again failed: ${why}`, { cause });
  }
}

/** Drops every package `cache: true` stored; true when there was a store to drop. */
export async function clearPackageCache(): Promise<boolean> {
  return typeof caches === 'undefined' ? false : caches.delete(PACKAGE_CACHE_NAME);
}

async function openPackageCache(url: string): Promise<Cache> {
  if (typeof caches === 'undefined') {
    throw new NeuropodError('USAGE', `load(): cache: true needs the Cache API to keep ${url}, and this context has none (it exists in pages and Workers served over https or from localhost)`);
  }
  return caches.open(PACKAGE_CACHE_NAME);
}

async function fetchAndStore(cache: Cache, url: string, network: NetworkFetch): Promise<Uint8Array | undefined> {
  const body = await network(url);
  const headers = { 'Content-Type': 'application/octet-stream', [SHA_HEADER]: body ? await sha256Hex(body) : ABSENT };
  try {
    await cache.put(url, new Response(body ? (body as Uint8Array<ArrayBuffer>) : null, { headers }));
  } catch (e) {
    // The bytes are here, so this load goes on; only the offline copy is missing, and that is worth a line.
    console.warn(`[neuropod-web] could not keep ${url} in the Cache API (${(e as Error).message}); it will need the network next time`);
  }
  return body;
}
