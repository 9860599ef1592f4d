import { NeuropodError } from '../api/errors.js';
import { load } from '../api/model.js';
import type { Tensor } from '../tensor/tensor.js';
import { readNpy, writeNpy } from '../testing/npy.js';
import { parseCliArgs } from './cli-args.js';
import { formatTensor } from './format-tensor.js';
import { EXIT } from './exit-codes.js';

const HELP = `Usage: neuropod-web run <package> --input name=file.npy ... [--output name ...] [--save dir] [--no-validate]

Runs the model on the given .npy inputs and prints each output as 'name = [[...]]'.
  --input name=file.npy   an input tensor (repeat for each input)
  --output name           compute and print only this output (repeatable; default: all)
  --save dir              also write each output to dir/<name>.npy
  --no-validate           skip the Neuropod spec checks`;

export async function runCli(args: string[]): Promise<number> {
  const { values, positionals } = parseCliArgs(args, {
    input: { type: 'string', multiple: true },
    output: { type: 'string', multiple: true },
    save: { type: 'string' },
    'no-validate': { type: 'boolean' },
  });
  if (values.help) return console.log(HELP), EXIT.ok;
  if (positionals.length !== 1) throw new NeuropodError('USAGE', `give exactly one package, got ${positionals.length}\n\n${HELP}`);
  const inputs = await readInputs((values.input as string[] | undefined) ?? []);
  const model = await load(positionals[0]!, { validate: !values['no-validate'] });
  const outputs = await model.infer(inputs, { outputs: (values.output as string[] | undefined) ?? [] });
  for (const [name, t] of Object.entries(outputs)) console.log(`${name} = ${formatTensor(t)}`);
  if (typeof values.save === 'string') await saveOutputs(values.save, outputs);
  await model.dispose();
  return EXIT.ok;
}

async function readInputs(specs: string[]): Promise<Record<string, Tensor>> {
  const { readFile } = await import('node:fs/promises');
  const inputs: Record<string, Tensor> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw new NeuropodError('USAGE', `--input takes name=file.npy, got '${spec}'`);
    const [name, file] = [spec.slice(0, eq), spec.slice(eq + 1)];
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      throw new NeuropodError('IO_FAILED', `cannot read input '${name}' from ${file}: ${(e as Error).message}`);
    }
    inputs[name] = readNpy(bytes, file);
  }
  return inputs;
}

async function saveOutputs(dir: string, outputs: Record<string, Tensor>): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await mkdir(dir, { recursive: true });
  for (const [name, t] of Object.entries(outputs)) await writeFile(join(dir, `${name.replace(/[\\/:]/g, '_')}.npy`), writeNpy(t));
}
