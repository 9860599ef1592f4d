import { basename, join } from 'node:path';
import { NeuropodError } from '../api/errors.js';
import { convert, CONVERT_TARGETS, type ConvertTarget } from '../api/convert.js';
import { parseCliArgs } from './cli-args.js';
import { EXIT } from './exit-codes.js';

const HELP = `Usage: neuropod-web convert <package> --to onnx|tfjs [--out path]

Writes the package's model in a standard format:
  --to onnx    one ONNX file (any platform this engine imports); --out defaults to <package name>.onnx
  --to tfjs    a TF.js graph model folder (model.json + weights) of a TensorFlow package; --out defaults to <package name>-tfjs/`;

export async function convertCli(args: string[]): Promise<number> {
  const { values, positionals } = parseCliArgs(args, { to: { type: 'string' }, out: { type: 'string' } });
  if (values.help) return console.log(HELP), EXIT.ok;
  if (positionals.length !== 1) throw new NeuropodError('USAGE', `give exactly one package, got ${positionals.length}\n\n${HELP}`);
  const to = values.to as string | undefined;
  if (!to || !(CONVERT_TARGETS as readonly string[]).includes(to)) throw new NeuropodError('USAGE', `--to takes ${CONVERT_TARGETS.join(' or ')}\n\n${HELP}`);
  const source = positionals[0]!;
  const files = await convert(source, to as ConvertTarget);
  const stem = basename(source.replace(/[\\/]+$/, '')).replace(/\.(neuropod|zip|onnx|json)$/, '');
  const { mkdir, writeFile } = await import('node:fs/promises');
  if (to === 'onnx') {
    const out = (values.out as string | undefined) ?? `${stem}.onnx`;
    await writeFile(out, files.get('model.onnx')!);
    console.log(`wrote ${out}`);
  } else {
    const dir = (values.out as string | undefined) ?? `${stem}-tfjs`;
    await mkdir(dir, { recursive: true });
    for (const [path, bytes] of files) await writeFile(join(dir, path), bytes);
    console.log(`wrote ${[...files.keys()].map((p) => join(dir, p)).join(', ')}`);
  }
  return EXIT.ok;
}
