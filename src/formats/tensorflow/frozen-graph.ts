import { NeuropodError } from '../../api/errors.js';
import type { PackageFiles } from '../../archive/package-files.js';
import type { NeuropodConfig, TensorSpec } from '../../spec/types.js';
import type { Tensor } from '../../tensor/tensor.js';
import { producerOf, tensorName, type TfNode } from './builder.js';
import { decodeMessage, graphNodes } from './graph-def.js';
import type { TensorBinding, TfGraphRequest } from './lower.js';
import type { TableContents } from './ops-table.js';
import { GraphDefType, type GraphDefMsg } from './schema.js';
import { tensorFromTfProto } from './tensor-proto.js';

export const FROZEN_GRAPH_PATH = '0/data/model.pb';
const BACKEND_CONFIG_PATH = '0/config.json';

/** 0/config.json of a TensorFlow package (NEUROPOD-FORMAT.md section 1). */
interface BackendConfig {
  node_name_mapping: Record<string, string>;
  /** A list, or `{}` in old files. */
  init_op_names: string[];
}

async function readBackendConfig(files: PackageFiles): Promise<BackendConfig> {
  const where = `${BACKEND_CONFIG_PATH} in ${files.source}`;
  let raw: unknown;
  try {
    raw = JSON.parse(await files.readText(BACKEND_CONFIG_PATH));
  } catch (e) {
    if (e instanceof SyntaxError) throw new NeuropodError('CONFIG_INVALID', `${where} is not JSON: ${e.message}`, { cause: e });
    throw e;
  }
  const config = (raw ?? {}) as Partial<Record<keyof BackendConfig, unknown>>;
  const mapping = config.node_name_mapping;
  if (!mapping || typeof mapping !== 'object') throw new NeuropodError('CONFIG_INVALID', `${where} has no node_name_mapping object`);
  const init = Array.isArray(config.init_op_names) ? config.init_op_names.map(String) : [];
  return { node_name_mapping: mapping as Record<string, string>, init_op_names: init };
}

function bindSpecs(specs: TensorSpec[], mapping: Record<string, string>, where: string): TensorBinding[] {
  return specs.map((spec) => {
    const target = mapping[spec.name];
    if (typeof target !== 'string') throw new NeuropodError('CONFIG_INVALID', `${where}: node_name_mapping has no entry for '${spec.name}'`);
    return { name: spec.name, tensor: tensorName(target) };
  });
}

/**
 * A frozen GraphDef package as TF nodes, names through node_name_mapping and variables initialised by
 * init_op_names: what the IR lowering and the TF.js export read.
 */
export async function readFrozenGraph(files: PackageFiles, config: NeuropodConfig): Promise<TfGraphRequest> {
  const backend = await readBackendConfig(files);
  const where = `${FROZEN_GRAPH_PATH} in ${files.source}`;
  const graph = decodeMessage<GraphDefMsg>(GraphDefType, await files.read(FROZEN_GRAPH_PATH), where);
  const nodes = graphNodes(graph);
  const mappingWhere = `${BACKEND_CONFIG_PATH} in ${files.source}`;
  const initial = initialValues(nodes, backend.init_op_names);
  const tables = initialTables(nodes, backend.init_op_names);
  return {
    nodes,
    inputs: bindSpecs(config.inputSpec, backend.node_name_mapping, mappingWhere),
    outputs: bindSpecs(config.outputSpec, backend.node_name_mapping, mappingWhere),
    source: where,
    variableValue: (v) => initial.get(v),
    tableContents: (t) => tables.get(t),
    producer: config.name,
  };
}

const VARIABLE_OPS = new Set(['VariableV2', 'Variable', 'VarHandleOp']);
const PASS_THROUGH = new Set(['Identity', 'Snapshot']);

/**
 * Values the init ops give variables: an Assign (or AssignVariableOp) of a constant that the init ops reach. A
 * computed initial value (a random initializer) is not evaluated at load, so its variable has no value here.
 */
export function initialValues(nodes: TfNode[], initOps: string[]): Map<string, Tensor> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const trace = (tensor: string): TfNode | undefined => {
    let node = byName.get(producerOf(tensor));
    while (node && PASS_THROUGH.has(node.op)) node = byName.get(producerOf(node.inputs[0]!));
    return node;
  };
  const values = new Map<string, Tensor>();
  const seen = new Set<string>();
  const stack = [...initOps];
  while (stack.length) {
    const node = byName.get(stack.pop()!);
    if (!node || seen.has(node.name)) continue;
    seen.add(node.name);
    stack.push(...node.inputs.map(producerOf), ...node.controls);
    if (node.op !== 'Assign' && node.op !== 'AssignVariableOp') continue;
    const target = trace(node.inputs[0]!);
    const value = trace(node.inputs[1]!);
    if (target && VARIABLE_OPS.has(target.op) && value?.op === 'Const' && value.attr.value?.tensor) {
      values.set(target.name, tensorFromTfProto(value.attr.value.tensor, `Const node '${value.name}'`));
    }
  }
  return values;
}

const TABLE_OPS = new Set(['HashTableV2', 'HashTable']);
const TABLE_INITIALIZERS = new Set(['InitializeTableV2', 'InitializeTable', 'LookupTableImportV2']);

/** What the init ops put in hash tables: an InitializeTableV2 (or LookupTableImportV2) of constant keys and values they reach. */
export function initialTables(nodes: TfNode[], initOps: string[]): Map<string, TableContents> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const trace = (tensor: string): TfNode | undefined => {
    let node = byName.get(producerOf(tensor));
    while (node && (PASS_THROUGH.has(node.op) || node.op === 'IdentityN')) {
      const index = Number(/:(\d+)$/.exec(tensor)?.[1] ?? 0);
      tensor = node.op === 'IdentityN' ? node.inputs[index]! : node.inputs[0]!;
      node = byName.get(producerOf(tensor));
    }
    return node;
  };
  const tables = new Map<string, TableContents>();
  const seen = new Set<string>();
  const stack = [...initOps];
  while (stack.length) {
    const node = byName.get(stack.pop()!);
    if (!node || seen.has(node.name)) continue;
    seen.add(node.name);
    stack.push(...node.inputs.map(producerOf), ...node.controls);
    if (!TABLE_INITIALIZERS.has(node.op)) continue;
    const [table, keys, values] = node.inputs.map(trace);
    const constant = (n: TfNode | undefined) => (n?.op === 'Const' && n.attr.value?.tensor ? tensorFromTfProto(n.attr.value.tensor, `Const node '${n.name}'`) : undefined);
    const k = constant(keys), v = constant(values);
    if (!table || !TABLE_OPS.has(table.op)) continue;
    if (!k || !v) throw new NeuropodError('OP_UNSUPPORTED', `${node.op} node '${node.name}' fills table '${table.name}' from computed keys or values; only constants are read at load`);
    if (k.size !== v.size) throw new NeuropodError('MODEL_INVALID', `${node.op} node '${node.name}' gives table '${table.name}' ${k.size} keys and ${v.size} values`);
    tables.set(table.name, { keys: k, values: v });
  }
  return tables;
}
