import { afterEach, describe, expect, it, vi } from 'vitest';
import { load } from './model.js';
import { resolveOptions } from './options.js';

afterEach(() => vi.unstubAllGlobals());

describe('where load() runs the engine', () => {
  it('runs it in place in Node, and says why worker: true cannot work here', () => {
    expect(resolveOptions({}).worker).toBe(false);
    expect(() => resolveOptions({ worker: true })).toThrow(
      expect.objectContaining({ code: 'USAGE', message: 'load(): worker: true needs the Web Worker API, which this environment lacks (leave worker unset to run in place)' }),
    );
  });

  it('defaults to a Worker in a page (a window with Worker) and to in place inside a Worker (no window)', () => {
    vi.stubGlobal('Worker', class {});
    expect(resolveOptions({}).worker).toBe(false);
    expect(resolveOptions({ worker: true }).worker).toBe(true);
    vi.stubGlobal('window', {});
    vi.stubGlobal('document', {});
    expect(resolveOptions({}).worker).toBe(true);
    expect(resolveOptions({ worker: false }).worker).toBe(false);
  });
});

describe('cache: true', () => {
  it('is checked, and off by default', () => {
    expect(resolveOptions({}).cache).toBe(false);
    expect(() => resolveOptions({ cache: 'yes' as never })).toThrow(expect.objectContaining({ code: 'USAGE', message: 'load(): cache must be true or false; got "yes"' }));
  });

  it('names the missing Cache API instead of silently fetching without it', async () => {
    const url = 'http://127.0.0.1:9/models/addition.neuropod';
    await expect(load(url, { cache: true })).rejects.toMatchObject({
      code: 'USAGE',
      message: `load(): cache: true needs the Cache API to keep ${url}, and this context has none (it exists in pages and Workers served over https or from localhost)`,
    });
  });
});
