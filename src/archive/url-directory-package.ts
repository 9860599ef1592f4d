import type { PackageFiles } from './package-files.js';
import { missingFile, normalizePath, PathIndex } from './path-index.js';
import { fetchIfPresent, type FetchOptions } from './fetch-resource.js';

/**
 * A package served as a directory (`https://host/models/addition/`). Files are fetched by relative path when an
 * importer asks; a web server cannot list a folder, so `list()` holds the files seen so far plus those named by
 * manifest.json when the package has one.
 */
export async function urlDirectoryPackage(base: string, options: FetchOptions = {}): Promise<PackageFiles> {
  const root = base.endsWith('/') ? base : base + '/';
  const index = new PathIndex();
  const fetched = new Map<string, Uint8Array>();
  const missing = new Set<string>();

  const fetchPath = async (path: string): Promise<Uint8Array | undefined> => {
    const stored = index.find(path) ?? normalizePath(path);
    const cached = fetched.get(stored);
    if (cached) return cached;
    if (missing.has(stored.toLowerCase())) return undefined;
    const body = await fetchIfPresent(new URL(stored, root).href, options);
    if (!body) missing.add(stored.toLowerCase());
    else index.add(stored);
    return body;
  };

  const manifest = await fetchPath('manifest.json');
  if (manifest) {
    fetched.set('manifest.json', manifest);
    for (const path of manifestPaths(manifest)) index.add(path);
  }

  const read = async (path: string): Promise<Uint8Array> => {
    const body = await fetchPath(path);
    if (!body) throw missingFile(root, path);
    fetched.delete(index.find(path)!);
    return body;
  };
  return {
    source: root,
    list: () => index.list(),
    has: async (path) => {
      const body = await fetchPath(path);
      if (body) fetched.set(index.find(path)!, body);
      return body !== undefined;
    },
    read,
    readText: async (path) => new TextDecoder().decode(await read(path)),
    listUnder: async (prefix) => index.under(prefix),
  };
}

/** Paths named by manifest.json; a malformed manifest names none here and is reported when it is verified. */
function manifestPaths(bytes: Uint8Array): string[] {
  try {
    const files = (JSON.parse(new TextDecoder().decode(bytes)) as { files?: unknown }).files;
    return files && typeof files === 'object' ? Object.keys(files) : [];
  } catch {
    return [];
  }
}
