import { isNeuropodError } from '../api/errors.js';
import { EXIT } from './exit-codes.js';

/** A subcommand: run with its own arguments, resolve to the exit code. Imported only when chosen. */
interface Command {
  summary: string;
  run: () => Promise<(args: string[]) => Promise<number>>;
}

const COMMANDS: Record<string, Command> = {
  inspect: { summary: 'inspect <package>                 name, platform, spec, operators used, size', run: async () => (await import('./inspect.js')).inspectCli },
  run: { summary: 'run <package> --input name=x.npy  run a model on .npy inputs and print its outputs', run: async () => (await import('./run.js')).runCli },
  convert: { summary: 'convert <package> --to onnx|tfjs  write the model as an ONNX file or a TF.js graph model', run: async () => (await import('./convert.js')).convertCli },
  bench: { summary: 'bench <model>... [--backends B]     latency, cold start, memory against onnxruntime-web and TF.js in Chromium', run: async () => (await import('../bench/cli.js')).runBenchCli },
  conformance: { summary: 'conformance <dir> [--backend B]   ONNX backend node tests and ORT-web op tests', run: async () => (await import('./conformance.js')).runConformanceCli },
  serve: { summary: 'serve <package> [--port P]         a reference server (GET /spec, POST /infer) on onnxruntime-node or this engine', run: async () => (await import('./serve.js')).serveCli },
};


export function helpText(): string {
  const lines = Object.values(COMMANDS).map((c) => `  neuropod-web ${c.summary}`);
  return ['Usage:', ...lines, '', 'neuropod-web <command> --help for its options. A package is a .neuropod zip, a directory, a URL, or a bare .onnx / TF.js model.json.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(helpText());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`neuropod-web: unknown command '${name}'\n\n${helpText()}`);
    return EXIT.usage;
  }
  try {
    return await (await command.run())(args);
  } catch (e) {
    if (isNeuropodError(e)) {
      console.error(`neuropod-web ${name}: ${e.message}`);
      return e.code === 'USAGE' ? EXIT.usage : EXIT.modelError;
    }
    throw e;
  }
}
