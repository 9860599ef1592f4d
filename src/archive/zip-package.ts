import type { PackageFiles } from './package-files.js';
import { missingFile, PathIndex } from './path-index.js';
import { openZip } from './zip.js';

/** A package in zip bytes; entries are inflated one at a time, when an importer reads them. */
export function zipPackage(bytes: Uint8Array, source: string): PackageFiles {
  const zip = openZip(bytes, source);
  const index = new PathIndex(zip.names());
  const read = async (path: string): Promise<Uint8Array> => {
    const stored = index.find(path);
    if (stored === undefined) throw missingFile(source, path);
    return zip.read(stored);
  };
  return {
    source,
    list: () => index.list(),
    has: async (path) => index.find(path) !== undefined,
    read,
    readText: async (path) => new TextDecoder().decode(await read(path)),
    listUnder: async (prefix) => index.under(prefix),
  };
}
