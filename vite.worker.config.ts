import { defineConfig } from 'vite';

/**
 * dist/worker.js, the engine Worker, as one self-contained module: dist/index.js finds it with
 * `new URL('./worker.js', import.meta.url)`, and a bundler that meets that expression (Vite) copies the file as an
 * asset without following its imports, so it must not import chunks of its own.
 */
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: true,
    lib: { entry: 'src/worker/engine-worker.ts', formats: ['es'], fileName: () => 'worker.js' },
    rollupOptions: { external: [/^node:/], output: { codeSplitting: false } },
  },
});
