import { NeuropodError } from '../api/errors.js';
import type { PackageFiles } from './package-files.js';
import { normalizePath } from './path-index.js';

/** manifest.json as the newest Neuropod packager writes it: {"files": {relpath: sha256hex}, "manifest_version": 1}. */
export interface Manifest {
  files: Map<string, string>;
}

/** The package's manifest, or undefined when it has none (older packagers wrote none; it is optional). */
export async function readManifest(files: PackageFiles): Promise<Manifest | undefined> {
  if (!(await files.has('manifest.json'))) return undefined;
  const where = `manifest.json in ${files.source}`;
  let json: unknown;
  try {
    json = JSON.parse(await files.readText('manifest.json'));
  } catch (e) {
    throw new NeuropodError('ARCHIVE_INVALID', `${where} is not JSON: ${(e as Error).message}`);
  }
  const listed = (json as { files?: unknown } | null)?.files;
  if (!listed || typeof listed !== 'object' || Array.isArray(listed)) throw new NeuropodError('ARCHIVE_INVALID', `${where} has no "files" object of {path: sha256}`);
  const hashes = new Map<string, string>();
  for (const [path, hash] of Object.entries(listed)) {
    if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash)) throw new NeuropodError('ARCHIVE_INVALID', `${where} gives '${path}' a sha256 that is not 64 hex digits: ${JSON.stringify(hash)}`);
    hashes.set(normalizePath(path).toLowerCase(), hash.toLowerCase());
  }
  return { files: hashes };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The package with every file the manifest lists checked against its sha256 when it is read, so a damaged or
 * edited file is reported by name before anything uses it, and files no importer reads cost nothing.
 */
export async function verifiedByManifest(files: PackageFiles): Promise<PackageFiles> {
  const manifest = await readManifest(files);
  if (!manifest) return files;
  const checked = new Set<string>();
  const read = async (path: string): Promise<Uint8Array> => {
    const bytes = await files.read(path);
    const key = normalizePath(path).toLowerCase();
    const expected = manifest.files.get(key);
    if (expected !== undefined && !checked.has(key)) {
      const actual = await sha256Hex(bytes);
      if (actual !== expected) {
        throw new NeuropodError('MANIFEST_MISMATCH', `'${path}' in ${files.source} does not match manifest.json: its sha256 is ${actual}, the manifest says ${expected}`);
      }
      checked.add(key);
    }
    return bytes;
  };
  return {
    source: files.source,
    list: () => files.list(),
    has: (path) => files.has(path),
    read,
    readText: async (path) => new TextDecoder().decode(await read(path)),
    listUnder: (prefix) => files.listUnder(prefix),
  };
}

/** Reads and checks every file the manifest lists (for `inspect --verify` and tests); a listed file that is absent is a mismatch. */
export async function verifyAllFiles(files: PackageFiles): Promise<number> {
  const manifest = await readManifest(files);
  if (!manifest) return 0;
  const verified = await verifiedByManifest(files);
  for (const path of manifest.files.keys()) {
    if (!(await files.has(path))) throw new NeuropodError('MANIFEST_MISMATCH', `manifest.json lists '${path}', which is not in ${files.source}`);
    await verified.read(path);
  }
  return manifest.files.size;
}
