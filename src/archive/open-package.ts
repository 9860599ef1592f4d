import { NeuropodError } from '../api/errors.js';
import { fetchBytes, fetchIfPresent, type FetchOptions } from './fetch-resource.js';
import { nodeDirectoryPackage } from './node-directory-package.js';
import type { PackageFiles } from './package-files.js';
import { urlDirectoryPackage } from './url-directory-package.js';
import { zipPackage } from './zip-package.js';

/** Where a package (or a bare model file) can come from. Strings are paths in Node and URLs in a page. */
export type PackageSource = string | URL | Blob | ArrayBuffer | ArrayBufferView;

/**
 * A source, opened: a directory (on disk or served), or the bytes of one file. `sibling` reads a file beside that
 * one (ONNX external data, TF.js weight shards) where the source has a location.
 */
export type OpenedSource =
  | { kind: 'directory'; files: PackageFiles }
  | { kind: 'file'; bytes: Uint8Array; source: string; fileName: string; sibling?: (path: string) => Promise<Uint8Array> };

/** Zip local-file header or end-of-central-directory (an empty zip) at offset 0. */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/** A package: a directory is a directory, anything else is read as a zip (NEUROPOD-FORMAT.md section 2). */
export async function openPackage(source: PackageSource, options: FetchOptions = {}): Promise<PackageFiles> {
  const opened = await openSource(source, options);
  return opened.kind === 'directory' ? opened.files : zipPackage(opened.bytes, opened.source);
}

/** URL sources are fetched with `options` (signal, cache); other sources ignore them. */
export async function openSource(source: PackageSource, options: FetchOptions = {}): Promise<OpenedSource> {
  if (typeof source === 'string') return isUrl(source) || !runsInNode() ? openUrl(resolveUrl(source), options) : openPath(source);
  if (source instanceof URL) return source.protocol === 'file:' && runsInNode() ? openPath(await filePath(source)) : openUrl(source.href, options);
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const fileName = (source as { name?: string }).name ?? 'Blob';
    return { kind: 'file', bytes: new Uint8Array(await source.arrayBuffer()), source: fileName, fileName };
  }
  if (source instanceof ArrayBuffer) return { kind: 'file', bytes: new Uint8Array(source), source: 'ArrayBuffer', fileName: 'model' };
  if (ArrayBuffer.isView(source)) {
    const bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return { kind: 'file', bytes, source: source.constructor.name, fileName: 'model' };
  }
  throw new NeuropodError('USAGE', `load(): a package source is a path, URL, File, Blob, ArrayBuffer or Uint8Array; got ${describe(source)}`);
}

function runsInNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^(blob|data):/i.test(s);
}

function resolveUrl(s: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return base ? new URL(s, base).href : s;
}

async function filePath(url: URL): Promise<string> {
  return (await import('node:url')).fileURLToPath(url);
}

async function openUrl(url: string, options: FetchOptions): Promise<OpenedSource> {
  if (url.startsWith('file:') && runsInNode()) return openPath(await filePath(new URL(url)));
  if (url.endsWith('/')) return { kind: 'directory', files: await urlDirectoryPackage(url, options) };
  const body = await fetchIfPresent(url, options);
  // A directory URL without its trailing '/': a server answers with a listing, a redirect page or 404.
  if ((!body || !looksLikeZip(body)) && (await fetchIfPresent(new URL('config.json', url + '/').href, options))) {
    return { kind: 'directory', files: await urlDirectoryPackage(url, options) };
  }
  if (!body) throw new NeuropodError('IO_FAILED', `cannot fetch ${url}: HTTP 404 (not found)`);
  const fileName = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'model');
  return { kind: 'file', bytes: body, source: url, fileName, sibling: (path) => fetchBytes(new URL(path, url).href, options) };
}

async function openPath(path: string): Promise<OpenedSource> {
  const fs = await import('node:fs/promises');
  const { basename, dirname, join } = await import('node:path');
  let isDirectory: boolean;
  try {
    isDirectory = (await fs.stat(path)).isDirectory();
  } catch (cause) {
    throw new NeuropodError('IO_FAILED', `cannot open ${path}: ${(cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (cause as Error).message}`, { cause });
  }
  if (isDirectory) return { kind: 'directory', files: await nodeDirectoryPackage(path) };
  const read = async (p: string): Promise<Uint8Array> => {
    try {
      const buf = await fs.readFile(p);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (cause) {
      throw new NeuropodError('IO_FAILED', `cannot read ${p}: ${(cause as Error).message}`, { cause });
    }
  };
  return { kind: 'file', bytes: await read(path), source: path, fileName: basename(path), sibling: (rel) => read(join(dirname(path), rel)) };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}
