import { describe, expect, it } from 'vitest';
import { readNeuropodConfig } from '../../archive/config.js';
import { nodeDirectoryPackage } from '../../archive/node-directory-package.js';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { tensor } from '../../tensor/tensor.js';
import { importTensorFlowPackage } from './importer.js';
import { ReferenceSession } from './reference-session.js';

const hasShared = sharedOrSkip('TensorFlow Neuropod fixtures');

async function importFixture(name: string) {
  const files = await nodeDirectoryPackage(sharedPath('models/neuropod', name));
  const config = await readNeuropodConfig(files);
  return { config, imported: await importTensorFlowPackage(files, config) };
}

describe.skipIf(!hasShared)('Neuropod TensorFlow frozen graphs (NEUROPOD-FORMAT.md section 7)', () => {
  it('tf_addition_model adds x and y into out', async () => {
    const { imported } = await importFixture('tf_addition_model');
    expect(imported.model.graph.inputs.map((i) => i.name)).toEqual(['x', 'y']);
    expect(imported.model.graph.outputs.map((o) => o.name)).toEqual(['out']);
    const out = new ReferenceSession(imported).run({ x: tensor([1, 2, 3, 4], [2, 2]), y: tensor([7, 8, 9, 10], [2, 2]) });
    expect(Array.from(out.out!.numeric)).toEqual([8, 10, 12, 14]);
    expect(out.out!.shape).toEqual([2, 2]);
  });

  it('tf_strings_model joins x and y with a space through StringConcat', async () => {
    const { imported } = await importFixture('tf_strings_model');
    expect(imported.model.graph.nodes.map((n) => n.opType)).toEqual(['StringConcat', 'StringConcat']);
    const out = new ReferenceSession(imported).run(
      { x: tensor(['apple', 'banana', 'carrot'], [3]), y: tensor(['sauce', 'pudding', 'cake'], [3]) },
      ['out'],
    );
    expect(out.out!.strings).toEqual(['apple sauce', 'banana pudding', 'carrot cake']);
  });
});
