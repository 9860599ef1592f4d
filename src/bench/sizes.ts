import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot } from '../testing/shared-fixtures.js';

export interface BundleSize {
  engine: string;
  backend: string;
  files: string[];
  bytes: number;
  gzipBytes: number;
  /** Files the list names that are not on disk (a build not run, a peer not installed). */
  missing: string[];
}

/**
 * What a page downloads to run each engine on a backend (JS + WASM + shaders), from the files on disk. Peers are
 * measured from their own npm packages' browser builds, the files their docs tell a page to load.
 */
const BUNDLES: { engine: string; backend: string; files: string[] }[] = [
  { engine: 'onnxruntime-web', backend: 'wasm', files: ['node_modules/onnxruntime-web/dist/ort.wasm.min.mjs', 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs', 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'] },
  { engine: 'onnxruntime-web', backend: 'webgpu', files: ['node_modules/onnxruntime-web/dist/ort.webgpu.min.mjs', 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.mjs', 'node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm'] },
  { engine: '@tensorflow/tfjs', backend: 'wasm', files: ['node_modules/@tensorflow/tfjs/dist/tf.min.js', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'] },
  { engine: '@tensorflow/tfjs', backend: 'webgpu', files: ['node_modules/@tensorflow/tfjs/dist/tf.min.js', 'node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js'] },
];

/**
 * Our browser build as a page downloads it: by default `dist/index.js` and the engine Worker `dist/worker.js` (one
 * self-contained module with every importer, kernel and backend); with `worker: false`, `dist/index.js` and its
 * code-split chunks instead (the importers and backends among them load only when used, so that row is an upper
 * bound).
 */
function ourBundles(root: string): { engine: string; backend: string; files: string[] }[] {
  const dist = join(root, 'dist');
  const chunks = existsSync(dist)
    ? readdirSync(dist).filter((f) => /\.(m?js|wasm|wgsl)$/.test(f) && f !== 'worker.js').map((f) => `dist/${f}`).sort()
    : ['dist/index.js'];
  return [
    { engine: 'neuropod-web', backend: 'all (Worker, default)', files: ['dist/index.js', 'dist/worker.js'] },
    { engine: 'neuropod-web', backend: 'all (worker: false)', files: chunks },
  ];
}

export function bundleSizes(root = repoRoot): BundleSize[] {
  return [...ourBundles(root), ...BUNDLES].map(({ engine, backend, files }) => {
    let bytes = 0;
    let gzipBytes = 0;
    const missing: string[] = [];
    for (const f of files) {
      const path = join(root, f);
      if (!existsSync(path)) {
        missing.push(f);
        continue;
      }
      const data = readFileSync(path);
      bytes += data.byteLength;
      gzipBytes += gzipSync(data, { level: 9 }).byteLength;
    }
    return { engine, backend, files, bytes, gzipBytes, missing };
  });
}
