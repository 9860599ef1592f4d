import { NeuropodError } from '../../api/errors.js';
import type { Importer } from '../importer.js';

export const importOnnxPackage: Importer = async (files) => {
  throw new NeuropodError('PLATFORM_UNSUPPORTED', `platform 'onnx' is not supported yet: ${files.source} cannot run`);
};
