import { inflateSync } from 'fflate';
import { NeuropodError } from '../api/errors.js';
import { crc32 } from './crc32.js';

/** One file of a zip, as its central directory describes it. Nothing is read until `ZipArchive.read`. */
export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  readonly source: string;
  /** File names as stored (directory entries left out), in central-directory order. */
  names(): string[];
  /** The entry for a name, matched case-insensitively (NEUROPOD-FORMAT.md section 2). */
  entry(name: string): ZipEntry | undefined;
  /** The entry's bytes, inflated and CRC-checked. STORED entries are views into the archive's bytes. */
  read(name: string): Uint8Array;
}

// Signatures and fixed sizes from PKWARE's APPNOTE.TXT 6.3.10, sections 4.3.7 to 4.3.16.
const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;

const STORED = 0;
const DEFLATE = 8;

/** Compression methods by APPNOTE number, for messages about the ones this reader does not inflate. */
const METHOD_NAMES: Record<number, string> = {
  0: 'STORED', 1: 'Shrink', 6: 'Implode', 8: 'DEFLATE', 9: 'Deflate64', 12: 'BZIP2', 14: 'LZMA', 93: 'Zstandard', 95: 'XZ', 98: 'PPMd', 99: 'AES',
};

function invalid(source: string, what: string): NeuropodError {
  return new NeuropodError('ARCHIVE_INVALID', `${source} is not a readable zip: ${what}`);
}

/** Parses the zip's directory; entries are inflated only when read. */
export function openZip(bytes: Uint8Array, source: string): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const directory = findCentralDirectory(bytes, view, source);
  const entries = readCentralDirectory(bytes, view, directory, source);
  const byName = new Map<string, ZipEntry>();
  for (const e of entries) if (!byName.has(e.name.toLowerCase())) byName.set(e.name.toLowerCase(), e);
  const verified = new WeakSet<ZipEntry>();
  return {
    source,
    names: () => entries.map((e) => e.name),
    entry: (name) => byName.get(name.toLowerCase()),
    read(name) {
      const e = byName.get(name.toLowerCase());
      if (!e) throw new NeuropodError('ARCHIVE_ENTRY_MISSING', `${source} has no entry '${name}'`);
      const data = extract(bytes, view, e, source);
      if (!verified.has(e)) {
        if (crc32(data) !== e.crc32) throw invalid(source, `entry '${e.name}' is damaged (CRC-32 ${hex(crc32(data))}, expected ${hex(e.crc32)})`);
        verified.add(e);
      }
      return data;
    },
  };
}

interface CentralDirectory {
  offset: number;
  size: number;
  count: number;
}

function findCentralDirectory(bytes: Uint8Array, view: DataView, source: string): CentralDirectory {
  const eocd = findEndRecord(bytes, view);
  if (eocd < 0) {
    const startsLikeZip = bytes.length >= 4 && view.getUint32(0, true) === LOCAL_HEADER;
    throw invalid(source, startsLikeZip
      ? `it is truncated (${bytes.length} bytes; the end-of-central-directory record is missing)`
      : `no end-of-central-directory record in its ${bytes.length} bytes (not a zip file)`);
  }
  let dir: CentralDirectory = {
    count: view.getUint16(eocd + 10, true),
    size: view.getUint32(eocd + 12, true),
    offset: view.getUint32(eocd + 16, true),
  };
  const locator = eocd - ZIP64_LOCATOR_SIZE;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR) dir = readZip64End(view, locator, source);
  else if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) throw spanned(source);
  if (dir.offset + dir.size > bytes.length) {
    throw invalid(source, `it is truncated (the central directory ends at byte ${dir.offset + dir.size}, the file has ${bytes.length})`);
  }
  return dir;
}

/** The EOCD sits at the end, followed only by a comment of up to 65535 bytes; scan back for its signature. */
function findEndRecord(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = bytes.length - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY && at + EOCD_SIZE + view.getUint16(at + 20, true) <= bytes.length) return at;
  }
  return -1;
}

function readZip64End(view: DataView, locator: number, source: string): CentralDirectory {
  const at = safeNumber(view.getBigUint64(locator + 8, true), source, 'ZIP64 end record offset');
  if (at + 56 > view.byteLength) throw invalid(source, `it is truncated (the ZIP64 end-of-central-directory record at byte ${at} is past the end)`);
  if (view.getUint32(at, true) !== ZIP64_END_OF_CENTRAL_DIRECTORY) throw invalid(source, `no ZIP64 end-of-central-directory record at byte ${at}, where its locator points`);
  if (view.getUint32(at + 16, true) !== 0 || view.getUint32(at + 20, true) !== 0) throw spanned(source);
  return {
    count: safeNumber(view.getBigUint64(at + 32, true), source, 'entry count'),
    size: safeNumber(view.getBigUint64(at + 40, true), source, 'central directory size'),
    offset: safeNumber(view.getBigUint64(at + 48, true), source, 'central directory offset'),
  };
}

