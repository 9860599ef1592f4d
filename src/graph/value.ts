import { Tensor } from '../tensor/tensor.js';

/** ONNX values beyond tensors: a sequence of tensors (SequenceProto) and an optional (OptionalProto). */
export class Sequence {
  constructor(readonly items: Value[]) {}
}

export class Optional {
  constructor(readonly value: Value | undefined) {}
}

export type Value = Tensor | Sequence | Optional;

export function isTensor(v: Value | undefined): v is Tensor {
  return v instanceof Tensor;
}
