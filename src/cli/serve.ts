import { NeuropodError } from '../api/errors.js';
import { BACKENDS, type BackendChoice } from '../api/options.js';
import { SERVE_ENGINES, type ServeEngineName } from '../serve/engines.js';
import { startReferenceServer } from '../serve/server.js';
import { parseCliArgs } from './cli-args.js';
import { EXIT } from './exit-codes.js';

const HELP = `Usage: neuropod-web serve <package> [--port P] [--host H] [--engine onnxruntime|neuropod-web] [--backend B]

Serves the model over HTTP as a reference to test browsers against (docs/testing.md):
  GET  /spec    name, platform, engine, input and output specs
  POST /infer   a JSON body {name: {"dtype", "shape", "data"}} (or an ${'application/x-neuropod-tensors'} frame);
                ?outputs=a,b picks outputs; the answer maps output names the same way
  --port P         port (default 8491; 0 takes a free one)
  --host H         address to listen on (default 127.0.0.1, loopback only)
  --engine E       onnxruntime (default: the package's graph converted to ONNX, run by onnxruntime-node)
                   or neuropod-web (this engine in Node)
  --backend B      the neuropod-web engine's backend (default cpu)`;

export async function serveCli(args: string[]): Promise<number> {
  const { values, positionals } = parseCliArgs(args, { port: { type: 'string' }, host: { type: 'string' }, engine: { type: 'string' }, backend: { type: 'string' } });
  if (values.help) return console.log(HELP), EXIT.ok;
  if (positionals.length !== 1) throw new NeuropodError('USAGE', `give exactly one package, got ${positionals.length}\n\n${HELP}`);
  const port = Number(values.port ?? 8491);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new NeuropodError('USAGE', `--port must be 0..65535, got '${String(values.port)}'`);
  const engine = (values.engine ?? 'onnxruntime') as ServeEngineName;
  if (!SERVE_ENGINES.includes(engine)) throw new NeuropodError('USAGE', `--engine must be one of ${SERVE_ENGINES.join(', ')}, got '${engine}'`);
  const backend = (values.backend ?? 'cpu') as BackendChoice;
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new NeuropodError('USAGE', `--backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
  const server = await startReferenceServer(positionals[0]!, { port, host: values.host as string | undefined, engine, backend });
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) console.warn(`neuropod-web serve: listening on ${host}, beyond loopback: anyone who reaches this port can run the model`);
  console.log(`serving ${server.model.name} (${server.model.platform}) on ${server.url} with ${engine}${engine === 'neuropod-web' ? ` (${backend})` : ''}; Ctrl-C stops`);
  await new Promise<void>((stop) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop());
  });
  await server.close();
  return EXIT.ok;
}
