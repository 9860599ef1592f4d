import { NeuropodError } from '../../api/errors.js';
import type { PackageFiles } from '../../archive/package-files.js';
import type { NeuropodConfig } from '../../spec/types.js';
import type { Importer } from '../importer.js';
import { FROZEN_GRAPH_PATH, readFrozenGraph } from './frozen-graph.js';
import { lowerTfGraph, type TfGraphRequest } from './lower.js';
import { readSavedModel, SAVED_MODEL_DIR, SAVED_MODEL_PATH } from './saved-model.js';

/** Neuropod checks for a frozen graph first; otherwise the package holds a SavedModel (NEUROPOD-FORMAT.md section 1). */
export const importTensorFlowPackage: Importer = async (files, config) => lowerTfGraph(await readTensorFlowPackage(files, config));

/** The package's TF graph before lowering, with the spec bound to its tensors: what the IR lowering and the TF.js export read. */
export async function readTensorFlowPackage(files: PackageFiles, config: NeuropodConfig): Promise<TfGraphRequest> {
  if (await files.has(FROZEN_GRAPH_PATH)) return readFrozenGraph(files, config);
  if (await files.has(SAVED_MODEL_PATH)) return readSavedModel(files, SAVED_MODEL_DIR, { name: config.name, inputs: config.inputSpec, outputs: config.outputSpec });
  throw new NeuropodError('ARCHIVE_ENTRY_MISSING', `${files.source} is a tensorflow package without a model: it has neither ${FROZEN_GRAPH_PATH} nor ${SAVED_MODEL_PATH}`);
}
