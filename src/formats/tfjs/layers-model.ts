import { NeuropodError } from '../../api/errors.js';
import type { ImportedTfjsModel } from './graph-model.js';

/** Keras topology JSON: a Sequential/Model class_name at the top or under model_config. */
export function isLayersModel(json: object): boolean {
  const topology = (json as { modelTopology?: Record<string, unknown> }).modelTopology ?? {};
  return (json as { format?: string }).format === 'layers-model' || 'model_config' in topology || 'class_name' in topology;
}

export async function importTfjsLayersModel(_json: object, _readShard: (path: string) => Promise<Uint8Array>, source: string): Promise<ImportedTfjsModel> {
  throw new NeuropodError('PLATFORM_UNSUPPORTED', `${source}: layers models are being written`);
}
