import { zipSync } from 'fflate';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPackage, openSource } from './open-package.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const CONFIG = '{"name":"addition_model","platform":"onnx","input_spec":[],"output_spec":[]}';
const files = { 'config.json': text(CONFIG), '0/data/model.onnx': text('onnx bytes'), '0/data/Weights.BIN': text('w') };
const zipBytes = zipSync(files);

let dir: string;
let server: Server;
let base: string;
const requested: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'neuropod-web-open-'));
  await mkdir(join(dir, 'pkg/0/data'), { recursive: true });
  for (const [path, body] of Object.entries(files)) await writeFile(join(dir, 'pkg', path), body);
  await writeFile(join(dir, 'addition.neuropod'), zipBytes);
  await writeFile(join(dir, 'model.onnx'), text('bare onnx'));
  await writeFile(join(dir, 'model.onnx.data'), text('external'));
  server = createServer(async (req, res) => {
    requested.push(req.url!);
    const { readFile } = await import('node:fs/promises');
    const path = join(dir, decodeURIComponent(req.url!.split('?')[0]!));
    try {
      res.end(await readFile(path));
    } catch {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}/`;
});

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('openPackage', () => {
  it('opens zip bytes given as a Uint8Array', async () => {
    const pkg = await openPackage(zipBytes);
    expect(pkg.source).toBe('Uint8Array');
    expect(await pkg.readText('config.json')).toBe(CONFIG);
  });

  it('opens zip bytes given as an ArrayBuffer', async () => {
    const pkg = await openPackage(zipBytes.slice().buffer);
    expect(pkg.source).toBe('ArrayBuffer');
    expect(await pkg.readText('0/data/model.onnx')).toBe('onnx bytes');
  });

  it('opens a File, named by its file name', async () => {
    const pkg = await openPackage(new File([zipBytes.slice()], 'addition.neuropod'));
    expect(pkg.source).toBe('addition.neuropod');
    expect(pkg.list().sort()).toEqual(['0/data/Weights.BIN', '0/data/model.onnx', 'config.json']);
  });

  it('opens a Blob', async () => {
    const pkg = await openPackage(new Blob([zipBytes.slice()]));
    expect(await pkg.has('config.json')).toBe(true);
  });

  it('opens a zip on disk by path, with no extension check', async () => {
    const renamed = join(dir, 'renamed.bin');
    await writeFile(renamed, zipBytes);
    const pkg = await openPackage(renamed);
    expect(pkg.source).toBe(renamed);
    expect(await pkg.readText('CONFIG.JSON')).toBe(CONFIG);
  });

  it('opens a file: URL in Node as a path', async () => {
    const pkg = await openPackage(pathToFileURL(join(dir, 'addition.neuropod')));
    expect(await pkg.readText('config.json')).toBe(CONFIG);
  });

  it('opens a directory on disk, matching paths case-insensitively', async () => {
    const pkg = await openPackage(join(dir, 'pkg'));
    expect(pkg.list().sort()).toEqual(['0/data/Weights.BIN', '0/data/model.onnx', 'config.json']);
    expect(await pkg.readText('0/data/weights.bin')).toBe('w');
    expect(await pkg.listUnder('0/DATA')).toEqual(['0/data/Weights.BIN', '0/data/model.onnx']);
    expect(await pkg.has('0/data/missing')).toBe(false);
  });

  it('says which file is missing and in which package', async () => {
    const pkg = await openPackage(join(dir, 'pkg'));
    await expect(pkg.read('0/data/model.pb')).rejects.toMatchObject({ code: 'ARCHIVE_ENTRY_MISSING', message: `${join(dir, 'pkg')} has no file '0/data/model.pb'` });
  });

  it('reports a path that does not exist as IO_FAILED', async () => {
    await expect(openPackage(join(dir, 'nope.neuropod'))).rejects.toMatchObject({ code: 'IO_FAILED', message: `cannot open ${join(dir, 'nope.neuropod')}: no such file or directory` });
  });

  it('fetches a zip URL', async () => {
    const pkg = await openPackage(`${base}addition.neuropod`);
    expect(pkg.source).toBe(`${base}addition.neuropod`);
    expect(await pkg.readText('config.json')).toBe(CONFIG);
  });

  it('fetches a directory URL lazily, file by file', async () => {
    requested.length = 0;
    const pkg = await openPackage(`${base}pkg/`);
    expect(requested).toEqual(['/pkg/manifest.json']);
    expect(await pkg.readText('config.json')).toBe(CONFIG);
    expect(requested).toEqual(['/pkg/manifest.json', '/pkg/config.json']);
    expect(await pkg.has('0/data/model.onnx')).toBe(true);
    expect(await pkg.readText('0/data/model.onnx')).toBe('onnx bytes');
    expect(requested.filter((r) => r === '/pkg/0/data/model.onnx')).toHaveLength(1);
    expect(pkg.list().sort()).toEqual(['0/data/model.onnx', 'config.json']);
  });

  it('recognises a directory URL without its trailing slash by probing config.json', async () => {
    const pkg = await openPackage(`${base}pkg`);
    expect(pkg.source).toBe(`${base}pkg/`);
    expect(await pkg.readText('config.json')).toBe(CONFIG);
  });

  it('reports a URL that is not there as IO_FAILED', async () => {
    await expect(openPackage(`${base}missing.neuropod`)).rejects.toMatchObject({ code: 'IO_FAILED', message: `cannot fetch ${base}missing.neuropod: HTTP 404 (not found)` });
  });

  it('rejects bytes that are not a zip with a clear error', async () => {
    await expect(openPackage(text('hello'))).rejects.toMatchObject({ code: 'ARCHIVE_INVALID', message: 'Uint8Array is not a readable zip: no end-of-central-directory record in its 5 bytes (not a zip file)' });
  });

  it('rejects a source of the wrong kind', async () => {
    await expect(openPackage(42 as never)).rejects.toMatchObject({ code: 'USAGE', message: 'load(): a package source is a path, URL, File, Blob, ArrayBuffer or Uint8Array; got number' });
  });
});

describe('openSource', () => {
  it('gives a bare file with a way to read files beside it', async () => {
    const opened = await openSource(join(dir, 'model.onnx'));
    expect(opened.kind).toBe('file');
    if (opened.kind !== 'file') return;
    expect(opened.fileName).toBe('model.onnx');
    expect(new TextDecoder().decode(await opened.sibling!('model.onnx.data'))).toBe('external');
  });

  it('gives a fetched bare file with siblings relative to its URL', async () => {
    const opened = await openSource(`${base}model.onnx`);
    if (opened.kind !== 'file') throw new Error('expected a file');
    expect(new TextDecoder().decode(opened.bytes)).toBe('bare onnx');
    expect(new TextDecoder().decode(await opened.sibling!('model.onnx.data'))).toBe('external');
  });
});
