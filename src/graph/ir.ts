import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The one graph form every importer lowers to. Operators follow ONNX semantics: `opType` and `domain` name an
 * ONNX operator ('' is the default ai.onnx domain), attributes carry ONNX attribute values.
 */
export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Constant tensors by value name (ONNX initializers, TF constants, TorchScript parameters). */
  initializers: Map<string, Tensor>;
  /** Types known for intermediate values, when the source file had them. */
  valueInfo?: ValueInfo[];
}

export interface Node {
  name: string;
  opType: string;
  domain: string;
  /** Value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Attributes;
}

/** A dim is a size, a symbol ('batch'), or null (unknown). */
export type Dim = number | string | null;

export interface ValueType {
  kind: 'tensor' | 'sequence' | 'optional' | 'map';
  dtype?: DType;
  /** Undefined when the rank is unknown. */
  shape?: Dim[];
  elem?: ValueType;
}

export interface ValueInfo {
  name: string;
  type?: ValueType;
}

export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: Tensor[] }
  | { type: 'graphs'; value: Graph[] }
  | { type: 'type'; value: ValueType };

export type Attributes = Map<string, AttributeValue>;

/** Operator set versions in force, by domain ('' = ai.onnx, 'com.microsoft', ...). */
export type Opsets = Map<string, number>;

export interface Model {
  graph: Graph;
  opsets: Opsets;
  /** Free-form provenance: producer name, source format. */
  metadata?: Record<string, string>;
}
