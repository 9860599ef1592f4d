import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { openZip } from './zip.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A body long and repetitive enough that DEFLATE really compresses it. */
const longBody = 'neuropod '.repeat(500);

function sample(level: 0 | 6): Uint8Array {
  return zipSync({ 'config.json': text('{"name":"m"}'), '0/data/model.onnx': text(longBody) }, { level });
}

/**
 * A ZIP64 archive with one STORED entry, written byte by byte after APPNOTE 6.3.10: the central header's sizes and
 * offset are saturated (0xFFFFFFFF) and their real values sit in the ZIP64 extra field; the EOCD is saturated too and
 * a ZIP64 end record + locator precede it.
 */
function zip64(name: string, body: Uint8Array): Uint8Array {
  const nameBytes = text(name);
  const crc = crc32(body);
  const parts: number[] = [];
  const u16 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff);
  const u32 = (v: number) => { u16(v & 0xffff); u16(v >>> 16); };
  const u64 = (v: number) => { u32(v); u32(0); };
  const bytes = (b: Uint8Array) => parts.push(...b);
  // local header, with its own ZIP64 extra (sizes only)
  u32(0x04034b50); u16(45); u16(0x800); u16(0); u16(0); u16(0); u32(crc); u32(0xffffffff); u32(0xffffffff);
  u16(nameBytes.length); u16(20); bytes(nameBytes);
  u16(0x0001); u16(16); u64(body.length); u64(body.length);
  bytes(body);
  const centralOffset = parts.length;
  u32(0x02014b50); u16(45); u16(45); u16(0x800); u16(0); u16(0); u16(0); u32(crc); u32(0xffffffff); u32(0xffffffff);
  u16(nameBytes.length); u16(28); u16(0); u16(0); u16(0); u32(0); u32(0xffffffff); bytes(nameBytes);
  u16(0x0001); u16(24); u64(body.length); u64(body.length); u64(0);
  const centralSize = parts.length - centralOffset;
  const zip64End = parts.length;
  u32(0x06064b50); u64(44); u16(45); u16(45); u32(0); u32(0); u64(1); u64(1); u64(centralSize); u64(centralOffset);
  u32(0x07064b50); u32(0); u64(zip64End); u32(1);
  u32(0x06054b50); u16(0xffff); u16(0xffff); u16(0xffff); u16(0xffff); u32(0xffffffff); u32(0xffffffff); u16(0);
  return new Uint8Array(parts);
}

