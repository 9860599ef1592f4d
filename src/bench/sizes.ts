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

/** Our browser build: every script, wasm and shader file under dist/ but tsc's Node output (dist/src, dist/kernels); lazily loaded chunks (importers a page may never load) count too. */
function ourFiles(root: string): string[] {
  const dist = join(root, 'dist');
  if (!existsSync(dist)) return ['dist/index.js'];
  const files = readdirSync(dist, { recursive: true, encoding: 'utf8' })
    .filter((f) => !/^(src|kernels)\//.test(f) && /\.(m?js|wasm|wgsl)$/.test(f))
    .map((f) => `dist/${f}`);
  return files.length ? files.sort() : ['dist/index.js'];
}

export function bundleSizes(root = repoRoot): BundleSize[] {
  return [{ engine: 'neuropod-web', backend: 'all', files: ourFiles(root) }, ...BUNDLES].map(({ engine, backend, files }) => {
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
