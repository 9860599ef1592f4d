import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { nodeDirectoryPackage } from '../../archive/node-directory-package.js';
import { zipPackage } from '../../archive/zip-package.js';
import type { NeuropodConfig } from '../../spec/types.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { tensor } from '../../tensor/tensor.js';
import { importTensorFlowPackage } from './importer.js';
import { ReferenceSession } from './reference-session.js';
import { importSavedModel } from './saved-model.js';
import { readTensorBundleIndex } from './tensor-bundle.js';

const hasShared = sharedOrSkip('TensorFlow SavedModel fixtures');
const savedModel = (name: string) => sharedPath('models/savedmodel', name);

async function run(name: string, feeds: Parameters<ReferenceSession['run']>[0], signature?: string) {
  const imported = await importSavedModel(await nodeDirectoryPackage(savedModel(name)), '', { signature });
  return { imported, out: new ReferenceSession(imported).run(feeds) };
}

// The fixtures are TF.js's tfjs-node SavedModel test objects; their names say what they compute and their
// checkpoints hold the factors (v = 3 or 2, two = 2).
describe.skipIf(!hasShared)('SavedModel (serve tag, serving_default signature, TF2 functions inlined)', () => {
  it('reads the checkpoint index (an SSTable) with its header and keys', () => {
    const bundle = readTensorBundleIndex(readFileSync(savedModel('model_multi_output/variables/variables.index')), 'variables.index');
    expect(bundle.header.numShards).toBe(1);
    expect([...bundle.entries.keys()]).toEqual(['_CHECKPOINTABLE_OBJECT_GRAPH', 'two/.ATTRIBUTES/VARIABLE_VALUE', 'v/.ATTRIBUTES/VARIABLE_VALUE']);
  });

  it('times_three_float multiplies by three', async () => {
    const { imported, out } = await run('times_three_float', { x: tensor([1, -2.5, 4], [3]) });
    expect(imported.signature).toEqual({ inputs: ['x'], outputs: ['output_0'] });
    expect(Array.from(out.output_0!.numeric as ArrayLike<number>)).toEqual([3, -7.5, 12]);
  });

  it('times_two_int multiplies int32 by two', async () => {
    const { out } = await run('times_two_int', { x: tensor(new Int32Array([5, -7]), [2]) });
    expect(out.output_0!.dtype).toBe('int32');
    expect(Array.from(out.output_0!.numeric as ArrayLike<number>)).toEqual([10, -14]);
  });

  it('model_multi_output gives x times two and y unchanged', async () => {
    const { out } = await run('model_multi_output', { x: tensor(new Int32Array([3]), []), y: tensor(new Int32Array([11]), []) });
    expect(Array.from(out.output_0!.numeric as ArrayLike<number>)).toEqual([6]);
    expect(Array.from(out.output_1!.numeric as ArrayLike<number>)).toEqual([11]);
  });

  it('module_with_multiple_signatures: serving_default times three, timestwo times two', async () => {
    expect(Array.from((await run('module_with_multiple_signatures', { x: tensor([5], []) })).out.output_0!.numeric as ArrayLike<number>)).toEqual([15]);
    expect(Array.from((await run('module_with_multiple_signatures', { x: tensor([5], []) }, 'timestwo')).out.output_0!.numeric as ArrayLike<number>)).toEqual([10]);
  });

  it('a Neuropod package with 0/data/savedmodel takes its names from the signature', async () => {
    const dir = savedModel('times_three_float');
    const entries: Record<string, Uint8Array> = {
      '0/data/savedmodel/saved_model.pb': readFileSync(`${dir}/saved_model.pb`),
      '0/data/savedmodel/variables/variables.index': readFileSync(`${dir}/variables/variables.index`),
      '0/data/savedmodel/variables/variables.data-00000-of-00001': readFileSync(`${dir}/variables/variables.data-00000-of-00001`),
    };
    const config: NeuropodConfig = {
      name: 'times_three', platform: 'tensorflow', platformVersionSemver: '*', customOps: [], inputTensorDevice: {},
      inputSpec: [{ name: 'x', dtype: 'float32', shape: [null] }], outputSpec: [{ name: 'output_0', dtype: 'float32', shape: [null] }],
    };
    const imported = await importTensorFlowPackage(zipPackage(zipSync(entries), 'times_three.neuropod'), config);
    expect(Array.from(new ReferenceSession(imported).run({ x: tensor([2], [1]) }).output_0!.numeric as ArrayLike<number>)).toEqual([6]);
    const renamed = { ...config, outputSpec: [{ name: 'y', dtype: 'float32' as const, shape: [null] }] };
    await expect(importTensorFlowPackage(zipPackage(zipSync(entries), 'times_three.neuropod'), renamed)).rejects.toThrow(/the spec names 'y', which the signature does not have \(it has: output_0\)/);
  });
});
