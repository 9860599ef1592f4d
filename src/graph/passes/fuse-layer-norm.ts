/**
 * LayerNorm written out in primitive ops (what torch exports for a hand-written or older LayerNorm, and the
 * TensorFlow converters emit):
 *
 *   m = ReduceMean(x, [-1]); d = x - m; v = ReduceMean(d ^ 2, [-1]); y = d / Sqrt(v + eps) · gamma (+ beta)
 *
 * becomes one LayerNormalization(x, gamma, beta; axis -1, epsilon eps) node, for backends with a LayerNorm kernel
 * (the wasm backend runs the nine nodes as one pass over each row instead of nine over the tensor). Below opset
 * 17 the node is onnxruntime's ONNX-domain LayerNormalization, which the reference kernels implement; from 17 it
 * is the standard op; both compute the same for float32.
 *
 * Conditions, so the fused node computes what the nodes did: both ReduceMeans keep dims and reduce the last axis
 * only; the exponent is the constant 2 (or d · d); eps, gamma and beta are float32 constants, eps one value,
 * gamma and beta one value or one per element of x's last dim, which the plan's shapes must show (a gamma of
 * length n on a last dim of 1 would broadcast in the decomposed form); x is float32 where the shapes know its
 * dtype; every intermediate value has no reader outside the pattern (d exactly two) and is not a graph output.
 */
import type { AttributeValue, Graph, Model, Node } from '../ir.js';
import type { KnownShapes } from './fuse-conv-epilogue.js';
import { otherOperand as other, readersOf, scalarOf, withFusedNodes } from './pattern-match.js';

type KnownTypes = ReadonlyMap<string, { dtype?: string; dims?: readonly (number | string | null)[] }>;

function intAttr(node: Node, name: string): number | undefined {
  const a = node.attributes.get(name);
  return a && a.type === 'int' ? a.value : undefined;
}

/** Whether a ReduceMean keeps dims and reduces exactly the last axis of a value of `rank` (when known). */
function meanOfLastAxis(graph: Graph, node: Node, rank: number | undefined): boolean {
  if (node.opType !== 'ReduceMean' || node.domain !== '' || (intAttr(node, 'keepdims') ?? 1) !== 1) return false;
  let axes: number[] | undefined;
  const attr = node.attributes.get('axes');
  if (attr?.type === 'ints') axes = attr.value;
  else if (node.inputs[1]) {
    const t = graph.initializers.get(node.inputs[1]);
    if (t && (t.dtype === 'int64' || t.dtype === 'int32')) axes = Array.from(t.data as ArrayLike<number | bigint>, Number);
  }
  if (!axes || axes.length !== 1) return false;
  return axes[0] === -1 || (rank !== undefined && axes[0] === rank - 1);
}

/** The model with each decomposed LayerNorm fused into one LayerNormalization; the input model is not changed. */
export function fuseLayerNorms(model: Model, shapes?: KnownShapes): Model {
  const src = model.graph, types = shapes as KnownTypes | undefined;
  const { readers, pinned, only } = readersOf(src);
  const removed = new Set<Node>(), replaced = new Map<Node, Node>();
  for (const m1 of src.nodes) {
    const x = m1.inputs[0]!, info = types?.get(x), dims = info?.dims, last = dims?.[dims.length - 1];
    if (!meanOfLastAxis(src, m1, dims?.length) || (info?.dtype !== undefined && info.dtype !== 'float32')) continue;
    const sub = only(m1.outputs[0]!, 'Sub');
    if (!sub || sub.inputs[0] !== x || sub.inputs[1] !== m1.outputs[0]) continue;
    const d = sub.outputs[0]!, dReaders = [...new Set(readers.get(d) ?? [])];
    if (pinned.has(d) || dReaders.length !== 2) continue;
    const square = dReaders.find((n) => (n.opType === 'Pow' && n.inputs[0] === d && scalarOf(src, n.inputs[1]) === 2) ||
      (n.opType === 'Mul' && n.inputs[0] === d && n.inputs[1] === d));
    const div = dReaders.find((n) => n.opType === 'Div' && n.inputs[0] === d);
    if (!square || !div || square === div || square.domain !== '' || div.domain !== '') continue;
    const m2 = only(square.outputs[0]!, 'ReduceMean');
    if (!m2 || !meanOfLastAxis(src, m2, dims?.length)) continue;
    const addEps = only(m2.outputs[0]!, 'Add'), eps = addEps && scalarOf(src, other(addEps, m2.outputs[0]!));
    if (!addEps || eps === undefined) continue;
    const sqrt = only(addEps.outputs[0]!, 'Sqrt');
    if (!sqrt || only(sqrt.outputs[0]!, 'Div') !== div || div.inputs[1] !== sqrt.outputs[0]) continue;
    const mul = only(div.outputs[0]!, 'Mul'), gamma = mul && other(mul, div.outputs[0]!);
    const perElement = (name: string | undefined) => {
      const t = name ? src.initializers.get(name) : undefined;
      if (!t || t.dtype !== 'float32' || t.shape.slice(0, -1).some((s) => s !== 1)) return false;
      return t.size === 1 || (typeof last === 'number' && t.size === last);
    };
    if (!mul || !perElement(gamma)) continue;
    const add = only(mul.outputs[0]!, 'Add'), beta = add && other(add, mul.outputs[0]!);
    const withBias = add !== undefined && perElement(beta);
    const end = withBias ? add : mul;
    const attributes = new Map<string, AttributeValue>([['axis', { type: 'int', value: -1 }], ['epsilon', { type: 'float', value: eps }]]);
    const fused: Node = {
      name: `${m1.name}/LayerNormalization`, opType: 'LayerNormalization', domain: '',
      inputs: withBias ? [x, gamma!, beta!] : [x, gamma!], outputs: [end.outputs[0]!], attributes,
    };
    for (const n of [m1, sub, square, m2, addEps, sqrt, div, mul]) removed.add(n);
    removed.delete(end);
    replaced.set(end, fused);
  }
  if (replaced.size === 0) return model;
  const graph = withFusedNodes(src, removed, replaced);
  return { ...model, graph };
}
