import { NeuropodError } from '../api/errors.js';
import { openZip } from '../archive/zip.js';
import type { Tensor } from '../tensor/tensor.js';
import { readNpy } from './npy.js';

/**
 * NumPy's .npz (numpy.savez / savez_compressed): a zip with one `<name>.npy` per array, STORED or DEFLATE.
 * Arrays come back by name without the `.npy`; savez's positional arrays are `arr_0`, `arr_1`, ...
 */
export function readNpz(bytes: Uint8Array, source = '.npz'): Record<string, Tensor> {
  let zip;
  try {
    zip = openZip(bytes, source);
  } catch (e) {
    throw new NeuropodError('TENSOR_INVALID', `${source} is not a readable .npz file (a zip of .npy files): ${(e as Error).message}`, { cause: e });
  }
  const out: Record<string, Tensor> = {};
  for (const name of zip.names()) {
    if (!name.endsWith('.npy')) throw new NeuropodError('TENSOR_INVALID', `${source} holds '${name}', which is not a .npy array; an .npz holds only .npy files`);
    out[name.slice(0, -4)] = readNpy(zip.read(name), `${source}:${name}`);
  }
  return out;
}
