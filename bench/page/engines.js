// Runs one engine on one model inside the bench page, the same way for every engine: load, first output (cold
// start), warm-up, then timed runs that each end when the output is back in JS memory. Plain ES module so the page
// needs no build step; the harness (src/bench/harness.ts) serves it and calls runEngine() through Playwright.

const scriptsLoaded = new Map();

function loadScript(url) {
  if (!scriptsLoaded.has(url)) {
    scriptsLoaded.set(url, new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = url;
      s.onload = resolve;
      s.onerror = () => reject(new Error(`could not load ${url}`));
      document.head.append(s);
    }));
  }
  return scriptsLoaded.get(url);
}

function typedArray(dtype, data) {
  switch (dtype) {
    case 'float32': return Float32Array.from(data);
    case 'int32': return Int32Array.from(data);
    case 'int64': return BigInt64Array.from(data, (v) => BigInt(v));
    case 'uint8': return Uint8Array.from(data);
    case 'bool': return Uint8Array.from(data);
    default: throw new Error(`bench inputs of dtype ${dtype} are not supported`);
  }
}

/** Largest sample of memory in use: the UA-specific measure where the page is isolated, else the JS heap. */
async function memorySample() {
  if (globalThis.crossOriginIsolated && performance.measureUserAgentSpecificMemory) {
    try {
      const m = await Promise.race([
        performance.measureUserAgentSpecificMemory(),
        new Promise((resolve) => setTimeout(() => resolve(null), 15000)),
      ]);
      if (m) return { bytes: m.bytes, source: 'measureUserAgentSpecificMemory' };
    } catch { /* fall through to performance.memory */ }
  }
  if (performance.memory) return { bytes: performance.memory.usedJSHeapSize, source: 'performance.memory.usedJSHeapSize' };
  return null;
}

const ENGINES = {
  async 'neuropod-web'({ modelUrl, backend, threads }) {
    const { load, tensor } = await import('/dist/index.js');
    // In the calling thread, as the peers run: the figures compare engines, not the Worker hop a page's default adds.
    const model = await load(modelUrl, { backend, threads, worker: false });
    return {
      async run(inputs) {
        const feeds = {};
        for (const [name, t] of Object.entries(inputs)) feeds[name] = tensor(typedArray(t.dtype, t.data), t.shape, t.dtype);
        const out = await model.infer(feeds);
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]));
      },
      dispose: () => model.dispose(),
      actualBackend: model.backend,
      // WebGPU compiles its pipelines inside load(): the part of the load time they took, reported apart.
      pipelineMs: model.pipelineMs,
    };
  },

  async ort({ modelUrl, backend, threads }) {
    const ort = await import('/node_modules/onnxruntime-web/dist/ort.all.min.mjs');
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
    const session = await ort.InferenceSession.create(modelUrl, { executionProviders: [backend] });
    return {
      async run(inputs) {
        const feeds = {};
        for (const [name, t] of Object.entries(inputs)) feeds[name] = new ort.Tensor(t.dtype, typedArray(t.dtype, t.data), t.shape);
        const out = await session.run(feeds);
        const result = {};
        for (const [k, v] of Object.entries(out)) result[k] = await v.getData();
        return result;
      },
      dispose: () => session.release(),
      actualBackend: backend,
    };
  },

  async tfjs({ modelUrl, backend, threads }) {
    await loadScript('/node_modules/@tensorflow/tfjs/dist/tf.min.js');
    const tf = globalThis.tf;
    if (backend === 'wasm') {
      await loadScript('/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js');
      tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
      tf.wasm.setThreadsCount(threads);
    } else if (backend === 'webgpu') {
      await loadScript('/node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js');
    }
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs could not start its ${backend} backend`);
    await tf.ready();
    const model = await tf.loadGraphModel(modelUrl);
    return {
      async run(inputs) {
        const feeds = {};
        for (const [name, t] of Object.entries(inputs)) feeds[name] = tf.tensor(typedArray(t.dtype, t.data), t.shape, t.dtype === 'int64' ? 'int32' : t.dtype);
        const names = model.outputs.map((o) => o.name);
        let out = await model.executeAsync(feeds, names);
        if (!Array.isArray(out)) out = [out];
        const result = {};
        for (let i = 0; i < out.length; i++) result[names[i]] = await out[i].data();
        tf.dispose([...Object.values(feeds), ...out]);
        return result;
      },
      dispose: () => model.dispose(),
      actualBackend: tf.getBackend(),
    };
  },
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One engine on one model. `inputs`: {name: {dtype, shape, data}}. Returns timings and the outputs (as plain
 * arrays) for the harness to compare with the reference; failures come back as {ok: false, error}.
 */
export async function runEngine({ engine, modelUrl, backend, threads, inputs, runs, warmup, memory: sampleMemory = true }) {
  const make = ENGINES[engine];
  if (!make) return { ok: false, error: `unknown engine ${engine}` };
  let runner;
  const memory = [];
  try {
    const t0 = performance.now();
    runner = await make({ modelUrl, backend, threads });
    const loadedMs = performance.now() - t0;
    let outputs = await runner.run(inputs);
    const coldStartMs = performance.now() - t0;
    const m1 = sampleMemory ? await memorySample() : null;
    if (m1) memory.push(m1);
    for (let i = 0; i < warmup; i++) await runner.run(inputs);
    const times = [];
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      outputs = await runner.run(inputs);
      times.push(performance.now() - s);
    }
    const m2 = sampleMemory ? await memorySample() : null;
    if (m2) memory.push(m2);
    const plain = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, Array.from(v, Number)]));
    return {
      ok: true,
      backend: runner.actualBackend,
      loadMs: loadedMs,
      pipelineMs: runner.pipelineMs,
      coldStartMs,
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      runs: times.length,
      peakMemoryBytes: memory.length ? Math.max(...memory.map((m) => m.bytes)) : undefined,
      memorySource: memory[0]?.source,
      outputs: plain,
    };
  } catch (e) {
    return { ok: false, error: String(e && e.message ? e.message : e) };
  } finally {
    try { await runner?.dispose(); } catch { /* a failed engine may not dispose cleanly */ }
  }
}

export function environment() {
  return {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    webgpu: 'gpu' in navigator,
  };
}

export async function gpuAdapter() {
  if (!navigator.gpu) return null;
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info ?? {};
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
}

/**
 * WASM SIMD peak in GFLOP/s: runs each multiply-add loop module (src/bench/peak.ts; one per loop width) long
 * enough to time, best of `repeats`, and keeps the best width.
 */
export async function measurePeak({ modules, repeats = 3 }) {
  let best = { gflops: 0, accumulators: 0 };
  for (const { accumulators, bytes } of modules) {
    const { instance } = await WebAssembly.instantiate(new Uint8Array(bytes));
    const peak = instance.exports.peak;
    let iterations = 1 << 16;
    for (;;) {
      const s = performance.now();
      peak(iterations);
      if (performance.now() - s > 200) break;
      iterations *= 2;
    }
    for (let r = 0; r < repeats; r++) {
      const s = performance.now();
      peak(iterations);
      const gflops = (iterations * accumulators * 8) / ((performance.now() - s) * 1e6);
      if (gflops > best.gflops) best = { gflops, accumulators };
    }
  }
  return best;
}
