import type { Graph, Node } from '../../graph/ir.js';
import { usedNames } from '../../runtime/executor.js';
import { sinkTransposes } from '../../graph/passes/sink-transposes.js';

/**
 * Lowering NHWC convolutions leaves Transpose(to NHWC) -> [layout-blind ops] -> Transpose(to NCHW) between them:
 * the layout pass (src/graph/passes/sink-transposes.ts) sinks and cancels them, then what only they read goes.
 */
export function foldTransposes(graph: Graph): void {
  sinkTransposes(graph);
  removeDeadNodes(graph);
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
    stack.push(...usedNames(node));
  }
  graph.nodes = graph.nodes.filter((n) => live.has(n));
  const read = new Set(graph.nodes.flatMap(usedNames));
  for (const o of graph.outputs) read.add(o.name);
  for (const name of [...graph.initializers.keys()]) if (!read.has(name)) graph.initializers.delete(name);
}
