import { NeuropodError } from '../../api/errors.js';
import type { Importer } from '../importer.js';

export const importTfjsPackage: Importer = async (files) => {
  throw new NeuropodError('PLATFORM_UNSUPPORTED', `platform 'tfjs' is not supported yet: ${files.source} cannot run`);
};
