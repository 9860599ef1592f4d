import { GpuBufferTensor } from '../backends/webgpu/gpu-buffer-tensor.js';
import { Tensor } from '../tensor/tensor.js';
import { NeuropodError } from './errors.js';

/** A host tensor, or (webgpu models with worker: false) a GPU tensor: docs/api.md, "GPU tensors". */
export type InputTensor = Tensor | GpuBufferTensor;

export type InferInputs = Record<string, InputTensor> | ReadonlyMap<string, InputTensor>;

/** The inputs of infer() as a name -> tensor map, or a USAGE error naming what is not a tensor. */
export function inputMap(inputs: InferInputs): Map<string, InputTensor> {
  if (inputs === null || typeof inputs !== 'object') throw new NeuropodError('USAGE', `infer(): inputs must be an object or Map of name -> Tensor, got ${String(inputs)}`);
  const entries = inputs instanceof Map ? [...inputs.entries()] : Object.entries(inputs);
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor) && !(t instanceof GpuBufferTensor)) throw new NeuropodError('USAGE', `infer(): input '${name}' is not a Tensor (make one with tensor(data, shape, dtype))`);
  }
  return new Map(entries);
}
