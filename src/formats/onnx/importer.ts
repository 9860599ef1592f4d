import { NeuropodError } from '../../api/errors.js';
import type { Graph } from '../../graph/ir.js';
import type { NeuropodConfig } from '../../spec/types.js';
import type { Importer } from '../importer.js';
import { decodeOnnxModel } from './decode.js';

/** Where the 'onnx' platform keeps its model (NEUROPOD-FORMAT.md section 2, this project's extension platforms). */
export const ONNX_MODEL_PATH = '0/data/model.onnx';
const DATA_DIR = '0/data/';

/**
 * Reads `0/data/model.onnx` (external data files relative to `0/data/`) and checks it against the spec: every
 * output_spec name must be a graph output, and every graph input the caller must feed must be in input_spec. A spec
 * input the graph does not use is allowed (Neuropod fixtures declare an unused `optional` input).
 */
export const importOnnxPackage: Importer = async (files, config) => {
  const source = `${ONNX_MODEL_PATH} in ${files.source}`;
  const model = await decodeOnnxModel(await files.read(ONNX_MODEL_PATH), {
    source,
    externalData: (location) => files.read(externalDataPath(location, source)),
  });
  checkAgainstSpec(model.graph, config, source);
  return { model };
};

/** A tensor's `location` is relative to the model file and must stay inside the package's data folder. */
function externalDataPath(location: string, source: string): string {
  const parts: string[] = [];
  for (const part of location.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) throw new NeuropodError('MODEL_INVALID', `${source}: external data location '${location}' leaves ${DATA_DIR}`);
  }
  return DATA_DIR + parts.join('/');
}

function checkAgainstSpec(graph: Graph, config: NeuropodConfig, source: string): void {
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const missing = config.outputSpec.filter((s) => !outputs.has(s.name)).map((s) => s.name);
  if (missing.length) {
    throw new NeuropodError('CONFIG_INVALID', `output_spec names ${list(missing)}, which ${source} does not output; its outputs are ${list([...outputs])}`);
  }
  const specInputs = new Set(config.inputSpec.map((s) => s.name));
  const unfed = graph.inputs.filter((i) => !graph.initializers.has(i.name) && !specInputs.has(i.name)).map((i) => i.name);
  if (unfed.length) {
    throw new NeuropodError('CONFIG_INVALID', `${source} needs inputs ${list(unfed)}, which input_spec does not declare, so they could never be fed`);
  }
}

const list = (names: string[]): string => names.map((n) => `'${n}'`).join(', ');
