import { NeuropodError } from '../../api/errors.js';
import type { Graph, Model, ValueInfo } from '../../graph/ir.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { StateBinding } from '../importer.js';
import { dependencyOrder, edgesOf, GraphBuilder, NodeLowering, producerOf, type TfNode } from './builder.js';
import { loweringFor, type Lowering } from './ops.js';
import { CONTRIB_DOMAIN } from './ops-string.js';
import type { TableContents } from './ops-table.js';
import { collapseControlFlow } from './control-flow.js';
import { foldTransposes } from './transpose-folding.js';

/** StringConcat, the newest op a lowering emits, is opset 20. */
export const TF_OPSET = 20;

/** A spec name and the TF tensor ("scope/op:0") it stands for. */
export interface TensorBinding {
  name: string;
  tensor: string;
}

export interface TfGraphRequest {
  nodes: TfNode[];
  inputs: TensorBinding[];
  outputs: TensorBinding[];
  /** Where the graph came from, for messages. */
  source: string;
  /** TF.js Const values by node name. */
  weights?: Map<string, Tensor>;
  /** The value a variable holds after loading (restored from a checkpoint or set by init ops). */
  variableValue?: (variable: string) => Tensor | undefined;
  producer: string;
  /** What the init ops put in a hash table (HashTableV2 node name). */
  tableContents?: (table: string) => TableContents | undefined;
  /** Lowerings for ops the caller makes up (Keras layers with no TF op), beside the TF table. */
  extraOps?: Record<string, Lowering>;
}

export interface LoweredTfGraph {
  model: Model;
  state: StateBinding[];
}

/** Lowers the part of a TF graph that the requested outputs need to one IR model named by the spec. */
export function lowerTfGraph(req: TfGraphRequest): LoweredTfGraph {
  const all = new Map(req.nodes.map((n) => [n.name, n]));
  for (const b of [...req.inputs, ...req.outputs]) {
    if (!all.has(producerOf(b.tensor))) {
      throw new NeuropodError('MODEL_INVALID', `${req.source}: '${b.name}' maps to tensor '${b.tensor}', and the graph has no node '${producerOf(b.tensor)}'`);
    }
  }
  const fed = new Set(req.inputs.map((i) => producerOf(i.tensor)));
  // Control flow is analysed on what the outputs need only: a training loop left in the graph does not matter.
  const nodes = collapseControlFlow(reachable(all, req.outputs.map((o) => producerOf(o.tensor)), fed));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const b of req.outputs) {
    if (!byName.has(producerOf(b.tensor))) {
      throw new NeuropodError('OP_UNSUPPORTED', `${req.source}: '${b.name}' maps to tensor '${b.tensor}', inside a while loop or cond; only a loop's Exit or a cond's Merge can be read outside it`);
    }
  }
  // Nodes the outputs need (data and control edges), dependencies first; feeds cut the walk.
  const order = dependencyOrder(byName, req.outputs.map((o) => producerOf(o.tensor)), {
    edges: (node) => (fed.has(node.name) ? [] : edgesOf(node)),
    missing: (from, name) => {
      throw new NeuropodError('MODEL_INVALID', `node '${from.name}' reads '${name}', which the graph does not have`);
    },
    cycle: (name) => new NeuropodError('MODEL_INVALID', `the graph has a cycle through node '${name}' (not a TF1 while loop)`),
  });
  const lowering = (node: TfNode) => req.extraOps?.[node.op] ?? loweringFor(node.op, node.name);
  for (const node of order) lowering(node);
  const builder = new GraphBuilder(req.source);
  builder.lowerer = lowering;
  if (req.tableContents) builder.tableContents = req.tableContents;
  for (const [k, v] of req.weights ?? []) builder.weights.set(k, v);
  for (const b of req.inputs) builder.feeds.set(b.tensor, b.name);
  for (const node of order) lowering(node)(new NodeLowering(builder, node));
  addUnusedInputs(builder, req.inputs, all);
  const outputs = req.outputs.map((o) => bindOutput(builder, o));
  const state = bindVariables(builder, req);
  const graph = builder.graph(req.producer, [...outputs, ...state.map((s) => ({ name: s.output }))]);
  foldTransposes(graph);
  const opsets = new Map([['', TF_OPSET]]);
  if (usesDomain(graph, 'ai.onnx.ml')) opsets.set('ai.onnx.ml', ML_OPSET);
  if (usesDomain(graph, CONTRIB_DOMAIN)) opsets.set(CONTRIB_DOMAIN, 1);
  return { model: { graph, opsets, metadata: { source: req.source, producer: req.producer } }, state };
}

