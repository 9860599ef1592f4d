import { topologicalOrder, usedNames } from '../../runtime/executor.js';
import type { Model } from '../ir.js';

/**
 * Drops the nodes no graph output (nor a name in `keep`, e.g. a variable's next value) depends on, and the
 * initializers nothing reads any more. The caller's model is not touched.
 */
export function removeDeadNodes(model: Model, keep: readonly string[] = []): Model {
  const graph = model.graph;
  const wanted = [...graph.outputs.map((o) => o.name), ...keep];
  const needed = new Set(topologicalOrder(graph, wanted));
  const nodes = graph.nodes.filter((n) => needed.has(n));
  const read = new Set([...wanted, ...graph.inputs.map((i) => i.name), ...nodes.flatMap(usedNames)]);
  const initializers = new Map([...graph.initializers].filter(([name]) => read.has(name)));
  return { ...model, graph: { ...graph, nodes, initializers } };
}
