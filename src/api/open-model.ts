import { readNeuropodConfig } from '../archive/config.js';
import { verifiedByManifest } from '../archive/manifest.js';
import type { FetchOptions } from '../archive/fetch-resource.js';
import { looksLikeZip, openSource, type OpenedSource, type PackageSource } from '../archive/open-package.js';
import type { PackageFiles } from '../archive/package-files.js';
import { zipPackage } from '../archive/zip-package.js';
import type { ImportedModel } from '../formats/importer.js';
import { importerFor } from '../formats/platforms.js';
import { specFromGraph, type GraphTensorSpec } from '../spec/graph-spec.js';
import type { NeuropodConfig } from '../spec/types.js';
import { isNeuropodError, NeuropodError } from './errors.js';
import { throwIfAborted } from './options.js';

/** A package or bare model, read and imported: what a session runs and what `inspect` reports. */
export interface OpenedModel {
  source: string;
  name: string;
  platform: string;
  inputs: GraphTensorSpec[];
  outputs: GraphTensorSpec[];
  /** Undefined when the platform cannot run here yet: `unavailable` says why, and infer() throws it. */
  imported?: ImportedModel;
  unavailable?: NeuropodError;
  /** Bytes of the zip or bare file; undefined for directories. */
  byteLength?: number;
  /** The package's config.json; undefined for a bare model. */
  config?: NeuropodConfig;
  /** test_data.pkl's bytes, undefined when the package has none; absent for a bare model (Model.selfTest). */
  readTestData?: () => Promise<Uint8Array | undefined>;
}

/**
 * A directory is a package; bytes starting like a zip are a package; other bytes are a bare model: a TF.js
 * model.json when they are JSON naming modelTopology or weightsManifest, otherwise an ONNX file.
 */
export async function openModel(source: PackageSource, options: FetchOptions = {}): Promise<OpenedModel> {
  const { signal } = options;
  const opened = await openSource(source, options);
  throwIfAborted(signal, 'load()');
  if (opened.kind === 'directory') return openPackageModel(opened.files, signal);
  if (looksLikeZip(opened.bytes)) return { ...(await openPackageModel(zipPackage(opened.bytes, opened.source), signal)), byteLength: opened.bytes.length };
  const bare = isTfjsModelJson(opened.bytes) ? await openBareTfjs(opened) : await openBareOnnx(opened);
  return { ...bare, byteLength: opened.bytes.length };
}

async function openPackageModel(raw: PackageFiles, signal?: AbortSignal): Promise<OpenedModel> {
  const files = await verifiedByManifest(raw);
  const config = await readNeuropodConfig(files);
  if (config.customOps.length) {
    throw new NeuropodError(
      'CUSTOM_OPS_UNSUPPORTED',
      `${files.source} needs native custom ops (${config.customOps.join(', ')} in 0/ops), which cannot be loaded in a browser or by this engine. ` +
        'Package the model without custom ops, or export it to ONNX with those ops expressed in standard operators.',
    );
  }
  const opened = { source: files.source, name: config.name, platform: config.platform, inputs: config.inputSpec, outputs: config.outputSpec, config, readTestData: testDataReader(files) };
  try {
    const imported = await (await importerFor(config.platform))(files, config);
    throwIfAborted(signal, 'load()');
    return { ...opened, imported };
  } catch (e) {
    // The package is sound and its spec readable; only running it is out of reach, so that waits for infer().
    if (isNeuropodError(e) && e.code === 'PLATFORM_UNSUPPORTED') return { ...opened, unavailable: e };
    throw e;
  }
}

/** Read only when asked: test data can be large, and probing a directory URL costs a request. */
function testDataReader(files: PackageFiles): () => Promise<Uint8Array | undefined> {
  return async () => ((await files.has('test_data.pkl')) ? files.read('test_data.pkl') : undefined);
}

async function openBareOnnx(opened: Extract<OpenedSource, { kind: 'file' }>): Promise<Omit<OpenedModel, 'byteLength'>> {
  const { decodeOnnxModel } = await import('../formats/onnx/decode.js');
  let model;
  try {
    model = await decodeOnnxModel(opened.bytes, { source: opened.source, externalData: opened.sibling });
  } catch (e) {
    if (isNeuropodError(e) && e.code === 'MODEL_INVALID') {
      throw new NeuropodError(
        'ARCHIVE_INVALID',
        `${opened.source} is not a Neuropod package (not a zip: it does not start with PK\\x03\\x04, and not a directory) nor a model file this engine reads bare (ONNX, TF.js model.json): ${e.message}`,
        { cause: e },
      );
    }
    throw e;
  }
  const spec = specFromGraph(model.graph);
  return { source: opened.source, name: bareName(opened.fileName, model.graph.name), platform: 'onnx', ...spec, imported: { model } };
}

/** A TF.js model.json on its own: its weight shards are read beside it; its spec is the one the tfjs importer reads from it. */
async function openBareTfjs(opened: Extract<OpenedSource, { kind: 'file' }>): Promise<Omit<OpenedModel, 'byteLength'>> {
  const { importTfjsModelJson } = await import('../formats/tfjs/importer.js');
  const readShard = (path: string): Promise<Uint8Array> => {
    if (!opened.sibling) throw new NeuropodError('ARCHIVE_ENTRY_MISSING', `${opened.source} has no location, so its weight file '${path}' cannot be read; load the model.json by path or URL`);
    return opened.sibling(path.replace(/^\.\//, ''));
  };
  const { model, spec, state } = await importTfjsModelJson(JSON.parse(new TextDecoder().decode(opened.bytes)), readShard, opened.source);
  const folder = opened.source.split(/[\\/]/).slice(-2, -1)[0];
  const name = bareName(opened.fileName === 'model.json' && folder ? folder : opened.fileName, '');
  return { source: opened.source, name, platform: 'tfjs', inputs: spec.inputs, outputs: spec.outputs, imported: { model, state } };
}

function isTfjsModelJson(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b) return false;
  try {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    return json !== null && typeof json === 'object' && ('modelTopology' in json || 'weightsManifest' in json);
  } catch {
    return false;
  }
}

/** The file name without its extension, else the graph's name, else 'model'. */
function bareName(fileName: string, graphName: string): string {
  const stem = fileName.replace(/\.[^.]*$/, '');
  return stem && stem !== 'model' ? stem : graphName || stem || 'model';
}