describe('openZip', () => {
  it('reads DEFLATE entries', () => {
    const zip = openZip(sample(6), 'deflated.zip');
    expect(zip.entry('0/data/model.onnx')!.method).toBe(8);
    expect(str(zip.read('0/data/model.onnx'))).toBe(longBody);
    expect(str(zip.read('config.json'))).toBe('{"name":"m"}');
  });

  it('reads STORED entries', () => {
    const zip = openZip(sample(0), 'stored.zip');
    expect(zip.entry('0/data/model.onnx')!.method).toBe(0);
    expect(str(zip.read('0/data/model.onnx'))).toBe(longBody);
  });

  it('lists file names in directory order, leaving directory entries out', () => {
    const bytes = zipSync({ 'a/': {}, 'a/b.txt': text('b'), 'c.txt': text('c') });
    expect(openZip(bytes, 'x.zip').names()).toEqual(['a/b.txt', 'c.txt']);
  });

  it('matches entry names case-insensitively', () => {
    const zip = openZip(zipSync({ '0/Data/Model.ONNX': text('m') }), 'case.zip');
    expect(str(zip.read('0/data/model.onnx'))).toBe('m');
    expect(zip.entry('0/DATA/MODEL.onnx')!.name).toBe('0/Data/Model.ONNX');
  });

  it('reads a hand-built ZIP64 archive', () => {
    const zip = openZip(zip64('config.json', text('{"zip64":true}')), 'zip64.zip');
    expect(zip.names()).toEqual(['config.json']);
    expect(zip.entry('config.json')).toMatchObject({ size: 14, compressedSize: 14, localHeaderOffset: 0 });
    expect(str(zip.read('config.json'))).toBe('{"zip64":true}');
  });

  it('finds the end record behind a zip comment', () => {
    const plain = zipSync({ 'a.txt': text('a') });
    const comment = text('a comment that mentions PK\x05\x06');
    const bytes = new Uint8Array(plain.length + comment.length);
    bytes.set(plain);
    bytes.set(comment, plain.length);
    new DataView(bytes.buffer).setUint16(plain.length - 2, comment.length, true);
    expect(str(openZip(bytes, 'c.zip').read('a.txt'))).toBe('a');
  });

  it('rejects bytes that are not a zip, naming the source', () => {
    expect(() => openZip(text('{"name": "not a zip"}'), 'model.neuropod')).toThrowError(
      expect.objectContaining({ code: 'ARCHIVE_INVALID', message: 'model.neuropod is not a readable zip: no end-of-central-directory record in its 21 bytes (not a zip file)' }),
    );
  });

  it('rejects an empty file', () => {
    expect(() => openZip(new Uint8Array(0), 'empty.neuropod')).toThrowError(/empty.neuropod is not a readable zip: no end-of-central-directory record in its 0 bytes/);
  });

  it('rejects a truncated zip', () => {
    const bytes = sample(6);
    expect(() => openZip(bytes.subarray(0, bytes.length - 30), 'cut.neuropod')).toThrowError(
      expect.objectContaining({ code: 'ARCHIVE_INVALID', message: `cut.neuropod is not a readable zip: it is truncated (${bytes.length - 30} bytes; the end-of-central-directory record is missing)` }),
    );
  });

  it('rejects a zip whose central directory points past the end', () => {
    const bytes = sample(0).slice();
    const eocd = bytes.length - 22;
    new DataView(bytes.buffer).setUint32(eocd + 16, bytes.length, true);
    expect(() => openZip(bytes, 'bad.zip')).toThrowError(/bad.zip is not a readable zip: it is truncated \(the central directory ends at byte/);
  });

  it('rejects a damaged entry by its CRC, naming it', () => {
    const bytes = sample(0).slice();
    const zip = openZip(bytes, 'crc.zip');
    const e = zip.entry('config.json')!;
    bytes[e.localHeaderOffset + 30 + 'config.json'.length + 2]! ^= 0xff;
    expect(() => zip.read('config.json')).toThrowError(expect.objectContaining({ code: 'ARCHIVE_INVALID', message: expect.stringMatching(/^crc.zip is not a readable zip: entry 'config.json' is damaged \(CRC-32 0x[0-9a-f]{8}, expected 0x[0-9a-f]{8}\)$/) }));
  });

  it('inflates nothing until an entry is read', () => {
    const bytes = sample(6).slice();
    const zip = openZip(bytes, 'lazy.zip');
    const e = zip.entry('0/data/model.onnx')!;
    // Corrupting the deflated body does not disturb opening nor reading another entry.
    const body = e.localHeaderOffset + 30 + e.name.length;
    bytes.fill(0xff, body, body + 8);
    expect(str(zip.read('config.json'))).toBe('{"name":"m"}');
    expect(() => zip.read('0/data/model.onnx')).toThrowError(/lazy.zip is not a readable zip: entry '0\/data\/model.onnx'/);
  });

  it('rejects an unsupported compression method, naming it', () => {
    const bytes = sample(0).slice();
    const zip = openZip(bytes, 'before.zip');
    const e = zip.entry('config.json')!;
    const view = new DataView(bytes.buffer);
    const centralOffset = view.getUint32(bytes.length - 22 + 16, true);
    view.setUint16(centralOffset + 10, 14, true);
    view.setUint16(e.localHeaderOffset + 8, 14, true);
    expect(() => openZip(bytes, 'lzma.zip').read('config.json')).toThrowError(
      expect.objectContaining({ code: 'ARCHIVE_INVALID', message: "lzma.zip is not a readable zip: entry 'config.json' uses compression method 14 (LZMA); only STORED (0) and DEFLATE (8) are supported" }),
    );
  });

  it('rejects an entry that escapes the package root', () => {
    expect(() => openZip(zipSync({ '../evil.txt': text('x') }), 'evil.zip')).toThrowError("evil.zip is not a readable zip: entry '../evil.txt' escapes the package root");
  });

  it('reports a missing entry as ARCHIVE_ENTRY_MISSING', () => {
    expect(() => openZip(sample(6), 's.zip').read('nope.txt')).toThrowError(expect.objectContaining({ code: 'ARCHIVE_ENTRY_MISSING', message: "s.zip has no entry 'nope.txt'" }));
  });
});
