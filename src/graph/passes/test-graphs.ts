/** Small IR models for the planning passes' tests: inputs by [dtype, dims], nodes by op, inputs, outputs and attributes. */
import { toAttribute, type LooseAttribute } from '../../../kernels/kernel-harness.js';
import type { DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Dim, Model, Node } from '../ir.js';

export interface NodeSpec {
  op: string;
  in: string[];
  out: string[];
  attrs?: Record<string, LooseAttribute>;
  domain?: string;
}

export interface ModelSpec {
  inputs?: Record<string, [DType, Dim[]]>;
  initializers?: Record<string, Tensor>;
  nodes: NodeSpec[];
  outputs: string[];
  opset?: number;
}

export function nodeOf(spec: NodeSpec, i = 0): Node {
  const attributes = new Map(Object.entries(spec.attrs ?? {}).map(([k, v]) => [k, toAttribute(v)]));
  return { name: `${spec.op}_${i}`, opType: spec.op, domain: spec.domain ?? '', inputs: spec.in, outputs: spec.out, attributes };
}

export function modelOf(spec: ModelSpec): Model {
  return {
    graph: {
      name: 'test',
      nodes: spec.nodes.map(nodeOf),
      inputs: Object.entries(spec.inputs ?? {}).map(([name, [dtype, shape]]) => ({ name, type: { kind: 'tensor', dtype, shape } })),
      outputs: spec.outputs.map((name) => ({ name })),
      initializers: new Map(Object.entries(spec.initializers ?? {})),
    },
    opsets: new Map([['', spec.opset ?? 21], ['com.microsoft', 1]]),
  };
}
