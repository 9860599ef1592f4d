/**
 * The example suite for "Testing your model against your server" (docs/testing.md): the reference server
 * (`neuropod-web serve`, onnxruntime engine: the model's graph converted to ONNX and run by onnxruntime-node)
 * answers for each model, and every backend of this build, in Chromium, must give the same outputs within its
 * tolerance. A backend that is not built, or cannot start in this Chromium, is reported skipped, never passed.
 *
 * Needs ../shared (real models) and Chromium; without either it skips with one line. Run: npx vitest run e2e/server-parity.test.ts
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../src/api/options.js';
import { BUILT_BACKENDS } from '../src/backends/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { chromiumOrSkip, launchChromium } from '../src/testing/chromium.js';
import { compareOutputs, type CompareOptions } from '../src/testing/compare.js';
import { fetchServerOutputs, fetchServerSpec, openBrowserModel, outputMatchers, startReferenceServer, type OutputMatchers, type ReferenceServer } from '../src/testing/playwright.js';
import { readTensorProto } from '../src/formats/onnx/decode.js';
import { readNpy } from '../src/testing/npy.js';
import { sharedOrSkip, sharedPath } from '../src/testing/shared-fixtures.js';

expect.extend(outputMatchers);
declare module 'vitest' {
  interface Matchers<T = any> extends OutputMatchers<T> {}
}

/**
 * How close each backend must come to onnxruntime-node. cpu and wasm compute in float32 like onnxruntime's CPU
 * provider, in another summation order: their largest error on these models is 1.7e-6 (docs/testing.md), so
 * atol 1e-5 leaves a margin of 6. webgpu's largest on SwiftShader is 1.8e-6 (super-resolution); a real GPU may
 * fuse multiply-adds or use f16, so it gets rtol 1e-3, atol 1e-4 (onnxruntime-web's own webgpu threshold is abs 1e-3).
 */
const TOLERANCE: Record<BackendName, CompareOptions> = {
  cpu: { rtol: 1e-4, atol: 1e-5 },
  wasm: { rtol: 1e-4, atol: 1e-5 },
  webgpu: { rtol: 1e-3, atol: 1e-4 },
};
/** The server against the references stored with the models (authored, torch 1.13, or onnxruntime 1.30). */
const REFERENCE_TOLERANCE: CompareOptions = { rtol: 1e-3, atol: 1e-4 };

interface ParityModel {
  name: string;
  path: string;
  /** Input tensors in the model's input order. */
  inputs: () => Tensor[];
  /** The outputs stored beside the model, in output order. */
  reference: () => Tensor[];
}

function onnxModels(): ParityModel[] {
  const root = sharedPath('models/onnx');
  const wanted = /^(mnist|super-resolution|msra-190729-teams|bert-toy)/;
  return readdirSync(root)
    .filter((name) => wanted.test(name))
    .sort()
    .map((name) => {
      const data = join(root, name, 'test_data_set_0');
      const files = (prefix: string) => readdirSync(data).filter((f) => f.startsWith(prefix) && f.endsWith('.pb')).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
      const read = (prefix: string) => () => files(prefix).map((f) => readTensorProto(readFileSync(join(data, f)), f));
      return { name, path: join(root, name, 'model.onnx'), inputs: read('input_'), reference: read('output_') };
    });
}

/** The bench models as ONNX, and one as its TorchScript Neuropod package (the server converts it to ONNX). */
function benchModels(): ParityModel[] {
  const bench = (name: string, file: string): ParityModel => {
    const dir = sharedPath('bench', name);
    return { name: `bench/${name}/${file}`, path: join(dir, file), inputs: () => [readNpy(readFileSync(join(dir, 'input.npy')))], reference: () => [readNpy(readFileSync(join(dir, 'output.npy')))] };
  };
  return [...['encoder_mini', 'lstm_tagger', 'mobilenet_v2', 'squeezenet1_1'].map((name) => bench(name, 'model.onnx')), bench('lstm_tagger', 'lstm_tagger.neuropod')];
}

