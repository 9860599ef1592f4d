import { describe, expect, it } from 'vitest';
import { isNeuropodError } from '../../api/errors.js';
import type { PackageFiles } from '../../archive/package-files.js';
import type { Model } from '../../graph/ir.js';
import type { NeuropodConfig, TensorSpec } from '../../spec/types.js';
import { Tensor } from '../../tensor/tensor.js';
import { encodeOnnxModel, modelToProto } from './encode.js';
import { importOnnxPackage } from './importer.js';
import { ModelProtoType } from './schema.js';

function packageOf(entries: Record<string, Uint8Array>): PackageFiles {
  const read = async (path: string): Promise<Uint8Array> => {
    const bytes = entries[path];
    if (!bytes) throw new Error(`no ${path}`);
    return bytes;
  };
  return {
    source: 'mem.neuropod',
    list: () => Object.keys(entries),
    has: async (path) => path in entries,
    read,
    readText: async (path) => new TextDecoder().decode(await read(path)),
    listUnder: async (prefix) => Object.keys(entries).filter((p) => p.startsWith(prefix)),
  };
}

const spec = (name: string): TensorSpec => ({ name, dtype: 'float32', shape: [null] });
const config = (inputs: string[], outputs: string[]): NeuropodConfig => ({
  name: 'm', platform: 'onnx', platformVersionSemver: '*', inputSpec: inputs.map(spec), outputSpec: outputs.map(spec), customOps: [], inputTensorDevice: {},
});

/** out = x + w, with w an initializer. */
const addModel: Model = {
  opsets: new Map([['', 13]]),
  graph: {
    name: 'add',
    nodes: [{ name: 'add', opType: 'Add', domain: '', inputs: ['x', 'w'], outputs: ['out'], attributes: new Map() }],
    inputs: [{ name: 'x', type: { kind: 'tensor', dtype: 'float32', shape: [null] } }],
    outputs: [{ name: 'out', type: { kind: 'tensor', dtype: 'float32', shape: [null] } }],
    initializers: new Map([['w', new Tensor('float32', [1], Float32Array.from([2]))]]),
  },
};

async function importError(files: PackageFiles, cfg: NeuropodConfig): Promise<{ code: string; message: string }> {
  try {
    await importOnnxPackage(files, cfg);
  } catch (e) {
    if (isNeuropodError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('import succeeded');
}

describe('importOnnxPackage', () => {
  it('reads 0/data/model.onnx, allowing a spec input the graph does not use', async () => {
    const { model } = await importOnnxPackage(packageOf({ '0/data/model.onnx': encodeOnnxModel(addModel) }), config(['x', 'optional'], ['out']));
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(['Add']);
    expect(model.graph.initializers.get('w')!.data).toEqual(Float32Array.from([2]));
  });

  it('rejects an output_spec name the graph does not output', async () => {
    const err = await importError(packageOf({ '0/data/model.onnx': encodeOnnxModel(addModel) }), config(['x'], ['out', 'extra']));
    expect(err).toEqual({ code: 'CONFIG_INVALID', message: "output_spec names 'extra', which 0/data/model.onnx in mem.neuropod does not output; its outputs are 'out'" });
  });

  it('rejects a graph input that input_spec does not declare', async () => {
    const err = await importError(packageOf({ '0/data/model.onnx': encodeOnnxModel(addModel) }), config([], ['out']));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain("needs inputs 'x'");
  });

  it('reads external data relative to 0/data/ and refuses a location outside it', async () => {
    const withLocation = (location: string): Uint8Array => {
      const proto = modelToProto({ ...addModel, graph: { ...addModel.graph, initializers: new Map() } });
      (proto.graph as { initializer: unknown[] }).initializer = [
        { name: 'w', data_type: 1, dims: [1], data_location: 1, external_data: [{ key: 'location', value: location }] },
      ];
      return ModelProtoType.encode(proto).finish();
    };
    const weights = new Uint8Array(Float32Array.from([5]).buffer);
    const { model } = await importOnnxPackage(packageOf({ '0/data/model.onnx': withLocation('./weights/w.bin'), '0/data/weights/w.bin': weights }), config(['x'], ['out']));
    expect(model.graph.initializers.get('w')!.data).toEqual(Float32Array.from([5]));
    const err = await importError(packageOf({ '0/data/model.onnx': withLocation('../../config.json') }), config(['x'], ['out']));
    expect(err).toEqual({ code: 'MODEL_INVALID', message: "0/data/model.onnx in mem.neuropod: external data location '../../config.json' leaves 0/data/" });
  });
});
