/**
 * Writes the bundled example the README's first command runs: examples/addition.neuropod (platform onnx,
 * out = x + y on float32 [null, 2]) and its inputs x.npy, y.npy. Run: npx tsx examples/make-examples.ts
 */
import { zipSync } from 'fflate';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeOnnxModel } from '../src/formats/onnx/encode.js';
import type { Model } from '../src/graph/ir.js';
import { tensor } from '../src/tensor/tensor.js';
import { writeNpy } from '../src/testing/npy.js';

const here = dirname(fileURLToPath(import.meta.url));
const floatPairs = { kind: 'tensor' as const, dtype: 'float32' as const, shape: [null, 2] };

const addition: Model = {
  graph: {
    name: 'addition_model',
    nodes: [{ name: 'add', opType: 'Add', domain: '', inputs: ['x', 'y'], outputs: ['out'], attributes: new Map() }],
    inputs: [{ name: 'x', type: floatPairs }, { name: 'y', type: floatPairs }],
    outputs: [{ name: 'out', type: floatPairs }],
    initializers: new Map(),
  },
  opsets: new Map([['', 13]]),
  metadata: { producer_name: 'neuropod-web examples/make-examples.ts' },
};

const spec = (name: string) => ({ name, dtype: 'float32', shape: [null, 2] });
const config = { name: 'addition_model', platform: 'onnx', input_spec: [spec('x'), spec('y')], output_spec: [spec('out')] };

// Fixed mtime so the zip's bytes do not change from one run to the next.
const mtime = new Date('2020-01-01T00:00:00Z');
const zip = zipSync(
  {
    'config.json': [new TextEncoder().encode(JSON.stringify(config, null, 2) + '\n'), { mtime }],
    '0/data/model.onnx': [new Uint8Array(encodeOnnxModel(addition)), { mtime }],
  },
  { level: 9 },
);

await writeFile(join(here, 'addition.neuropod'), zip);
await writeFile(join(here, 'x.npy'), writeNpy(tensor(new Float32Array([1, 2, 3, 4]), [2, 2])));
await writeFile(join(here, 'y.npy'), writeNpy(tensor(new Float32Array([7, 8, 9, 10]), [2, 2])));
console.log('wrote examples/addition.neuropod, examples/x.npy, examples/y.npy');
