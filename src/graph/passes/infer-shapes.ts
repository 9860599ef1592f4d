import { referenceKernels } from '../../../kernels/index.js';
import type { KernelDef, KernelTable, ShapeContext, ShapeInfo } from '../../../kernels/registry.js';
import { ELEMENTS_LIMIT, INTEGER_DTYPES, dimProduct, infoOfTensor, knownDims } from '../../../kernels/shape-rules.js';
import { GraphExecutor, opsetFor, subgraphsOf, topologicalOrder, usedNames } from '../../runtime/executor.js';
import { Tensor } from '../../tensor/tensor.js';
import { AttributeReader } from '../attributes.js';
import type { Graph, Model, Node, ValueType } from '../ir.js';

/** What planning learnt of a graph's values. */
export interface ShapeInference {
  /** Every tensor value's dtype and dims by name (graph inputs, initializers, node outputs); absent when unknown. */
  infos: Map<string, ShapeInfo>;
  /** Values known before any input arrives: initializers, Constant outputs, nodes computed from those. */
  constants: Map<string, Tensor>;
  /** Constants that came from inferred dims (Shape of a value of known shape): true when there is any. They hold only while the graph inputs have their declared dims. */
  assumesInputDims: boolean;
}

export interface InferOptions {
  kernels?: KernelTable;
  /** Types to use for graph inputs instead of the declared ones (the shapes of actual feeds). */
  inputs?: ReadonlyMap<string, ShapeInfo>;
  /** Compute nodes whose inputs are all constants, on the reference kernels (default true). */
  evaluate?: boolean;
}

/** Ops whose output is not a function of their inputs: never computed at planning time. */
const NONDETERMINISTIC = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial']);
/** A node computed at planning time may not grow the model past this many elements (ConstantOfShape, Expand, Tile, Range). */
export const FOLD_ELEMENTS_LIMIT = 1 << 20;

export function infoOfType(type: ValueType | undefined): ShapeInfo | undefined {
  if (type?.kind !== 'tensor') return undefined;
  return { dtype: type.dtype, dims: type.shape ? [...type.shape] : undefined };
}

/**
 * Shape and type inference over the main graph, in topological order: each node's kernel `shape` function maps
 * its inputs' infos to its outputs'; a node without one, or whose rule fails, leaves its outputs unknown. Nodes
 * whose inputs are all constants are computed once instead (so Reshape sees its shape), and small integer
 * results of shape arithmetic on known dims become constants too.
 */
export function inferShapes(model: Model, options: InferOptions = {}): ShapeInference {
  const graph = model.graph;
  const result: ShapeInference = { infos: new Map(), constants: new Map(), assumesInputDims: false };
  const walk: Walk = { model, kernels: options.kernels ?? referenceKernels, evaluate: options.evaluate ?? true };
  const inputs = graph.inputs.map((input) => options.inputs?.get(input.name) ?? infoOfType(input.type));
  walkGraph(graph, inputs, walk, result);
  return result;
}

interface Walk {
  model: Model;
  kernels: KernelTable;
  evaluate: boolean;
}

/** Infers `graph`'s values into `result` (which holds the enclosing scopes' values for a subgraph). */
function walkGraph(graph: Graph, inputs: (ShapeInfo | undefined)[], walk: Walk, result: ShapeInference): void {
  const overridable = new Set(initializersOverridable(walk.model) ? graph.inputs.map((i) => i.name) : []);
  for (const [name, t] of graph.initializers) {
    // An initializer that is also a graph input is only a default the caller may override.
    if (overridable.has(name)) result.infos.set(name, { dtype: t.dtype, dims: [...t.shape] });
    else {
      result.constants.set(name, t);
      result.infos.set(name, infoOfTensor(t));
    }
  }
  graph.inputs.forEach((input, i) => {
    if (graph.initializers.has(input.name) && !overridable.has(input.name)) return;
    const info = inputs[i];
    if (info) result.infos.set(input.name, info);
    else result.infos.delete(input.name);
    result.constants.delete(input.name);
  });
  const everything = graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== ''));
  for (const node of topologicalOrder(graph, everything)) {
    const kernel = walk.kernels.find(node.domain, node.opType, opsetFor(walk.model.opsets, node.domain));
    if (kernel) inferNode(node, kernel, walk, result);
  }
}

/**
 * Whether a graph input's initializer is a default the caller may override: from ONNX IR version 4 on. Before
 * it every initializer had to be listed as an input, so there they are constants (as onnxruntime treats them).
 */
export function initializersOverridable(model: Model): boolean {
  const ir = model.metadata?.format === 'onnx' ? Number(model.metadata.ir_version) : NaN;
  return !(ir > 0 && ir < 4);
}

