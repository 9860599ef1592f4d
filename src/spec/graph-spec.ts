import type { Graph, ValueInfo } from '../graph/ir.js';
import type { TensorSpec } from './types.js';

/**
 * A spec taken from a bare model's graph rather than a config.json. ONNX may leave an output's rank or type
 * unknown; those parts are then not checked (`shapeUnknown` / `dtypeUnknown`), and `shape`/`dtype` are placeholders.
 */
export interface GraphTensorSpec extends TensorSpec {
  shapeUnknown?: true;
  dtypeUnknown?: true;
}

/** The spec of a bare model: its graph inputs that are not initializers, and its outputs, in graph order. */
export function specFromGraph(graph: Graph): { inputs: GraphTensorSpec[]; outputs: GraphTensorSpec[] } {
  return {
    inputs: graph.inputs.filter((i) => !graph.initializers.has(i.name)).map(specOf),
    outputs: graph.outputs.map(specOf),
  };
}

function specOf(info: ValueInfo): GraphTensorSpec {
  const type = info.type?.kind === 'tensor' ? info.type : undefined;
  const spec: GraphTensorSpec = { name: info.name, dtype: type?.dtype ?? 'float32', shape: type?.shape ? type.shape.map(specDim) : [] };
  if (!type?.dtype) spec.dtypeUnknown = true;
  if (!type?.shape) spec.shapeUnknown = true;
  return spec;
}

/** Neuropod spec dims are positive; an ONNX dim of 0 or below says nothing checkable, so it becomes null (any size). */
function specDim(dim: number | string | null): number | string | null {
  return typeof dim === 'number' && dim <= 0 ? null : dim;
}