const ready = sharedOrSkip('server parity: real models') && chromiumOrSkip('server parity: browser backends');
const MODELS = ready ? [...onnxModels(), ...benchModels()].filter((m) => existsSync(m.path)) : [];

function byName(names: readonly { name: string }[], tensors: Tensor[]): Record<string, Tensor> {
  return Object.fromEntries(tensors.map((t, i) => [names[i]!.name, t]));
}

describe.skipIf(!ready)('browser outputs match the reference server (onnxruntime-node)', () => {
  let browser: Browser;
  beforeAll(async () => void (browser = await launchChromium()));
  afterAll(() => browser?.close());

  for (const model of MODELS) {
    describe(model.name, () => {
      let server: ReferenceServer;
      let inputs: Record<string, Tensor>;
      let serverOutputs: Record<string, Tensor>;
      beforeAll(async () => {
        server = await startReferenceServer(model.path, { engine: 'onnxruntime' });
        const spec = (await fetchServerSpec(server.url)) as { inputs: { name: string }[] };
        inputs = byName(spec.inputs, model.inputs());
        serverOutputs = await fetchServerOutputs(server.url, inputs);
      });
      afterAll(() => server?.close());

      it('the server reproduces the outputs stored with the model', () => {
        expect(serverOutputs).toMatchOutputs(byName(server.model.outputs, model.reference()), REFERENCE_TOLERANCE);
      });

      for (const backend of BUILT_BACKENDS) {
        const tol = TOLERANCE[backend];
        it(`${backend} in Chromium matches the server (rtol ${tol.rtol}, atol ${tol.atol})`, async (ctx) => {
          const opened = await openBrowserModel(browser, model.path, { backend }).catch((e: { code?: string; message: string }) => {
            if (e.code === 'BACKEND_UNAVAILABLE') ctx.skip(`${backend} cannot start in this Chromium: ${e.message}`);
            throw e;
          });
          try {
            expect(opened.backend).toBe(backend);
            const outputs = await opened.infer(inputs);
            const errors = compareOutputs(outputs, serverOutputs, tol).outputs.map((o) => `${o.name} max abs ${o.maxAbsError.toExponential(2)}, max rel ${o.maxRelError.toExponential(2)}`);
            console.log(`[server parity] ${model.name} ${backend}: ${errors.join('; ')}`);
            expect(outputs).toMatchOutputs(serverOutputs, tol);
          } finally {
            await opened.close();
          }
        });
      }
    });
  }

  it('a perturbed output fails the matcher with a report naming the output, the worst element and the tolerance', async () => {
    const mnist = MODELS.find((m) => m.name.startsWith('mnist'));
    if (!mnist) throw new Error('no mnist model in ../shared/models/onnx');
    const server = await startReferenceServer(mnist.path);
    try {
      const spec = (await fetchServerSpec(server.url)) as { inputs: { name: string }[] };
      const expected = await fetchServerOutputs(server.url, byName(spec.inputs, mnist.inputs()));
      const [name, logits] = Object.entries(expected)[0]!;
      const data = Float32Array.from(logits.numeric as Float32Array);
      data[7]! += 0.5;
      const perturbed = { [name]: { dtype: logits.dtype, shape: logits.shape, data } };
      const want = (logits.numeric as Float32Array)[7]!;
      let message = '';
      try {
        expect(perturbed).toMatchOutputs(expected, { rtol: 1e-4, atol: 1e-5 });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain(`FAIL  ${name}  float32[1,10]  1 of 10 elements out of tolerance`);
      expect(message).toContain(`worst at [0,7] (flat 7): actual ${Number(data[7]!.toPrecision(6))}, expected ${Number(want.toPrecision(6))}`);
      expect(message).toMatch(/> tolerance [\d.e-]+ = atol 0\.00001 \+ rtol 0\.0001 \* \|expected\|/);
    } finally {
      await server.close();
    }
  });
});
