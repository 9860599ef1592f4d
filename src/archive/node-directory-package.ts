import { NeuropodError } from '../api/errors.js';
import type { PackageFiles } from './package-files.js';
import { missingFile, PathIndex } from './path-index.js';

/**
 * A package unpacked in a directory on disk (Node only). node:fs is imported on demand so browser bundles never
 * pull it in. The file list is taken once at open; contents are read when asked for.
 */
export async function nodeDirectoryPackage(root: string): Promise<PackageFiles> {
  const fs = await import('node:fs/promises');
  const { join, relative } = await import('node:path');
  const index = new PathIndex(await listFiles(fs, root, (parent, name) => relative(root, join(parent, name)).replace(/\\/g, '/')));
  const read = async (path: string): Promise<Uint8Array> => {
    const stored = index.find(path);
    if (stored === undefined) throw missingFile(root, path);
    try {
      const buf = await fs.readFile(join(root, stored));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (cause) {
      throw new NeuropodError('IO_FAILED', `cannot read '${stored}' in ${root}: ${(cause as Error).message}`, { cause });
    }
  };
  return {
    source: root,
    list: () => index.list(),
    has: async (path) => index.find(path) !== undefined,
    read,
    readText: async (path) => new TextDecoder().decode(await read(path)),
    listUnder: async (prefix) => index.under(prefix),
  };
}

type Relative = (parent: string, name: string) => string;

async function listFiles(fs: typeof import('node:fs/promises'), root: string, relative: Relative): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => {
      const parent = (e as { parentPath?: string; path?: string }).parentPath ?? (e as { path: string }).path;
      return relative(parent, e.name);
    })
    .sort();
}
