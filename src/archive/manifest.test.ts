import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readManifest, sha256Hex, verifiedByManifest, verifyAllFiles } from './manifest.js';
import { zipPackage } from './zip-package.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
// FIPS 180-2, appendix B.1: SHA-256("abc").
const SHA_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

function pkg(entries: Record<string, string>, source = 'm.neuropod') {
  return zipPackage(zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, text(v)]))), source);
}

describe('manifest.json', () => {
  it('hashes with sha256 (FIPS 180-2 example "abc")', async () => {
    expect(await sha256Hex(text('abc'))).toBe(SHA_ABC);
  });

  it('is optional', async () => {
    expect(await readManifest(pkg({ 'config.json': '{}' }))).toBeUndefined();
  });

  it('passes files whose sha256 matches, whatever the case of their names', async () => {
    const files = await verifiedByManifest(pkg({ '0/data/W.bin': 'abc', 'manifest.json': JSON.stringify({ files: { '0/data/w.bin': SHA_ABC.toUpperCase() }, manifest_version: 1 }) }));
    expect(new TextDecoder().decode(await files.read('0/data/W.bin'))).toBe('abc');
    expect(await verifyAllFiles(pkg({ '0/data/W.bin': 'abc', 'manifest.json': JSON.stringify({ files: { '0/data/w.bin': SHA_ABC } }) }))).toBe(1);
  });

  it('names a file that does not match its sha256', async () => {
    const files = await verifiedByManifest(pkg({ 'config.json': 'abd', 'manifest.json': JSON.stringify({ files: { 'config.json': SHA_ABC } }) }));
    // Hashed before the read starts: an await inside the matcher's argument would leave the rejection unhandled a tick.
    const actual = await sha256Hex(text('abd'));
    await expect(files.read('config.json')).rejects.toMatchObject({
      code: 'MANIFEST_MISMATCH',
      message: `'config.json' in m.neuropod does not match manifest.json: its sha256 is ${actual}, the manifest says ${SHA_ABC}`,
    });
  });

  it('leaves files the manifest does not list unchecked', async () => {
    const files = await verifiedByManifest(pkg({ 'other.txt': 'x', 'manifest.json': JSON.stringify({ files: { 'config.json': SHA_ABC } }) }));
    expect(await files.readText('other.txt')).toBe('x');
  });

  it('reports a listed file that is absent', async () => {
    await expect(verifyAllFiles(pkg({ 'manifest.json': JSON.stringify({ files: { '0/data/model.pb': SHA_ABC } }) }))).rejects.toMatchObject({
      code: 'MANIFEST_MISMATCH',
      message: "manifest.json lists '0/data/model.pb', which is not in m.neuropod",
    });
  });

  it('rejects a manifest that is not JSON or has no files object', async () => {
    await expect(readManifest(pkg({ 'manifest.json': '{' }))).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: expect.stringMatching(/^manifest.json in m.neuropod is not JSON: /) });
    await expect(readManifest(pkg({ 'manifest.json': '{"manifest_version": 1}' }))).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: 'manifest.json in m.neuropod has no "files" object of {path: sha256}' });
    await expect(readManifest(pkg({ 'manifest.json': '{"files": {"a": "12"}}' }))).rejects.toMatchObject({ message: 'manifest.json in m.neuropod gives \'a\' a sha256 that is not 64 hex digits: "12"' });
  });
});
