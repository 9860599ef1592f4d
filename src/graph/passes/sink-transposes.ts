/**
 * Layout folding: a graph lowered from NHWC (TF, TF.js) runs each convolution channels-first between two
 * Transposes. This pass moves a Transpose below the ops that do not care which axis is which (elementwise ops,
 * Pad, Resize, Concat with its axis renumbered, Shape as a Gather of the input's shape) until it meets its
 * inverse, then cancels the pair (or composes two into one), so a chain of convolutions keeps one layout.
 * Every rewrite gives the same values: op(Transpose(x, p)) = Transpose(op'(x), p) with op' the op on x's axes.
 * Values a subgraph reads and graph outputs keep their names and values.
 */
import { toIndices } from '../../../kernels/elements.js';
import { Tensor } from '../../tensor/tensor.js';
import type { AttributeValue, Graph, Node } from '../ir.js';

const UNARY = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'LeakyRelu', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor',
  'Ceil', 'Round', 'Sign', 'Erf', 'Softplus', 'Softsign', 'HardSigmoid', 'HardSwish', 'Cast', 'Identity', 'Not',
  'Clip',
]);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'Equal', 'Less', 'Greater', 'And', 'Or']);

/** Sinks and cancels Transposes in `graph` (in place) until nothing moves. */
export function sinkTransposes(graph: Graph): void {
  for (let guard = 0; guard < 100_000 && foldOnce(graph); guard++) {
    /* repeat until nothing moves */
  }
}

interface Index {
  producer: Map<string, Node>;
  uses: Map<string, number>;
  /** Graph outputs and every name a subgraph mentions: never renamed or moved. */
  pinned: Set<string>;
  names: Set<string>;
}

function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attributes.values()) {
    if (a.type === 'graph') out.push(a.value);
    else if (a.type === 'graphs') out.push(...a.value);
  }
  return out;
}

