import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../testing/shared-fixtures.js';
import { main } from './main.js';

describe('neuropod-web serve (CLI)', () => {
  it('prints its help and exits 0', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => void lines.push(s);
    try {
      expect(await main(['serve', '--help'])).toBe(0);
    } finally {
      console.log = log;
    }
    expect(lines.join('\n')).toMatch(/^Usage: neuropod-web serve <package> \[--port P\]/);
  });

  it('exits 2 on a wrong engine or port', async () => {
    const error = console.error;
    console.error = () => undefined;
    try {
      expect(await main(['serve', 'x.neuropod', '--engine', 'tensorrt'])).toBe(2);
      expect(await main(['serve', 'x.neuropod', '--port', '70000'])).toBe(2);
    } finally {
      console.error = error;
    }
  });

  it('serves a package until SIGTERM, then exits 0', async () => {
    const script = `import('./src/cli/main.ts').then(async (m) => process.exit(await m.main(['serve', 'examples/addition.neuropod', '--port', '0'])))`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /on (http:\/\/127\.0\.0\.1:\d+) with onnxruntime/.exec(out);
        if (m) ok(m[1]!);
      });
      child.once('exit', (code) => fail(new Error(`serve exited ${code} before listening: ${out}`)));
    });
    expect(((await (await fetch(`${url}/spec`)).json()) as { name: string }).name).toBe('addition_model');
    const exited = new Promise<number | null>((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
