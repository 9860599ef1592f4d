/**
 * Rewrites for backends with fused epilogues (the wasm GEMM/Conv clamp their output as they store it):
 * - Conv followed by an inference BatchNormalization on constants becomes one Conv with the normalization folded
 *   into its weights and bias: W'[m] = W[m]·s[m], B'[m] = (B[m] - mean[m])·s[m] + beta[m], s = gamma / sqrt(var + eps)
 *   (the ONNX BatchNormalization formula, computed in float64 and stored as float32);
 * - Conv (or Gemm) followed by Relu or a Clip with constant bounds becomes com.microsoft FusedConv (FusedGemm) with
 *   that activation, as onnxruntime's own fusion emits;
 * - Conv followed by an Add of a residual shaped like its output becomes FusedConv with the residual as Z (and any
 *   Relu/Clip after that Add its activation): act(Conv(X, W, B) + Z), com.microsoft's definition.
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
  if (node.opType === 'Conv' || node.opType === 'FusedConv') {
    if (name === 'Clip') attributes.set('activation_params', { type: 'floats', value: [lo, hi] });
    return { ...node, opType: 'FusedConv', domain: MS, outputs: [...act.outputs], attributes };
  }
  if (name === 'Clip') {
    attributes.set('activation_alpha', { type: 'float', value: lo });
    attributes.set('activation_beta', { type: 'float', value: hi });
  }
  return { ...node, opType: 'FusedGemm', domain: MS, outputs: [...act.outputs], attributes };
}

/** Known numeric dims of a value, from the plan's shape inference. */
export type KnownShapes = ReadonlyMap<string, { dims?: readonly (number | string | null)[] }>;

function sameKnownShape(shapes: KnownShapes | undefined, a: string, b: string): boolean {
  const x = shapes?.get(a)?.dims, y = shapes?.get(b)?.dims;
  return !!x && !!y && x.length === y.length && x.every((d, i) => typeof d === 'number' && d === y[i]);
}

/**
 * Conv + Add of a value shaped like the Conv's output (a residual) becomes FusedConv with that value as Z: the
 * wasm GEMM starts its output from Z + bias. Only for a Conv with more than one input channel per group (a
 * depthwise conv writes its output directly) and constant weights.
 */
function fuseResidual(graph: Graph, conv: Node, add: Node, shapes: KnownShapes | undefined): Node | undefined {
  const w = graph.initializers.get(conv.inputs[1] ?? '');
  if (!w || w.rank < 3 || w.shape[1] === 1) return undefined;
  const z = add.inputs[0] === conv.outputs[0] ? add.inputs[1]! : add.inputs[0]!;
  if (z === conv.outputs[0] || !sameKnownShape(shapes, z, conv.outputs[0]!) || !sameKnownShape(shapes, z, add.outputs[0]!)) return undefined;
  const inputs = [conv.inputs[0]!, conv.inputs[1]!, conv.inputs[2] ?? '', z];
  return { ...conv, opType: 'FusedConv', domain: MS, inputs, outputs: [...add.outputs], attributes: new Map(conv.attributes) };
}

const isFusedConvWithoutActivation = (n: Node) =>
  n.opType === 'FusedConv' && n.domain === MS && (n.attributes.get('activation')?.value ?? '') === '';

/**
 * The model with its Conv+BatchNormalization, Conv+Add (with `shapes`, the plan's inferred shapes) and
 * Conv/Gemm+Relu/Clip pairs fused; the input model is not changed.
 */
export function fuseConvEpilogues(model: Model, shapes?: KnownShapes): Model {
  const src = model.graph;
  const graph: Graph = { ...src, initializers: new Map(src.initializers), nodes: [] };
  const reads = readCounts(src);
  // Slots of fused-away nodes become undefined, so indices stay valid; a node fused with a later one moves there.
  const slots: (Node | undefined)[] = [];
  const producerAt = new Map<string, number>();
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; graph.initializers.has(name); i++) name = `${base}_${i}`;
    return name;
  };
  const soleProducer = (value: string | undefined) => {
    const at = value ? producerAt.get(value) : undefined, prev = at === undefined ? undefined : slots[at];
    return prev && prev.outputs.length === 1 && reads.get(prev.outputs[0]!) === 1 ? { at: at!, prev } : undefined;
  };
  const place = (node: Node, at: number) => {
    slots[at] = node;
    for (const o of node.outputs) producerAt.set(o, at);
  };
  for (const node of src.nodes) {
    const first = soleProducer(node.inputs[0]);
    let merged: Node | undefined;
    if (first && first.prev.opType === 'Conv' && first.prev.domain === '' && node.opType === 'BatchNormalization' && node.domain === '') {
      merged = foldBatchNorm(graph, first.prev, node, fresh);
    } else if (first && (((first.prev.opType === 'Conv' || first.prev.opType === 'Gemm') && first.prev.domain === '') || isFusedConvWithoutActivation(first.prev))) {
      const clamp = clampOf(graph, node);
      if (clamp) merged = fuseActivation(first.prev, node, clamp);
    }
    if (merged) {
      place(merged, first!.at);
      continue;
    }
    if (node.opType === 'Add' && node.domain === '' && node.inputs.length === 2) {
      const conv = [soleProducer(node.inputs[0]), soleProducer(node.inputs[1])].find((p) => p && p.prev.opType === 'Conv' && p.prev.domain === '');
      const residual = conv && fuseResidual(graph, conv.prev, node, shapes);
      if (residual) {
        // Z may be computed after the Conv: the fused node runs where the Add did.
        slots[conv.at] = undefined;
        slots.push(undefined);
        place(residual, slots.length - 1);
        continue;
      }
    }
    slots.push(undefined);
    place(node, slots.length - 1);
  }
  graph.nodes = slots.filter((n): n is Node => n !== undefined);
  dropUnread(graph);
  return { ...model, graph };
}

/** Removes initializers the rewrite left without a reader (the unfolded weights). */
function dropUnread(graph: Graph): void {
  const reads = readCounts(graph);
  for (const name of [...graph.initializers.keys()]) if (!reads.has(name)) graph.initializers.delete(name);
}
