/**
 * What the pattern-fusion passes (fuse-gelu, fuse-layer-norm) share: who reads each value, constants read as
 * scalars, and the graph rebuilt once the matched nodes are swapped for their fused node.
 */
import type { Graph, Node } from '../ir.js';

/** Adds to `into` every name a subgraph of `node` reads or outputs (nested subgraphs included). */
export function subgraphNames(node: Node, into: Set<string>): void {
  for (const a of node.attributes.values()) {
    const graphs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
    for (const g of graphs) {
      for (const n of g.nodes) {
        n.inputs.forEach((i) => into.add(i));
        subgraphNames(n, into);
      }
      g.outputs.forEach((o) => into.add(o.name));
    }
  }
}

/** The one float32 value of constant `name`, or undefined. */
export function scalarOf(graph: Graph, name: string | undefined): number | undefined {
  const t = name ? graph.initializers.get(name) : undefined;
  return t && t.dtype === 'float32' && t.size === 1 ? (t.data as Float32Array)[0] : undefined;
}

/** The input of a two-input `node` that is not `name`, or undefined when `name` is neither. */
export function otherOperand(node: Node, name: string): string | undefined {
  return node.inputs[0] === name ? node.inputs[1] : node.inputs[1] === name ? node.inputs[0] : undefined;
}

export interface Readers {
  /** The nodes of the main graph reading each value (a node once per input slot). */
  readers: ReadonlyMap<string, readonly Node[]>;
  /** Values a fusion must keep: graph outputs and every name a subgraph reads. */
  pinned: ReadonlySet<string>;
  /** The one node reading `name` when it is ONNX-domain `op` and `name` is not pinned, else undefined. */
  only(name: string, op: string): Node | undefined;
}

export function readersOf(graph: Graph): Readers {
  const readers = new Map<string, Node[]>(), pinned = new Set<string>(graph.outputs.map((o) => o.name));
  for (const node of graph.nodes) {
    for (const i of node.inputs) if (i !== '') readers.set(i, [...(readers.get(i) ?? []), node]);
    subgraphNames(node, pinned);
  }
  const only = (name: string, op: string): Node | undefined => {
    const list = readers.get(name) ?? [];
    return !pinned.has(name) && list.length === 1 && list[0]!.opType === op && list[0]!.domain === '' ? list[0] : undefined;
  };
  return { readers, pinned, only };
}

/**
 * `src` without the `removed` nodes and with each key of `replaced` swapped for its fused node (which runs where
 * the last node of its pattern ran), less the initializers no node, subgraph or output reads any more.
 */
export function withFusedNodes(src: Graph, removed: ReadonlySet<Node>, replaced: ReadonlyMap<Node, Node>): Graph {
  const nodes = src.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  const graph: Graph = { ...src, nodes, initializers: new Map(src.initializers) };
  const read = new Set(nodes.flatMap((n) => n.inputs));
  for (const n of nodes) subgraphNames(n, read);
  src.outputs.forEach((o) => read.add(o.name));
  for (const name of [...graph.initializers.keys()]) if (!read.has(name) && !src.inputs.some((i) => i.name === name)) graph.initializers.delete(name);
  return graph;
}
