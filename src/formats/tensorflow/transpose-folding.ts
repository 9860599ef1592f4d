import type { Graph, Node } from '../../graph/ir.js';

/**
 * Lowering NHWC convolutions leaves Transpose(to NHWC) -> [elementwise ops] -> Transpose(to NCHW) between them.
 * This pass moves a transpose below elementwise ops that do not care about layout and cancels inverse pairs, so
 * a chain of convolutions keeps channels first between them.
 */
const UNARY_ELEMENTWISE = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Elu', 'Selu', 'LeakyRelu', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Floor',
  'Ceil', 'Round', 'Sign', 'Erf', 'Softplus', 'Softsign', 'HardSigmoid', 'HardSwish', 'Cast', 'Identity', 'Not',
]);
/** Ops whose extra inputs are scalars (Clip bounds) or absent; the first input carries the layout. */
const SCALAR_ARGS = new Set(['Clip']);
const BINARY_ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'PRelu']);

export function foldTransposes(graph: Graph): void {
  while (foldOnce(graph)) {
    /* repeat until nothing moves */
  }
  removeDeadNodes(graph);
}

interface Index {
  producer: Map<string, Node>;
  uses: Map<string, number>;
  outputs: Set<string>;
}

function indexOf(graph: Graph): Index {
  const producer = new Map<string, Node>();
  const uses = new Map<string, number>();
  for (const node of graph.nodes) {
    for (const out of node.outputs) producer.set(out, node);
    for (const i of node.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  return { producer, uses, outputs: new Set(graph.outputs.map((o) => o.name)) };
}

function permOf(node: Node): number[] | undefined {
  const a = node.attributes.get('perm');
  return node.opType === 'Transpose' && a?.type === 'ints' ? a.value : undefined;
}

/** A transpose feeding only this one consumer, so moving it changes nothing else. */
function soleTranspose(index: Index, value: string): Node | undefined {
  const t = index.producer.get(value);
  return t && permOf(t) && index.uses.get(value) === 1 && !index.outputs.has(value) ? t : undefined;
}

function isScalarConstant(graph: Graph, value: string): boolean {
  const c = graph.initializers.get(value);
  return c !== undefined && c.size === 1 && c.rank === 0;
}

function foldOnce(graph: Graph): boolean {
  const index = indexOf(graph);
  for (const node of graph.nodes) {
    if (cancelPair(graph, index, node) || sinkTranspose(graph, index, node)) return true;
  }
  return false;
}

/** Transpose(q) of Transpose(p) that compose to the identity: readers of the outer one read the original. */
function cancelPair(graph: Graph, index: Index, node: Node): boolean {
  const outer = permOf(node);
  const inner = outer && index.producer.get(node.inputs[0]!);
  const innerPerm = inner && permOf(inner);
  if (!outer || !inner || !innerPerm || index.outputs.has(node.outputs[0]!)) return false;
  if (!outer.every((p, i) => innerPerm[p] === i)) return false;
  replaceUses(graph, node.outputs[0]!, inner.inputs[0]!);
  graph.nodes.splice(graph.nodes.indexOf(node), 1);
  return true;
}

/** op(Transpose(x)) -> Transpose(op(x)) for layout-blind ops, so the transpose can meet its inverse. */
function sinkTranspose(graph: Graph, index: Index, node: Node): boolean {
  const op = node.opType;
  let layoutInputs: number[];
  if (UNARY_ELEMENTWISE.has(op) || SCALAR_ARGS.has(op)) {
    if (!node.inputs.slice(1).every((v) => v === '' || isScalarConstant(graph, v))) return false;
    layoutInputs = [0];
  } else if (BINARY_ELEMENTWISE.has(op) && op !== 'PRelu') {
    layoutInputs = node.inputs.map((v, i) => (isScalarConstant(graph, v) ? -1 : i)).filter((i) => i >= 0);
  } else return false;
  if (node.outputs.length !== 1 || layoutInputs.length === 0) return false;
  const transposes = layoutInputs.map((i) => soleTranspose(index, node.inputs[i]!));
  const perm = transposes[0] && permOf(transposes[0]);
  if (!perm || !transposes.every((t) => t && permOf(t)!.join() === perm.join())) return false;
  layoutInputs.forEach((i, k) => {
    node.inputs[i] = transposes[k]!.inputs[0]!;
    graph.nodes.splice(graph.nodes.indexOf(transposes[k]!), 1);
  });
  const result = node.outputs[0]!;
  const inner = `${result}__channels_first`;
  node.outputs[0] = inner;
  const transpose: Node = { name: `${node.name}/transpose`, opType: 'Transpose', domain: '', inputs: [inner], outputs: [result], attributes: new Map([['perm', { type: 'ints', value: perm }]]) };
  graph.nodes.splice(graph.nodes.indexOf(node) + 1, 0, transpose);
  return true;
}

function replaceUses(graph: Graph, from: string, to: string): void {
  for (const node of graph.nodes) node.inputs = node.inputs.map((v) => (v === from ? to : v));
}

/** Drops nodes no graph output depends on, and constants no node reads. */
export function removeDeadNodes(graph: Graph): void {
  const producer = new Map<string, Node>();
  for (const node of graph.nodes) for (const out of node.outputs) producer.set(out, node);
  const live = new Set<Node>();
  const stack = graph.outputs.map((o) => o.name);
  while (stack.length) {
    const node = producer.get(stack.pop()!);
    if (!node || live.has(node)) continue;
    live.add(node);
    stack.push(...node.inputs.filter((v) => v !== ''));
  }
  graph.nodes = graph.nodes.filter((n) => live.has(n));
  const read = new Set(graph.nodes.flatMap((n) => n.inputs));
  for (const o of graph.outputs) read.add(o.name);
  for (const name of [...graph.initializers.keys()]) if (!read.has(name)) graph.initializers.delete(name);
}
