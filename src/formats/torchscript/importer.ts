import { NeuropodError } from '../../api/errors.js';
import type { Importer } from '../importer.js';

export const importTorchScriptPackage: Importer = async (files) => {
  throw new NeuropodError('PLATFORM_UNSUPPORTED', `platform 'torchscript' is not supported yet: ${files.source} cannot run`);
};
