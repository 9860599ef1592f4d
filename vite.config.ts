import { defineConfig, type Plugin } from 'vite';

/**
 * The engine finds its Worker with `new URL('./worker.js', import.meta.url)`, marked @vite-ignore so that this
 * build leaves it alone (it would inline the file). The marker is blanked in the output (same length, so source
 * maps hold) so that an app's bundler sees the standard pattern and ships dist/worker.js beside the app.
 */
function unmarkWorkerUrl(): Plugin {
  const marker = '/* @vite-ignore */';
  return { name: 'neuropod-unmark-worker-url', renderChunk: (code) => (code.includes(marker) ? { code: code.replaceAll(marker, ' '.repeat(marker.length)), map: null } : null) };
}

/**
 * The one-URL browser build: dist/index.js is an ES module with every dependency inside, importable from
 * `<script type="module">` with no bundler; dist/worker.js (vite.worker.config.ts) sits beside it. Node built-ins stay external: they are only reached through dynamic
 * imports on Node code paths (paths on disk, onnxruntime-node).
 */
export default defineConfig({
  plugins: [unmarkWorkerUrl()],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: true,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'index.js' },
    rollupOptions: { external: [/^node:/] },
  },
});
