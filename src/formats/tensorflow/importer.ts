import { NeuropodError } from '../../api/errors.js';
import type { Importer } from '../importer.js';
import { FROZEN_GRAPH_PATH, importFrozenGraph } from './frozen-graph.js';
import { importSavedModelPackage, SAVED_MODEL_PATH } from './saved-model.js';

/** Neuropod checks for a frozen graph first; otherwise the package holds a SavedModel (NEUROPOD-FORMAT.md section 1). */
export const importTensorFlowPackage: Importer = async (files, config) => {
  if (await files.has(FROZEN_GRAPH_PATH)) return importFrozenGraph(files, config);
  if (await files.has(SAVED_MODEL_PATH)) return importSavedModelPackage(files, config);
  throw new NeuropodError('ARCHIVE_ENTRY_MISSING', `${files.source} is a tensorflow package without a model: it has neither ${FROZEN_GRAPH_PATH} nor ${SAVED_MODEL_PATH}`);
};
