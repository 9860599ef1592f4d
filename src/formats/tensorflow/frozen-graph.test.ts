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
    expect(Array.from(out.out!.numeric as ArrayLike<number>)).toEqual([8, 10, 12, 14]);
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

describe.skipIf(!hasShared)('Neuropod TensorFlow spec-only fixtures', () => {
  it('dummy_object_detection: boxes [28, 4] and class probabilities [28, 67] drawn from RandomUniform in [0, 1)', async () => {
    const { imported } = await importFixture('dummy_object_detection');
    expect(imported.model.graph.inputs.map((i) => i.name)).toEqual(['image']);
    const out = new ReferenceSession(imported).run({ image: tensor(new Uint8Array(1200 * 1920 * 3), [1200, 1920, 3]) });
    // The graph's RandomUniform shape constants: num_detections = 28, num_classes = 67.
    expect(out.boxes!.shape).toEqual([28, 4]);
    expect(out.object_class_probability!.shape).toEqual([28, 67]);
    for (const t of [out.boxes!, out.object_class_probability!]) {
      const values = Array.from(t.numeric as Float32Array);
      expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
      expect(new Set(values).size).toBeGreaterThan(values.length / 2);
    }
  });

  it('dummy_small_input_model: 100 unused [10, 5] inputs and one random [10, 5] output', async () => {
    const { imported } = await importFixture('dummy_small_input_model');
    expect(imported.model.graph.inputs).toHaveLength(100);
    const out = new ReferenceSession(imported).run({});
    expect(out.output!.shape).toEqual([10, 5]);
    expect(Array.from(out.output!.numeric as Float32Array).every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
