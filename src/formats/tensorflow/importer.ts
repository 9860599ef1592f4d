import { NeuropodError } from '../../api/errors.js';
import type { Importer } from '../importer.js';

export const importTensorFlowPackage: Importer = async (files) => {
  throw new NeuropodError('PLATFORM_UNSUPPORTED', `platform 'tensorflow' is not supported yet: ${files.source} cannot run`);
};
