import { NeuropodError } from '../api/errors.js';
import { fetchThroughCache } from './package-cache.js';

export interface FetchOptions {
  signal?: AbortSignal;
  /** Go through the Cache API store (package-cache.ts): what was fetched once loads again offline. */
  cache?: boolean;
}

/** The body of `url`, or undefined when the server says it is not there (404/410). Other failures are IO_FAILED. */
export async function fetchIfPresent(url: string, options: FetchOptions = {}): Promise<Uint8Array | undefined> {
  const network = (u: string): Promise<Uint8Array | undefined> => fetchFromNetwork(u, options.signal);
  return options.cache ? fetchThroughCache(url, network) : network(url);
}

async function fetchFromNetwork(url: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (cause) {
    if (signal?.aborted) throw new NeuropodError('ABORTED', `loading ${url} was cancelled`, { cause });
    throw new NeuropodError('IO_FAILED', `cannot fetch ${url}: ${(cause as Error).message}`, { cause });
  }
  if (response.status === 404 || response.status === 410) return undefined;
  if (!response.ok) throw new NeuropodError('IO_FAILED', `cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  return new Uint8Array(await response.arrayBuffer());
}

export async function fetchBytes(url: string, options: FetchOptions = {}): Promise<Uint8Array> {
  const body = await fetchIfPresent(url, options);
  if (!body) throw new NeuropodError('IO_FAILED', `cannot fetch ${url}: HTTP 404 (not found)`);
  return body;
}
