import type { Model } from '../ir.js';
import type { ShapeInference } from './infer-shapes.js';

/**
 * Replaces every node whose outputs inference computed (all inputs constant, or Shape/Size of known dims) by
 * initializers. A node that makes a graph output stays, so every backend returns outputs the one way it
 * returns any node's. The caller's model is not touched: the result shares its nodes, with new lists.
 */
export function foldConstants(model: Model, inference: ShapeInference): Model {
  const graph = model.graph;
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const initializers = new Map(graph.initializers);
  const nodes = graph.nodes.filter((node) => {
    const made = node.outputs.filter((o) => o !== '');
    if (made.length === 0 || made.some((o) => outputs.has(o) || !inference.constants.has(o))) return true;
    for (const o of made) initializers.set(o, inference.constants.get(o)!);
    return false;
  });
  return { ...model, graph: { ...graph, nodes, initializers } };
}