/** LabelEncoder with keys_* / values_* attributes, what hash table lookups lower to, is ai.onnx.ml 2. */
const ML_OPSET = 2;

function usesDomain(graph: Graph, domain: string): boolean {
  return graph.nodes.some((n) => n.domain === domain || [...n.attributes.values()].some((a) => a.type === 'graph' && usesDomain(a.value, domain)));
}

/** The nodes the roots reach back through data and control edges (loop back edges too), in graph order; feeds cut the walk. */
function reachable(byName: Map<string, TfNode>, roots: string[], fed: Set<string>): TfNode[] {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const name = stack.pop()!;
    const node = byName.get(name);
    if (!node || seen.has(name)) continue;
    seen.add(name);
    if (!fed.has(name)) stack.push(...node.inputs.map(producerOf), ...node.controls);
  }
  return [...byName.values()].filter((n) => seen.has(n.name));
}

/** A spec input the outputs do not read is still a graph input, so feeding it is not an error. */
function addUnusedInputs(builder: GraphBuilder, inputs: TensorBinding[], byName: Map<string, TfNode>): void {
  const present = new Set(builder.inputs.map((i) => i.name));
  for (const b of inputs) {
    if (present.has(b.name)) continue;
    const node = new NodeLowering(builder, byName.get(producerOf(b.tensor))!);
    builder.addInput(b.name, node.attrs.has('dtype') ? node.attrs.dtype('dtype') : 'float32', node.attrs.shape('shape')?.map((d) => (d < 0 ? null : d)));
  }
}

/** The spec name becomes the name of the value itself where it can, else an Identity gives it. */
function bindOutput(builder: GraphBuilder, output: TensorBinding): ValueInfo {
  const value = builder.valueOf(output.tensor);
  const producer = builder.nodes.find((n) => n.outputs.includes(value));
  const isInput = builder.inputs.some((i) => i.name === value);
  if (producer && !isInput && !builder.initializers.has(value)) {
    builder.rename(value, output.name);
  } else {
    builder.addNode('Identity', [value], [output.name], {}, `${output.name}/identity`);
  }
  return { name: output.name };
}

/**
 * A variable no op assigns is a constant. An assigned one is state: the runtime feeds its value as the input
 * `state:<variable>` and takes the value after the run from `state:<variable>:new`.
 */
function bindVariables(builder: GraphBuilder, req: TfGraphRequest): StateBinding[] {
  const state: StateBinding[] = [];
  for (const flow of builder.variables.values()) {
    const initial = req.variableValue?.(flow.name);
    if (!initial) throw new NeuropodError('MODEL_INVALID', `${req.source}: variable '${flow.name}' has no value: no init op assigns it a constant and no checkpoint holds it`);
    const at = builder.inputs.findIndex((i) => i.name === flow.input);
    builder.inputs.splice(at, 1);
    if (!flow.mutated) {
      builder.initializers.set(flow.input, initial);
      continue;
    }
    const output = `${flow.input}:new`;
    builder.addNode('Identity', [flow.current], [output], {}, `${flow.name}/new_value`);
    builder.inputs.push({ name: flow.input, type: { kind: 'tensor', dtype: flow.dtype } });
    state.push({ input: flow.input, output, initial });
  }
  return state;
}
