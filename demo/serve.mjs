/**
 * `npm start`: serves the repository on 127.0.0.1 with COOP/COEP (cross-origin isolated, a secure context for
 * WebGPU and service workers) through the engine's own static server, and prints the demo's URL.
 * PORT picks the port (default 8080).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverModule = join(root, 'dist/src/testing/static-server.js');
if (!existsSync(join(root, 'dist/index.js')) || !existsSync(serverModule)) {
  console.error('dist/ is missing: run `npm run build` first (`npm start` does).');
  process.exit(1);
}
const { startStaticServer } = await import(serverModule);
const server = await startStaticServer({ mounts: { '/': root }, port: Number(process.env.PORT ?? 8080) });
console.log(`neuropod-web demo: ${server.url}/demo/  (Ctrl+C stops)`);
