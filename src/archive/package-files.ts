/**
 * The files of an opened Neuropod package, whatever it came from (zip bytes, a directory, a directory URL).
 * Paths are relative to the package root with '/' separators, matched case-insensitively (NEUROPOD-FORMAT.md
 * section 2). Reading is lazy: opening a large package and reading config.json inflates nothing else.
 */
export interface PackageFiles {
  /** Where the package came from, for messages ('models/x.neuropod', 'https://…/x/', 'ArrayBuffer'). */
  readonly source: string;
  /** Every file path, as stored. Directory-URL packages know only the files fetched or probed so far. */
  list(): string[];
  /** Whether a file exists (may fetch for directory URLs). */
  has(path: string): Promise<boolean>;
  /** The file's bytes; a missing file throws ARCHIVE_ENTRY_MISSING naming it and the package. */
  read(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
  /** Files under a folder ('0/data/savedmodel/variables/'), for importers that read a tree. */
  listUnder(prefix: string): Promise<string[]>;
}
