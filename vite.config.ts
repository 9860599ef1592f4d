import { defineConfig } from 'vite';

/**
 * The one-URL browser build: dist/index.js is an ES module with every dependency inside, importable from
 * `<script type="module">` with no bundler. Node built-ins stay external: they are only reached through dynamic
 * imports on Node code paths (paths on disk, onnxruntime-node).
 */
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: true,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'index.js' },
    rollupOptions: { external: [/^node:/] },
  },
});