function spanned(source: string): NeuropodError {
  return invalid(source, 'multi-disk (spanned) archives are not supported');
}

function safeNumber(v: bigint, source: string, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(source, `its ${what} (${v}) is too large`);
  return Number(v);
}

function readCentralDirectory(bytes: Uint8Array, view: DataView, dir: CentralDirectory, source: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let at = dir.offset;
  const end = dir.offset + dir.size;
  for (let i = 0; i < dir.count; i++) {
    if (at + CENTRAL_HEADER_SIZE > end || view.getUint32(at, true) !== CENTRAL_HEADER) {
      throw invalid(source, `central directory entry ${i} of ${dir.count} is damaged (no header at byte ${at})`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const flags = view.getUint16(at + 8, true);
    const nameBytes = bytes.subarray(at + CENTRAL_HEADER_SIZE, at + CENTRAL_HEADER_SIZE + nameLength);
    const name = new TextDecoder(flags & FLAG_UTF8 ? 'utf-8' : 'latin1').decode(nameBytes);
    const entry: ZipEntry = {
      name,
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    applyZip64Extra(entry, view, at + CENTRAL_HEADER_SIZE + nameLength, extraLength, view.getUint16(at + 34, true), source);
    if (flags & FLAG_ENCRYPTED) throw invalid(source, `entry '${name}' is encrypted`);
    checkName(name, source);
    if (!name.endsWith('/')) entries.push(entry);
    at += CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** APPNOTE 4.5.3: the ZIP64 extra field holds, in order, only those of the four values whose header field is saturated. */
function applyZip64Extra(entry: ZipEntry, view: DataView, start: number, length: number, diskStart: number, source: string): void {
  const needs = entry.size === U32_MAX || entry.compressedSize === U32_MAX || entry.localHeaderOffset === U32_MAX || diskStart === U16_MAX;
  if (!needs) return;
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let field = at + 4;
      const next = (what: string): number => {
        if (field + 8 > at + 4 + size) throw invalid(source, `entry '${entry.name}' has a short ZIP64 extra field (no ${what})`);
        const v = safeNumber(view.getBigUint64(field, true), source, `${what} of '${entry.name}'`);
        field += 8;
        return v;
      };
      if (entry.size === U32_MAX) entry.size = next('size');
      if (entry.compressedSize === U32_MAX) entry.compressedSize = next('compressed size');
      if (entry.localHeaderOffset === U32_MAX) entry.localHeaderOffset = next('local header offset');
      return;
    }
    at += 4 + size;
  }
  throw invalid(source, `entry '${entry.name}' needs a ZIP64 extra field and has none`);
}

/** Paths stay inside the package: no absolute names, no '..' segments. */
function checkName(name: string, source: string): void {
  const parts = name.split(/[\\/]/);
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name) || parts.includes('..')) {
    throw invalid(source, `entry '${name}' escapes the package root`);
  }
}

function extract(bytes: Uint8Array, view: DataView, e: ZipEntry, source: string): Uint8Array {
  const at = e.localHeaderOffset;
  if (at + LOCAL_HEADER_SIZE > bytes.length) throw invalid(source, `it is truncated (entry '${e.name}' starts past the end)`);
  if (view.getUint32(at, true) !== LOCAL_HEADER) throw invalid(source, `entry '${e.name}' has no local header at byte ${at}`);
  const start = at + LOCAL_HEADER_SIZE + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + e.compressedSize > bytes.length) throw invalid(source, `it is truncated (entry '${e.name}' ends past the end)`);
  const raw = bytes.subarray(start, start + e.compressedSize);
  if (e.method === STORED) {
    if (e.size !== e.compressedSize) throw invalid(source, `STORED entry '${e.name}' has size ${e.size} but ${e.compressedSize} stored bytes`);
    return raw;
  }
  if (e.method !== DEFLATE) {
    const method = METHOD_NAMES[e.method] ?? 'unknown';
    throw invalid(source, `entry '${e.name}' uses compression method ${e.method} (${method}); only STORED (0) and DEFLATE (8) are supported`);
  }
  let out: Uint8Array;
  try {
    out = inflateSync(raw, { out: new Uint8Array(e.size) });
  } catch (cause) {
    throw new NeuropodError('ARCHIVE_INVALID', `${source} is not a readable zip: entry '${e.name}' does not inflate (${(cause as Error).message})`, { cause });
  }
  if (out.length !== e.size) throw invalid(source, `entry '${e.name}' inflates to ${out.length} bytes, expected ${e.size}`);
  return out;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
