/**
 * What the Playwright kit runs in the page, as JavaScript source (it is evaluated there, not bundled): one async
 * function taking a command. Tensors cross as `{dtype, shape, b64}` (little-endian element bytes in base64) or
 * `{dtype, shape, strings}`, since page.evaluate carries JSON. Errors come back as `{error: {code, message}}`.
 */
export const KIT_PAGE_FUNCTION = String.raw`async (command) => {
  const ARRAYS = { float32: Float32Array, float64: Float64Array, int8: Int8Array, int16: Int16Array, int32: Int32Array,
    int64: BigInt64Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
    bool: Uint8Array, float16: Uint16Array, bfloat16: Uint16Array };
  const toBase64 = (bytes) => {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(text);
  };
  const fromBase64 = (b64) => {
    const text = atob(b64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  };
  const kit = (globalThis.__neuropodKit ??= {});
  try {
    if (command.op === 'open') {
      const engine = await import(command.engineUrl);
      kit.engine = engine;
      kit.model = await engine.load(command.modelUrl, command.options);
      const m = kit.model;
      return { name: m.name, platform: m.platform, backend: m.backend, inputs: m.inputs, outputs: m.outputs };
    }
    if (command.op === 'infer') {
      const inputs = {};
      for (const [name, t] of Object.entries(command.inputs)) {
        const Ctor = ARRAYS[t.dtype];
        const data = t.strings ?? new Ctor(fromBase64(t.b64).buffer);
        inputs[name] = kit.engine.tensor(data, t.shape, t.dtype);
      }
      const outputs = await kit.model.infer(inputs, { outputs: command.outputs });
      const answer = {};
      for (const [name, t] of Object.entries(outputs)) {
        answer[name] = Array.isArray(t.data)
          ? { dtype: t.dtype, shape: [...t.shape], strings: t.data }
          : { dtype: t.dtype, shape: [...t.shape], b64: toBase64(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)) };
      }
      return { outputs: answer };
    }
    if (command.op === 'selfTest') return { report: await kit.model.selfTest(command.options) };
    if (command.op === 'close') {
      await kit.model?.dispose();
      kit.model = undefined;
      return {};
    }
    return { error: { code: 'USAGE', message: 'unknown kit command ' + command.op } };
  } catch (e) {
    return { error: { code: e && e.code ? e.code : 'INFERENCE_FAILED', message: e && e.message ? e.message : String(e) } };
  }
}`;

export const KIT_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>neuropod-web test kit</title></head>
<body><p>neuropod-web test kit page: the test drives the engine from here.</p></body></html>
`;
