import { NeuropodError } from '../api/errors.js';

/** Package-relative paths: '/' separators, no leading './' or '/'. */
export function normalizePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '');
}

/** File paths as stored, looked up case-insensitively (NEUROPOD-FORMAT.md section 2). */
export class PathIndex {
  private readonly byLower = new Map<string, string>();

  constructor(paths: Iterable<string> = []) {
    for (const p of paths) this.add(p);
  }

  add(path: string): void {
    const key = normalizePath(path).toLowerCase();
    if (!this.byLower.has(key)) this.byLower.set(key, normalizePath(path));
  }

  /** The stored spelling of `path`, or undefined. */
  find(path: string): string | undefined {
    return this.byLower.get(normalizePath(path).toLowerCase());
  }

  list(): string[] {
    return [...this.byLower.values()];
  }

  under(prefix: string): string[] {
    const p = normalizePath(prefix).toLowerCase();
    const folder = p === '' || p.endsWith('/') ? p : p + '/';
    return this.list().filter((path) => path.toLowerCase().startsWith(folder));
  }
}

export function missingFile(source: string, path: string): NeuropodError {
  return new NeuropodError('ARCHIVE_ENTRY_MISSING', `${source} has no file '${path}'`);
}
