import type { Graph } from './ir.js';
import type { Tensor } from '../tensor/tensor.js';

/** Every tensor a graph holds as data: initializers and tensor attributes (Constant's value), subgraphs included. */
export function constantTensors(graph: Graph): Tensor[] {
  const found: Tensor[] = [...graph.initializers.values()];
  for (const node of graph.nodes) {
    for (const a of node.attributes.values()) {
      if (a.type === 'tensor') found.push(a.value);
      else if (a.type === 'tensors') found.push(...a.value);
      else if (a.type === 'graph') found.push(...constantTensors(a.value));
      else if (a.type === 'graphs') for (const g of a.value) found.push(...constantTensors(g));
    }
  }
  return found;
}
