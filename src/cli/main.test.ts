import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '../testing/shared-fixtures.js';
import { readNpy } from '../testing/npy.js';
import { main } from './main.js';

const example = (file: string) => join(repoRoot, 'examples', file);

/** Runs the CLI in-process, capturing what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const code = await main(argv);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('neuropod-web CLI', () => {
  it('prints help with exit 0, and usage with exit 2 when no command is given', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('neuropod-web inspect <package>');
    expect((await cli()).code).toBe(2);
  });

  it('refuses an unknown command with exit 2', async () => {
    const r = await cli('frobnicate');
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, "neuropod-web: unknown command 'frobnicate'"]);
  });

  it('runs the bundled example: out = [[8,10],[12,14]]', async () => {
    const r = await cli('run', example('addition.neuropod'), '--input', `x=${example('x.npy')}`, '--input', `y=${example('y.npy')}`);
    expect([r.code, r.out]).toEqual([0, 'out = [[8,10],[12,14]]']);
  });

  it('saves outputs as .npy with --save', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'neuropod-web-cli-'));
    try {
      const r = await cli('run', example('addition.neuropod'), '--input', `x=${example('x.npy')}`, '--input', `y=${example('y.npy')}`, '--save', dir);
      expect(r.code).toBe(0);
      const saved = readNpy(await readFile(join(dir, 'out.npy')));
      expect([saved.dtype, saved.shape, Array.from(saved.numeric as Float32Array)]).toEqual(['float32', [2, 2], [8, 10, 12, 14]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('inspects the bundled example: spec and operators', async () => {
    const r = await cli('inspect', example('addition.neuropod'));
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(expect.arrayContaining(['name:     addition_model', 'platform: onnx', '  x: float32 [null, 2]', '  out: float32 [null, 2]', '  Add x1']));
  });

  it('exits 1 with the NeuropodError message for a model error', async () => {
    const r = await cli('run', example('addition.neuropod'), '--input', `x=${example('x.npy')}`, '--output', 'bogus');
    expect([r.code, r.err]).toEqual([1, 'neuropod-web run: Neuropod Error: Tried to request a tensor that does not exist: bogus']);
  });

  it('exits 2 for a malformed --input', async () => {
    const r = await cli('run', example('addition.neuropod'), '--input', 'x.npy');
    expect([r.code, r.err]).toEqual([2, "neuropod-web run: --input takes name=file.npy, got 'x.npy'"]);
  });

  it('exits 2 for an unknown option', async () => {
    const r = await cli('inspect', '--frob', example('addition.neuropod'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^neuropod-web inspect: Unknown option '--frob'/);
  });

  it('converts the bundled example to an ONNX file that onnxruntime-node runs to out = [8, 10, 12, 14]', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'neuropod-web-convert-'));
    try {
      const out = join(dir, 'addition.onnx');
      const r = await cli('convert', example('addition.neuropod'), '--to', 'onnx', '--out', out);
      expect([r.code, r.out]).toEqual([0, `wrote ${out}`]);
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(await readFile(out));
      const x = new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [2, 2]);
      const y = new ort.Tensor('float32', new Float32Array([7, 8, 9, 10]), [2, 2]);
      expect(Array.from((await session.run({ x, y })).out!.data as Float32Array)).toEqual([8, 10, 12, 14]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 when convert is not told --to onnx or tfjs', async () => {
    const r = await cli('convert', example('addition.neuropod'), '--to', 'tflite');
    expect([r.code, r.err.split('\n')[0]]).toEqual([2, 'neuropod-web convert: --to takes onnx or tfjs']);
  });
});
