/**
 * Writes the demo's bundled packages (committed; the demo never reads ../shared at run time):
 *   demo/models/mnist.neuropod  ONNX-zoo MNIST (CNTK, opset 8) from ../shared/models/onnx/mnist-cntk-opset8, MIT
 *   demo/models/digit.png       a hand-drawn-style "3", 28x28 white on black as MNIST has it (made here)
 *   demo/models/edges.neuropod  an image-in/image-out package made here: uint8 NHWC RGB -> uint8 edge map
 *   demo/models/words.neuropod  a string package made here: lines of text -> upper-cased words and their counts
 * Run: npx tsx demo/make-models.ts
 */
import { zipSync } from 'fflate';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeOnnxModel } from '../src/formats/onnx/encode.js';
import type { Attributes, Model, Node } from '../src/graph/ir.js';
import { tensor } from '../src/tensor/tensor.js';
import { encodeGreyPng } from '../src/testing/grey-png.js';
import { sharedPath } from '../src/testing/shared-fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
// Fixed mtime so the zips' bytes do not change from one run to the next.
const mtime = new Date('2020-01-01T00:00:00Z');

function neuropodZip(config: object, modelBytes: Uint8Array): Uint8Array {
  return zipSync(
    {
      'config.json': [new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'), { mtime }],
      '0/data/model.onnx': [modelBytes, { mtime }],
    },
    { level: 9 },
  );
}

async function writeMnist(): Promise<void> {
  const dir = sharedPath('models/onnx/mnist-cntk-opset8');
  const config = {
    name: 'mnist',
    platform: 'onnx',
    input_spec: [{ name: 'Input3', dtype: 'float32', shape: [1, 1, 28, 28] }],
    output_spec: [{ name: 'Plus214_Output_0', dtype: 'float32', shape: [1, 10] }],
  };
  await writeFile(join(here, 'models/mnist.neuropod'), neuropodZip(config, await readFile(`${dir}/model.onnx`)));
  await writeFile(join(here, 'models/digit.png'), encodeGreyPng(drawStrokes(THREE, 28), 28, 28));
}

/** The strokes of a "3" in a 28x28 box (MNIST digits sit in the middle 20x20). */
const THREE: [number, number][] = [[8, 6], [19, 6], [14, 13], [20, 17], [18, 22], [8, 22]];

/** Anti-aliased polyline about 3 px wide: intensity falls off linearly with distance from the stroke. */
function drawStrokes(points: [number, number][], size: number): Uint8Array {
  const pixels = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let d = Infinity;
      for (let i = 0; i + 1 < points.length; i++) d = Math.min(d, segmentDistance(x, y, points[i]!, points[i + 1]!));
      pixels[y * size + x] = Math.round(255 * Math.max(0, Math.min(1, 2.2 - d)));
    }
  }
  return pixels;
}

function segmentDistance(x: number, y: number, [ax, ay]: [number, number], [bx, by]: [number, number]): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - ax - t * dx, y - ay - t * dy);
}

function node(opType: string, inputs: string[], outputs: string[], attributes: Attributes = new Map()): Node {
  return { name: outputs[0]!, opType, domain: '', inputs, outputs, attributes };
}

/**
 * edges: a luma-weighted 3x3 Laplacian over an RGB image, |response| clipped to 0..255. Input and output are
 * uint8 NHWC with a symbolic batch, so the demo shows an image input, an image output and a spec symbol.
 */
async function writeEdges(): Promise<void> {
  const size = 96;
  const laplacian = [-1, -1, -1, -1, 8, -1, -1, -1, -1];
  const luma = [0.299, 0.587, 0.114];
  const weights = new Float32Array(luma.flatMap((w) => laplacian.map((l) => w * l)));
  const model: Model = {
    graph: {
      name: 'edges',
      nodes: [
        node('Cast', ['image'], ['image_f'], new Map([['to', { type: 'int', value: 1 }]])),
        node('Transpose', ['image_f'], ['nchw'], new Map([['perm', { type: 'ints', value: [0, 3, 1, 2] }]])),
        node('Conv', ['nchw', 'laplacian'], ['response'], new Map([['pads', { type: 'ints', value: [1, 1, 1, 1] }]])),
        node('Abs', ['response'], ['magnitude']),
        node('Clip', ['magnitude', 'zero', 'full'], ['clipped']),
        node('Transpose', ['clipped'], ['nhwc'], new Map([['perm', { type: 'ints', value: [0, 2, 3, 1] }]])),
        node('Cast', ['nhwc'], ['edges'], new Map([['to', { type: 'int', value: 2 }]])),
      ],
      inputs: [{ name: 'image', type: { kind: 'tensor', dtype: 'uint8', shape: ['batch', size, size, 3] } }],
      outputs: [{ name: 'edges', type: { kind: 'tensor', dtype: 'uint8', shape: ['batch', size, size, 1] } }],
      initializers: new Map([
        ['laplacian', tensor(weights, [1, 3, 3, 3])],
        ['zero', tensor(new Float32Array([0]), [])],
        ['full', tensor(new Float32Array([255]), [])],
      ]),
    },
    opsets: new Map([['', 13]]),
    metadata: { producer_name: 'neuropod-web demo/make-models.ts' },
  };
  const config = {
    name: 'edges',
    platform: 'onnx',
    input_spec: [{ name: 'image', dtype: 'uint8', shape: ['batch', size, size, 3] }],
    output_spec: [{ name: 'edges', dtype: 'uint8', shape: ['batch', size, size, 1] }],
  };
  await writeFile(join(here, 'models/edges.neuropod'), neuropodZip(config, new Uint8Array(encodeOnnxModel(model))));
}

/**
 * words: StringNormalizer (UPPER) then StringSplit on spaces (opset 20), so the demo has a text input. The locale
 * is C.UTF-8 because onnxruntime (the test's reference) builds the named locale and Debian always has that one.
 */
async function writeWords(): Promise<void> {
  const strings = (shape: (string | number)[]) => ({ kind: 'tensor' as const, dtype: 'string' as const, shape });
  const model: Model = {
    graph: {
      name: 'words',
      nodes: [
        node('StringNormalizer', ['text'], ['upper'], new Map([['case_change_action', { type: 'string', value: 'UPPER' }], ['locale', { type: 'string', value: 'C.UTF-8' }]])),
        { ...node('StringSplit', ['upper'], ['words', 'counts'], new Map([['delimiter', { type: 'string', value: ' ' }]])), name: 'split' },
      ],
      inputs: [{ name: 'text', type: strings(['lines']) }],
      outputs: [{ name: 'words', type: strings(['lines', 'most_words']) }, { name: 'counts', type: { kind: 'tensor', dtype: 'int64', shape: ['lines'] } }],
      initializers: new Map(),
    },
    opsets: new Map([['', 20]]),
    metadata: { producer_name: 'neuropod-web demo/make-models.ts' },
  };
  const config = {
    name: 'words',
    platform: 'onnx',
    input_spec: [{ name: 'text', dtype: 'string', shape: ['lines'] }],
    output_spec: [{ name: 'words', dtype: 'string', shape: ['lines', null] }, { name: 'counts', dtype: 'int64', shape: ['lines'] }],
  };
  await writeFile(join(here, 'models/words.neuropod'), neuropodZip(config, new Uint8Array(encodeOnnxModel(model))));
}

await writeMnist();
await writeEdges();
await writeWords();
console.log('wrote demo/models/mnist.neuropod, demo/models/digit.png, demo/models/edges.neuropod, demo/models/words.neuropod');