/** A subgraph's output infos, its inputs given, the enclosing values in scope (a copy: the body's names stay inside). */
function inferSubgraph(graph: Graph, inputs: (ShapeInfo | undefined)[], walk: Walk, outer: ShapeInference): (ShapeInfo | undefined)[] {
  const inner: ShapeInference = { infos: new Map(outer.infos), constants: new Map(outer.constants), assumesInputDims: false };
  walkGraph(graph, inputs, walk, inner);
  outer.assumesInputDims ||= inner.assumesInputDims;
  return graph.outputs.map((o) => inner.infos.get(o.name));
}

function inferNode(node: Node, kernel: KernelDef, walk: Walk, result: ShapeInference): void {
  const ctx: ShapeContext = {
    node,
    attrs: new AttributeReader(node.attributes, node),
    opset: opsetFor(walk.model.opsets, node.domain),
    constant: (i) => (node.inputs[i] ? result.constants.get(node.inputs[i]!) : undefined),
    inferSubgraph: (graph, inputs) => inferSubgraph(graph, inputs, walk, result),
  };
  const inputs = node.inputs.map((n) => (n === '' ? undefined : result.infos.get(n)));
  const predicted = shapesOf(kernel, inputs, ctx);
  if (walk.evaluate && computable(node, result.constants) && withinLimit(predicted) && computeNode(node, walk, result)) return;
  node.outputs.forEach((name, i) => {
    const info = predicted[i];
    if (name === '' || !info) return;
    result.infos.set(name, info);
    const t = walk.evaluate ? tensorOfElements(info) : undefined;
    if (t) {
      result.constants.set(name, t);
      result.assumesInputDims = true;
    }
  });
}

/** A shape rule that throws met a model it cannot reason about (or a broken one): the outputs stay unknown and running reports the fault. */
function shapesOf(kernel: KernelDef, inputs: (ShapeInfo | undefined)[], ctx: ShapeContext): (ShapeInfo | undefined)[] {
  if (!kernel.shape) return [];
  try {
    return kernel.shape(inputs, ctx);
  } catch {
    return [];
  }
}

function computable(node: Node, constants: Map<string, Tensor>): boolean {
  if (!deterministic(node)) return false;
  return usedNames(node).every((n) => constants.has(n));
}

function deterministic(node: Node): boolean {
  if (NONDETERMINISTIC.has(node.opType)) return false;
  // Dropout in training mode draws a mask.
  if (node.opType === 'Dropout' && (node.inputs[2] ?? '') !== '') return false;
  return subgraphsOf(node).every((g: Graph) => g.nodes.every(deterministic));
}

function withinLimit(predicted: (ShapeInfo | undefined)[]): boolean {
  return predicted.every((info) => {
    const n = info?.dims ? dimProduct(info.dims) : null;
    return n === null || n <= FOLD_ELEMENTS_LIMIT;
  });
}

/** Runs the node on the reference kernels over the constants; false (nothing recorded) when it fails or makes a non-tensor. */
function computeNode(node: Node, walk: Walk, result: ShapeInference): boolean {
  const wanted = node.outputs.filter((o) => o !== '');
  const single: Model = { graph: { name: node.name, nodes: [node], inputs: [], outputs: wanted.map((name) => ({ name })), initializers: result.constants }, opsets: walk.model.opsets };
  let values: Map<string, unknown>;
  try {
    values = new GraphExecutor(single, walk.kernels).run(new Map(), wanted);
  } catch {
    return false;
  }
  const tensors = wanted.map((n) => values.get(n));
  if (!tensors.every((t): t is Tensor => t instanceof Tensor)) return false;
  const made = tensors.reduce((n, t) => n + t.size, 0);
  const given = node.inputs.reduce((n, name) => n + (result.constants.get(name)?.size ?? 0), 0);
  if (made > FOLD_ELEMENTS_LIMIT && made > given) return false;
  wanted.forEach((name, i) => {
    result.constants.set(name, tensors[i]!);
    result.infos.set(name, infoOfTensor(tensors[i]!));
  });
  return true;
}

/** A small integer tensor whose every element the shape rules know exactly (Shape of a known-shaped value). */
function tensorOfElements(info: ShapeInfo): Tensor | undefined {
  const { dtype, dims, elements } = info;
  if (!dtype || !INTEGER_DTYPES.has(dtype) || !knownDims(dims) || !knownDims(elements) || dims.length > 1) return undefined;
  // Elements are JS numbers: INT64_MAX (a Slice end) is not exact there, so such a vector stays a node.
  if (!elements.every(Number.isSafeInteger)) return undefined;
  if (dimProduct(dims) !== elements.length || elements.length > ELEMENTS_LIMIT) return undefined;
  if (dtype === 'int64') return new Tensor('int64', dims, BigInt64Array.from(elements, BigInt));
  if (dtype === 'int32') return new Tensor('int32', dims, Int32Array.from(elements));
  return undefined;
}
