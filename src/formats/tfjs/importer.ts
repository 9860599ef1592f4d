import { NeuropodError } from '../../api/errors.js';
import type { TensorSpec } from '../../spec/types.js';
import type { Importer } from '../importer.js';
import { importTfjsGraphModel, type ImportedTfjsModel, type TfjsGraphModelJson } from './graph-model.js';
import { importTfjsLayersModel, isLayersModel } from './layers-model.js';

const MODEL_JSON = '0/data/model.json';
const DATA_DIR = '0/data/';

/**
 * A bare TF.js model.json (graph or layers model): the IR model and its spec, named by the signature (":0"
 * dropped), else by the input and output nodes. `readShard` reads a weightsManifest path, relative to model.json.
 */
export async function importTfjsModelJson(modelJson: unknown, readShard: (path: string) => Promise<Uint8Array>, source: string): Promise<ImportedTfjsModel> {
  if (!modelJson || typeof modelJson !== 'object' || !('modelTopology' in modelJson)) {
    throw new NeuropodError('MODEL_INVALID', `${source} is not a TF.js model.json: it has no modelTopology`);
  }
  if (isLayersModel(modelJson)) return importTfjsLayersModel(modelJson, readShard, source);
  return importTfjsGraphModel(modelJson as TfjsGraphModelJson, readShard, source);
}

/** The `tfjs` platform, an extension of this project: 0/data/model.json plus its shards beside it. */
export const importTfjsPackage: Importer = async (files, config) => {
  const source = `${MODEL_JSON} in ${files.source}`;
  let json: unknown;
  try {
    json = JSON.parse(await files.readText(MODEL_JSON));
  } catch (e) {
    if (e instanceof SyntaxError) throw new NeuropodError('MODEL_INVALID', `${source} is not JSON: ${e.message}`, { cause: e });
    throw e;
  }
  const imported = await importTfjsModelJson(json, (path) => files.read(DATA_DIR + path.replace(/^\.\//, '')), source);
  checkNames(config.inputSpec, imported.spec.inputs, source, 'input');
  checkNames(config.outputSpec, imported.spec.outputs, source, 'output');
  return { model: imported.model, state: imported.state };
};

/** config.json's spec must name tensors the model has: its names are the model's, not a mapping. */
function checkNames(wanted: TensorSpec[], present: TensorSpec[], source: string, kind: string): void {
  const names = new Set(present.map((s) => s.name));
  for (const spec of wanted) {
    if (!names.has(spec.name)) throw new NeuropodError('CONFIG_INVALID', `config.json names ${kind} '${spec.name}', which ${source} does not have (it has: ${[...names].join(', ')})`);
  }
}
