import { NeuropodError } from '../../api/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { NumpyArray, reduceNumpy } from './numpy.js';
import { unpickle } from './unpickle.js';
import type { PickleValue } from './values.js';

export interface NeuropodTestData {
  inputs: Record<string, Tensor>;
  outputs: Record<string, Tensor>;
}

/** Neuropod's `test_data.pkl`: `{"test_input": {name: ndarray}, "test_output": {name: ndarray}}` (NEUROPOD-FORMAT.md section 1). */
export function readNeuropodTestData(bytes: Uint8Array, source = 'test_data.pkl'): NeuropodTestData {
  const root = unpickle(bytes, source, { reduce: reduceNumpy });
  if (!(root instanceof Map)) throw new NeuropodError('MODEL_INVALID', `${source} is not a pickled dict`);
  return { inputs: tensorsOf(root.get('test_input'), source), outputs: tensorsOf(root.get('test_output'), source) };
}

function tensorsOf(group: PickleValue | undefined, source: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  if (group === undefined || group === null) return out;
  if (!(group instanceof Map)) throw new NeuropodError('MODEL_INVALID', `${source}: test data is not a dict of arrays`);
  for (const [name, value] of group) {
    if (value instanceof NumpyArray) out[String(name)] = value.tensor;
    else if (value instanceof Tensor) out[String(name)] = value;
    else throw new NeuropodError('MODEL_INVALID', `${source}: test tensor '${String(name)}' is not a numpy array`);
  }
  return out;
}
