import { NeuropodError } from '../api/errors.js';
import type { Importer } from './importer.js';

/** Importers by config.json platform, loaded on demand so a page pays only for the formats it opens. */
const IMPORTERS: Record<string, () => Promise<Importer>> = {
  onnx: async () => (await import('./onnx/importer.js')).importOnnxPackage,
  tensorflow: async () => (await import('./tensorflow/importer.js')).importTensorFlowPackage,
  tfjs: async () => (await import('./tfjs/importer.js')).importTfjsPackage,
  torchscript: async () => (await import('./torchscript/importer.js')).importTorchScriptPackage,
};

export async function importerFor(platform: string): Promise<Importer> {
  if (platform === 'python' || platform === 'pytorch') {
    throw new NeuropodError(
      'PLATFORM_UNSUPPORTED',
      `platform '${platform}' runs arbitrary Python and needs a Python interpreter, which a browser does not have. ` +
        `Package the model as 'torchscript' (torch.jit.trace or torch.jit.script, then create_torchscript_neuropod) or export it to ONNX and package it as 'onnx'.`,
    );
  }
  const importer = IMPORTERS[platform];
  if (!importer) {
    throw new NeuropodError('PLATFORM_UNSUPPORTED', `platform '${platform}' is not one this engine reads; supported: ${Object.keys(IMPORTERS).join(', ')}`);
  }
  return importer();
}
