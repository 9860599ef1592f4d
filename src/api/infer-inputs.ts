import { Tensor } from '../tensor/tensor.js';
import { NeuropodError } from './errors.js';

export type InferInputs = Record<string, Tensor> | ReadonlyMap<string, Tensor>;

/** The inputs of infer() as a name -> Tensor map, or a USAGE error naming what is not a tensor. */
export function inputMap(inputs: InferInputs): Map<string, Tensor> {
  if (inputs === null || typeof inputs !== 'object') throw new NeuropodError('USAGE', `infer(): inputs must be an object or Map of name -> Tensor, got ${String(inputs)}`);
  const entries = inputs instanceof Map ? [...inputs.entries()] : Object.entries(inputs);
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new NeuropodError('USAGE', `infer(): input '${name}' is not a Tensor (make one with tensor(data, shape, dtype))`);
  }
  return new Map(entries);
}
