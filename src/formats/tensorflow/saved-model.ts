import { NeuropodError } from '../../api/errors.js';
import type { PackageFiles } from '../../archive/package-files.js';
import type { NeuropodConfig, TensorSpec } from '../../spec/types.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ImportedModel } from '../importer.js';
import { producerOf, type TfNode } from './builder.js';
import { initialTables } from './frozen-graph.js';
import { decodeMessage, graphNodes } from './graph-def.js';
import { lowerTfGraph, type TensorBinding, type TfGraphRequest } from './lower.js';
import { SavedModelType, type SavedModelMsg, type TensorInfoMsg } from './schema.js';
import { readBundleTensor, readTensorBundleIndex, shardFileName } from './tensor-bundle.js';
import { tensorFromTfProto } from './tensor-proto.js';

export const SAVED_MODEL_DIR = '0/data/savedmodel';
export const SAVED_MODEL_PATH = `${SAVED_MODEL_DIR}/saved_model.pb`;
const SERVE_TAG = 'serve';
const SIGNATURE = 'serving_default';
const INIT_SIGNATURE = '__saved_model_init_op';

export interface SavedModelOptions {
  name?: string;
  /** The spec: its names are the signature's keys. Absent: every key of the signature, sorted. */
  inputs?: TensorSpec[];
  outputs?: TensorSpec[];
  signature?: string;
}

/**
 * A SavedModel directory: the `serve` MetaGraph, its `serving_default` SignatureDef as the name mapping, TF2
 * function calls inlined, and variables restored from the checkpoint under variables/.
 */
export async function importSavedModel(files: PackageFiles, dir: string, opts: SavedModelOptions = {}): Promise<ImportedModel & { signature: { inputs: string[]; outputs: string[] } }> {
  const req = await readSavedModel(files, dir, opts);
  return { ...lowerTfGraph(req), signature: { inputs: req.inputs.map((b) => b.name), outputs: req.outputs.map((b) => b.name) } };
}

/** The serving graph as TF nodes, the signature bound to its tensors and variables restored: what lowering and export read. */
export async function readSavedModel(files: PackageFiles, dir: string, opts: SavedModelOptions = {}): Promise<TfGraphRequest> {
  const path = (p: string) => (dir ? `${dir}/${p}` : p);
  const where = `${path('saved_model.pb')} in ${files.source}`;
  const saved = decodeMessage<SavedModelMsg>(SavedModelType, await files.read(path('saved_model.pb')), where);
  const meta = saved.metaGraphs.find((m) => m.metaInfoDef?.tags.includes(SERVE_TAG));
  if (!meta?.graphDef) throw new NeuropodError('MODEL_INVALID', `${where} has no MetaGraph tagged '${SERVE_TAG}'`);
  const signatureName = opts.signature ?? SIGNATURE;
  const signature = meta.signatureDef[signatureName];
  if (!signature) throw new NeuropodError('MODEL_INVALID', `${where} has no SignatureDef '${signatureName}' (it has: ${Object.keys(meta.signatureDef).join(', ')})`);
  const nodes = graphNodes(meta.graphDef);
  const inputs = bindSignature(signature.inputs, opts.inputs, `${where} signature '${signatureName}' inputs`);
  const outputs = bindSignature(signature.outputs, opts.outputs, `${where} signature '${signatureName}' outputs`);
  const keys = checkpointKeys(nodes);
  const bundle = await openCheckpoint(files, path('variables/variables'));
  const values = new Map<string, Tensor>();
  for (const [variable, key] of keys) {
    const value = await bundle?.(key);
    if (value) values.set(variable, value);
  }
  // TF2 SavedModels initialize their tables from the op the __saved_model_init_op signature names.
  const initOps = Object.values(meta.signatureDef[INIT_SIGNATURE]?.outputs ?? {}).map((t) => producerOf(t.name));
  const tables = initialTables(nodes, initOps);
  return { nodes, inputs, outputs, source: where, variableValue: (v) => values.get(v), tableContents: (t) => tables.get(t), producer: opts.name ?? signatureName };
}

function bindSignature(infos: Record<string, TensorInfoMsg>, specs: TensorSpec[] | undefined, where: string): TensorBinding[] {
  const names = specs ? specs.map((s) => s.name) : Object.keys(infos).sort();
  return names.map((name) => {
    const info = infos[name];
    if (!info) throw new NeuropodError('CONFIG_INVALID', `${where}: the spec names '${name}', which the signature does not have (it has: ${Object.keys(infos).join(', ')})`);
    return { name, tensor: info.name };
  });
}

/** Reads checkpoint tensors by key; undefined when the SavedModel has no variables. */
async function openCheckpoint(files: PackageFiles, prefix: string): Promise<((key: string) => Promise<Tensor | undefined>) | undefined> {
  if (!(await files.has(`${prefix}.index`))) return undefined;
  const where = `${prefix}.index in ${files.source}`;
  const bundle = readTensorBundleIndex(await files.read(`${prefix}.index`), where);
  const shards = new Map<number, Uint8Array>();
  return async (key) => {
    const entry = bundle.entries.get(key);
    if (!entry) return undefined;
    let shard = shards.get(entry.shardId);
    if (!shard) shards.set(entry.shardId, (shard = await files.read(shardFileName(prefix, entry.shardId, bundle.header.numShards || 1))));
    return readBundleTensor(entry, shard, key);
  };
}

const PASS_THROUGH = new Set(['Identity', 'IdentityN', 'Snapshot']);
const VARIABLE_OPS = new Set(['VarHandleOp', 'VariableV2', 'Variable']);

/**
 * Which checkpoint key restores each variable: the saver's restore graph assigns RestoreV2's outputs to the
 * variables, and RestoreV2's tensor_names constant names the keys in output order.
 */
function checkpointKeys(nodes: TfNode[]): Map<string, string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const trace = (tensor: string): [TfNode | undefined, number] => {
    let node = byName.get(producerOf(tensor));
    let index = Number(/:(\d+)$/.exec(tensor)?.[1] ?? 0);
    while (node && PASS_THROUGH.has(node.op)) {
      const next = node.op === 'IdentityN' ? node.inputs[index]! : node.inputs[0]!;
      index = Number(/:(\d+)$/.exec(next)?.[1] ?? 0);
      node = byName.get(producerOf(next));
    }
    return [node, index];
  };
  const keys = new Map<string, string>();
  for (const node of nodes) {
    if (node.op !== 'AssignVariableOp' && node.op !== 'Assign') continue;
    const [variable] = trace(node.inputs[0]!);
    const [restore, index] = trace(node.inputs[1]!);
    if (!variable || !VARIABLE_OPS.has(variable.op) || restore?.op !== 'RestoreV2') continue;
    const [names] = trace(restore.inputs[1]!);
    const tensor = names?.attr.value?.tensor;
    if (names?.op !== 'Const' || !tensor) continue;
    const key = tensorFromTfProto(tensor, `Const node '${names.name}'`).strings[index];
    if (key !== undefined) keys.set(variable.name, key);
  }
  return keys;
}