function indexOf(graph: Graph): Index {
  const producer = new Map<string, Node>(), uses = new Map<string, number>();
  const pinned = new Set(graph.outputs.map((o) => o.name));
  const names = new Set([...graph.inputs.map((i) => i.name), ...graph.initializers.keys()]);
  const mention = (g: Graph) => {
    for (const n of g.nodes) {
      n.inputs.forEach((i) => pinned.add(i));
      subgraphsOf(n).forEach(mention);
    }
    g.outputs.forEach((o) => pinned.add(o.name));
  };
  for (const node of graph.nodes) {
    for (const out of node.outputs) {
      producer.set(out, node);
      names.add(out);
    }
    for (const i of node.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
    subgraphsOf(node).forEach(mention);
  }
  return { producer, uses, pinned, names };
}

function permOf(node: Node | undefined): number[] | undefined {
  const a = node?.attributes.get('perm');
  return node?.opType === 'Transpose' && node.domain === '' && a?.type === 'ints' ? a.value : undefined;
}

/** The Transpose producing `value` when this is its one reader, so moving it changes nothing else. */
function soleTranspose(index: Index, value: string): Node | undefined {
  const t = index.producer.get(value);
  return permOf(t) && index.uses.get(value) === 1 && !index.pinned.has(value) ? t : undefined;
}

function constant(graph: Graph, value: string | undefined): Tensor | undefined {
  return value ? graph.initializers.get(value) : undefined;
}

function freshName(index: Index, base: string): string {
  let name = base;
  for (let i = 1; index.names.has(name); i++) name = `${base}_${i}`;
  index.names.add(name);
  return name;
}

function foldOnce(graph: Graph): boolean {
  const index = indexOf(graph);
  for (const node of graph.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    if (foldPair(graph, index, node) || shapeOfTranspose(graph, index, node) || sink(graph, index, node)) return true;
  }
  return false;
}

/**
 * Transpose(q) of Transpose(p): the identity when they compose to it (readers of the outer one then read the
 * original), otherwise one Transpose of the composed permutation when the inner one has no other reader.
 */
function foldPair(graph: Graph, index: Index, node: Node): boolean {
  const outer = permOf(node), inner = index.producer.get(node.inputs[0] ?? ''), innerPerm = permOf(inner);
  if (!outer || !inner || !innerPerm || outer.length !== innerPerm.length) return false;
  const composed = outer.map((q) => innerPerm[q]!);
  if (composed.every((p, i) => p === i)) {
    if (index.pinned.has(node.outputs[0]!)) {
      // A graph output keeps its name: an Identity of the original.
      Object.assign(node, { opType: 'Identity', inputs: [inner.inputs[0]!], attributes: new Map() });
      return true;
    }
    replaceUses(graph, node.outputs[0]!, inner.inputs[0]!);
    graph.nodes.splice(graph.nodes.indexOf(node), 1);
    return true;
  }
  if (!soleTranspose(index, node.inputs[0]!)) return false;
  node.inputs[0] = inner.inputs[0]!;
  node.attributes.set('perm', { type: 'ints', value: composed });
  graph.nodes.splice(graph.nodes.indexOf(inner), 1);
  return true;
}

/** Shape(Transpose(x, p)) = Gather(Shape(x), p), so the Transpose's other readers may move it. */
function shapeOfTranspose(graph: Graph, index: Index, node: Node): boolean {
  if (node.opType !== 'Shape' || node.attributes.has('start') || node.attributes.has('end')) return false;
  const t = index.producer.get(node.inputs[0] ?? ''), perm = permOf(t);
  if (!t || !perm) return false;
  const inner = freshName(index, `${node.outputs[0]}__untransposed`), indices = freshName(index, `${node.name}/perm`);
  graph.initializers.set(indices, new Tensor('int64', [perm.length], BigInt64Array.from(perm, BigInt)));
  const gather: Node = { name: `${node.name}/gather`, opType: 'Gather', domain: '', inputs: [inner, indices], outputs: [node.outputs[0]!], attributes: new Map([['axis', { type: 'int', value: 0 }]]) };
  node.inputs[0] = t.inputs[0]!;
  node.outputs[0] = inner;
  graph.nodes.splice(graph.nodes.indexOf(node) + 1, 0, gather);
  return true;
}

/**
 * How `node` reads its inputs when every layout input's Transpose(p) is taken away: the new inputs and
 * attributes, or undefined when the op cannot take x's axes. `layout` lists the inputs that carry the layout.
 */
interface Rewrite {
  layout: number[];
  /** Applied once every layout input is known to be Transpose(perm) of something. */
  apply(perm: number[]): { inputs?: Map<number, string>; attributes?: Map<string, AttributeValue> } | undefined;
}

function rewriteOf(graph: Graph, index: Index, node: Node): Rewrite | undefined {
  const op = node.opType, inputs = node.inputs;
  if (UNARY.has(op)) {
    const extra = inputs.slice(1).every((v) => v === '' || (constant(graph, v)?.size === 1 && constant(graph, v)!.rank === 0));
    return extra ? { layout: [0], apply: () => ({}) } : undefined;
  }
  if (BINARY.has(op) && inputs.length === 2) return binaryRewrite(graph, index, node);
  if (op === 'Concat') {
    const axis = node.attributes.get('axis');
    if (axis?.type !== 'int' || inputs.some((v) => v === '')) return undefined;
    return {
      layout: inputs.map((_, i) => i),
      apply: (perm) => {
        const a = axis.value < 0 ? axis.value + perm.length : axis.value;
        return { attributes: new Map([['axis', { type: 'int', value: perm[a]! }]]) };
      },
    };
  }
  if (op === 'Pad') return padRewrite(graph, index, node);
  if (op === 'Resize') return resizeRewrite(graph, index, node);
  return undefined;
}

/** Values per output axis i, placed on x's axis perm[i]. */
function toInputAxes<T>(perm: readonly number[], values: readonly T[]): T[] {
  const out = new Array<T>(perm.length);
  perm.forEach((p, i) => (out[p] = values[i]!));
  return out;
}

/**
 * Both operands transposed alike, or one transposed and the other a constant that is a scalar or has at most
 * one non-unit dim (a bias along one axis): that constant is reshaped onto x's axes (its data unchanged).
 */
function binaryRewrite(graph: Graph, index: Index, node: Node): Rewrite | undefined {
  const moved = node.inputs.map((v) => soleTranspose(index, v) !== undefined);
  if (moved.every(Boolean)) return { layout: [0, 1], apply: () => ({}) };
  const k = moved.indexOf(true), other = node.inputs[1 - k]!, c = constant(graph, other);
  if (k < 0 || !c) return undefined;
  if (c.size === 1 && c.rank === 0) return { layout: [k], apply: () => ({}) };
  return {
    layout: [k],
    apply: (perm) => {
      if (c.rank > perm.length || c.shape.filter((d) => d !== 1).length > 1) return undefined;
      const full = [...new Array<number>(perm.length - c.rank).fill(1), ...c.shape];
      const name = freshName(index, `${other}__transposed`);
      graph.initializers.set(name, new Tensor(c.dtype, toInputAxes(perm, full), c.data));
      return { inputs: new Map([[1 - k, name]]) };
    },
  };
}

/** Pads (an attribute before opset 11, a constant input after; no axes input) moved onto x's axes. */
function padRewrite(graph: Graph, index: Index, node: Node): Rewrite | undefined {
  if ((node.inputs[3] ?? '') !== '') return undefined;
  const attr = node.attributes.get('pads'), padsInput = node.inputs[1] ?? '', c = constant(graph, padsInput);
  const pads = attr?.type === 'ints' ? attr.value : c ? toIndices(c) : undefined;
  const value = node.inputs[2] ?? '';
  if (!pads || (value !== '' && !constant(graph, value))) return undefined;
  return {
    layout: [0],
    apply: (perm) => {
      const r = perm.length;
      if (pads.length !== 2 * r) return undefined;
      const moved = [...toInputAxes(perm, pads.slice(0, r)), ...toInputAxes(perm, pads.slice(r))];
      if (attr) return { attributes: new Map([['pads', { type: 'ints', value: moved }]]) };
      const name = freshName(index, `${padsInput}__transposed`);
      graph.initializers.set(name, new Tensor('int64', [2 * r], BigInt64Array.from(moved, BigInt)));
      return { inputs: new Map([[1, name]]) };
    },
  };
}

/**
 * Resize with no roi and no axes: constant scales or sizes are permuted; computed sizes go through a Gather
 * (folded later where the shape is known).
 */
function resizeRewrite(graph: Graph, index: Index, node: Node): Rewrite | undefined {
  const [, roi = '', scales = '', sizes = ''] = node.inputs;
  if (roi !== '' || node.attributes.has('axes') || node.inputs.length > 4) return undefined;
  const slot = sizes !== '' ? 3 : 2, value = node.inputs[slot] ?? '';
  if (value === '' || (scales !== '' && sizes !== '')) return undefined;
  return {
    layout: [0],
    apply: (perm) => {
      const c = constant(graph, value);
      if (c) {
        if (c.rank !== 1 || c.size !== perm.length) return undefined;
        const from = c.data as Float32Array, data = from.slice();
        perm.forEach((p, i) => (data[p] = from[i]!));
        const name = freshName(index, `${value}__transposed`);
        graph.initializers.set(name, new Tensor(c.dtype, c.shape, data));
        return { inputs: new Map([[slot, name]]) };
      }
      // x's axis j has the size of output axis inverse[j]: Gather(sizes, inverse).
      const inverse = toInputAxes(perm, perm.map((_, i) => i));
      const indices = freshName(index, `${node.name}/inverse_perm`), gathered = freshName(index, `${value}__transposed`);
      graph.initializers.set(indices, new Tensor('int64', [perm.length], BigInt64Array.from(inverse, BigInt)));
      graph.nodes.splice(graph.nodes.indexOf(node), 0, { name: `${node.name}/sizes`, opType: 'Gather', domain: '', inputs: [value, indices], outputs: [gathered], attributes: new Map([['axis', { type: 'int', value: 0 }]]) });
      return { inputs: new Map([[slot, gathered]]) };
    },
  };
}

/** op(Transpose(x, p), ...) -> Transpose(op'(x, ...), p), so the Transpose can meet its inverse further down. */
function sink(graph: Graph, index: Index, node: Node): boolean {
  if (node.outputs.length !== 1) return false;
  const rewrite = rewriteOf(graph, index, node);
  if (!rewrite || rewrite.layout.length === 0) return false;
  const transposes = rewrite.layout.map((i) => soleTranspose(index, node.inputs[i]!));
  const perm = permOf(transposes[0]);
  if (!perm || !transposes.every((t) => t && permOf(t)!.join() === perm.join())) return false;
  const change = rewrite.apply(perm);
  if (!change) return false;
  rewrite.layout.forEach((i, k) => {
    node.inputs[i] = transposes[k]!.inputs[0]!;
    graph.nodes.splice(graph.nodes.indexOf(transposes[k]!), 1);
  });
  for (const [i, v] of change.inputs ?? []) node.inputs[i] = v;
  for (const [k, v] of change.attributes ?? []) node.attributes.set(k, v);
  const result = node.outputs[0]!, inner = freshName(index, `${result}__untransposed`);
  node.outputs[0] = inner;
  const transpose: Node = { name: `${node.name}/transpose`, opType: 'Transpose', domain: '', inputs: [inner], outputs: [result], attributes: new Map([['perm', { type: 'ints', value: perm }]]) };
  graph.nodes.splice(graph.nodes.indexOf(node) + 1, 0, transpose);
  return true;
}

function replaceUses(graph: Graph, from: string, to: string): void {
  for (const node of graph.nodes) node.inputs = node.inputs.map((v) => (v === from ? to : v));
}
