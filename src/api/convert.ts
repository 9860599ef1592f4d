import { readNeuropodConfig } from '../archive/config.js';
import { verifiedByManifest } from '../archive/manifest.js';
import { looksLikeZip, openSource, type PackageSource } from '../archive/open-package.js';
import type { PackageFiles } from '../archive/package-files.js';
import { zipPackage } from '../archive/zip-package.js';
import type { ImportedModel } from '../formats/importer.js';
import type { Model } from '../graph/ir.js';
import { NeuropodError } from './errors.js';
import { openModel } from './open-model.js';

/** What `convert` writes: file paths (relative to the output folder) and their bytes. */
export type ConvertedFiles = Map<string, Uint8Array>;

export const CONVERT_TARGETS = ['onnx', 'tfjs'] as const;
export type ConvertTarget = (typeof CONVERT_TARGETS)[number];

/**
 * A package (or bare model) converted to a standard format others can open: `onnx` (any platform this engine
 * imports; one `model.onnx`) or `tfjs` (a TF.js graph model, for TensorFlow sources: `model.json` + one shard).
 */
export async function convert(source: PackageSource, to: ConvertTarget): Promise<ConvertedFiles> {
  if (to === 'onnx') return new Map([['model.onnx', await toOnnx(source)]]);
  if (to === 'tfjs') return toTfjs(source);
  throw new NeuropodError('USAGE', `convert(): the target is one of ${CONVERT_TARGETS.join(', ')}; got ${JSON.stringify(to)}`);
}

async function toOnnx(source: PackageSource): Promise<Uint8Array> {
  const opened = await openModel(source);
  if (!opened.imported) throw opened.unavailable!;
  const { encodeOnnxModel } = await import('../formats/onnx/encode.js');
  return encodeOnnxModel(withStateDefaults(opened.imported));
}

/**
 * An ONNX model has no variables: a TensorFlow variable stays a graph input (fed with the value it holds) and a
 * graph output (its value after the run), and its value after load becomes that input's initializer, the ONNX
 * form of a default. Feeding each state output back as the next call's input carries the state across calls.
 */
function withStateDefaults({ model, state }: ImportedModel): Model {
  if (!state?.length) return model;
  const initializers = new Map(model.graph.initializers);
  for (const s of state) initializers.set(s.input, s.initial);
  return { ...model, graph: { ...model.graph, initializers } };
}

async function toTfjs(source: PackageSource): Promise<ConvertedFiles> {
  const opened = await openSource(source);
  let files: PackageFiles;
  if (opened.kind === 'directory') files = opened.files;
  else if (looksLikeZip(opened.bytes)) files = zipPackage(opened.bytes, opened.source);
  else throw new NeuropodError('USAGE', `convert --to tfjs takes a Neuropod package with a TensorFlow model; ${opened.source} is a bare model file (convert it --to onnx)`);
  files = await verifiedByManifest(files);
  const config = await readNeuropodConfig(files);
  if (config.platform !== 'tensorflow') {
    const hint = config.platform === 'tfjs' ? 'its 0/data/model.json already is a TF.js model' : 'convert it --to onnx';
    throw new NeuropodError('USAGE', `convert --to tfjs writes TF.js graph models of TensorFlow packages; ${files.source} is a '${config.platform}' package (${hint})`);
  }
  const [{ readTensorFlowPackage }, { exportTfjsGraphModel }] = await Promise.all([import('../formats/tensorflow/importer.js'), import('../formats/tfjs/export.js')]);
  return exportTfjsGraphModel(await readTensorFlowPackage(files, config), { inputs: config.inputSpec, outputs: config.outputSpec });
}
