/**
 * Rewrites for backends with fused epilogues (the wasm GEMM/Conv clamp their output as they store it):
 * - Conv followed by an inference BatchNormalization on constants becomes one Conv with the normalization folded
 *   into its weights and bias: W'[m] = W[m]·s[m], B'[m] = (B[m] - mean[m])·s[m] + beta[m], s = gamma / sqrt(var + eps)
 *   (the ONNX BatchNormalization formula, computed in float64 and stored as float32);
 * - Conv (or Gemm) followed by Relu or a Clip with constant bounds becomes com.microsoft FusedConv (FusedGemm) with
 *   that activation, as onnxruntime's own fusion emits.
 * A value is folded away only when its one reader is the next op and it is not a graph output (nor read by a subgraph).
 */
import type { AttributeValue, Graph, Model, Node } from '../ir.js';
import { Tensor } from '../../tensor/tensor.js';

const MS = 'com.microsoft';

function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attributes.values()) {
    if (a.type === 'graph') out.push(a.value);
    else if (a.type === 'graphs') out.push(...a.value);
  }
  return out;
}

/** How many times each value is read: node inputs, graph outputs, and every name a subgraph mentions. */
function readCounts(graph: Graph): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (name: string) => name !== '' && counts.set(name, (counts.get(name) ?? 0) + 1);
  const addSubgraph = (g: Graph) => {
    for (const n of g.nodes) {
      n.inputs.forEach(add);
      subgraphsOf(n).forEach(addSubgraph);
    }
    g.outputs.forEach((o) => add(o.name));
  };
  for (const node of graph.nodes) {
    node.inputs.forEach(add);
    subgraphsOf(node).forEach(addSubgraph);
  }
  graph.outputs.forEach((o) => add(o.name));
  return counts;
}

function f32Constant(graph: Graph, name: string | undefined): Float32Array | undefined {
  const t = name ? graph.initializers.get(name) : undefined;
  return t && t.dtype === 'float32' ? (t.data as Float32Array) : undefined;
}

function attrNumber(node: Node, name: string): number | undefined {
  const a = node.attributes.get(name);
  return a && (a.type === 'float' || a.type === 'int') ? a.value : undefined;
}

/** Conv + BatchNormalization folded into new Conv initializers; undefined when one of them is not a constant. */
function foldBatchNorm(graph: Graph, conv: Node, bn: Node, fresh: (base: string) => string): Node | undefined {
  const w = f32Constant(graph, conv.inputs[1]), wt = graph.initializers.get(conv.inputs[1]!);
  const hasBias = (conv.inputs[2] ?? '') !== '', b = hasBias ? f32Constant(graph, conv.inputs[2]) : undefined;
  const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => f32Constant(graph, n));
  if (!w || !wt || (hasBias && !b) || !gamma || !beta || !mean || !variance) return undefined;
  if ((attrNumber(bn, 'training_mode') ?? 0) !== 0 || (attrNumber(bn, 'spatial') ?? 1) !== 1) return undefined;
  if (bn.outputs.slice(1).some((o) => o !== '')) return undefined;
  const m = wt.shape[0]!, per = w.length / m, eps = attrNumber(bn, 'epsilon') ?? 1e-5;
  if ([gamma, beta, mean, variance].some((v) => v.length !== m) || (b && b.length !== m)) return undefined;
  const w2 = new Float32Array(w.length), b2 = new Float32Array(m);
  for (let o = 0; o < m; o++) {
    const s = gamma[o]! / Math.sqrt(variance[o]! + eps);
    for (let i = 0; i < per; i++) w2[o * per + i] = w[o * per + i]! * s;
    b2[o] = ((b ? b[o]! : 0) - mean[o]!) * s + beta[o]!;
  }
  const wName = fresh(`${conv.inputs[1]}_bn`), bName = fresh(`${conv.inputs[1]}_bn_bias`);
  graph.initializers.set(wName, new Tensor('float32', [...wt.shape], w2));
  graph.initializers.set(bName, new Tensor('float32', [m], b2));
  return { ...conv, inputs: [conv.inputs[0]!, wName, bName], outputs: [...bn.outputs.slice(0, 1)] };
}

/** The [lo, hi] of a Relu or a Clip whose bounds are constants (attributes before opset 11, inputs after). */
function clampOf(graph: Graph, act: Node): [number, number] | undefined {
  if (act.domain !== '' && act.domain !== 'ai.onnx') return undefined;
  if (act.opType === 'Relu') return [0, Infinity];
  if (act.opType !== 'Clip') return undefined;
  const bound = (i: number, attr: string, fallback: number): number | undefined => {
    const name = act.inputs[i] ?? '';
    if (name === '') return attrNumber(act, attr) ?? fallback;
    const v = f32Constant(graph, name);
    return v && v.length === 1 ? v[0]! : undefined;
  };
  const lo = bound(1, 'min', -Infinity), hi = bound(2, 'max', Infinity);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

function fuseActivation(node: Node, act: Node, [lo, hi]: [number, number]): Node {
  const attributes = new Map<string, AttributeValue>(node.attributes);
  const name = act.opType === 'Relu' ? 'Relu' : 'Clip';
  attributes.set('activation', { type: 'string', value: name });
  if (node.opType === 'Conv') {
    if (name === 'Clip') attributes.set('activation_params', { type: 'floats', value: [lo, hi] });
    return { ...node, opType: 'FusedConv', domain: MS, outputs: [...act.outputs], attributes };
  }
  if (name === 'Clip') {
    attributes.set('activation_alpha', { type: 'float', value: lo });
    attributes.set('activation_beta', { type: 'float', value: hi });
  }
  return { ...node, opType: 'FusedGemm', domain: MS, outputs: [...act.outputs], attributes };
}

/** The model with its Conv+BatchNormalization and Conv/Gemm+Relu/Clip pairs fused; the input model is not changed. */
export function fuseConvEpilogues(model: Model): Model {
  const src = model.graph;
  const graph: Graph = { ...src, initializers: new Map(src.initializers), nodes: [] };
  const reads = readCounts(src);
  const producerAt = new Map<string, number>();
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; graph.initializers.has(name); i++) name = `${base}_${i}`;
    return name;
  };
  for (const node of src.nodes) {
    const prevIndex = node.inputs[0] ? producerAt.get(node.inputs[0]) : undefined;
    const prev = prevIndex === undefined ? undefined : graph.nodes[prevIndex];
    const onlyReader = prev && prev.outputs.length === 1 && reads.get(prev.outputs[0]!) === 1;
    let merged: Node | undefined;
    if (onlyReader && prev.opType === 'Conv' && prev.domain === '' && node.opType === 'BatchNormalization' && node.domain === '') {
      merged = foldBatchNorm(graph, prev, node, fresh);
    } else if (onlyReader && (prev.opType === 'Conv' || prev.opType === 'Gemm') && prev.domain === '') {
      const clamp = clampOf(graph, node);
      if (clamp) merged = fuseActivation(prev, node, clamp);
    }
    if (merged) {
      graph.nodes[prevIndex!] = merged;
      for (const o of merged.outputs) producerAt.set(o, prevIndex!);
      continue;
    }
    graph.nodes.push(node);
    for (const o of node.outputs) producerAt.set(o, graph.nodes.length - 1);
  }
  dropUnread(graph);
  return { ...model, graph };
}

/** Removes initializers the rewrite left without a reader (the unfolded weights). */
function dropUnread(graph: Graph): void {
  const reads = readCounts(graph);
  for (const name of [...graph.initializers.keys()]) if (!reads.has(name)) graph.initializers.delete(name);
}
