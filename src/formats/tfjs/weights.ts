import { NeuropodError } from '../../api/errors.js';
import { concatBytes } from '../../archive/concat-bytes.js';
import { halfToFloat } from '../../tensor/float16.js';
import { sizeOf, Tensor } from '../../tensor/tensor.js';

/** One entry of a TF.js weightsManifest group (tfjs-core io/types.ts WeightsManifestEntry). */
export interface WeightsManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; min?: number; scale?: number; original_dtype?: string };
}

export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightsManifestEntry[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * Every weight of a manifest, by name. A group's shards are one byte stream holding its weights in order;
 * quantized weights are dequantized here as TF.js does at load (uint8/uint16: min + q * scale; float16 widened).
 */
export async function readWeights(groups: WeightsManifestGroup[], readShard: (path: string) => Promise<Uint8Array>, source: string): Promise<Map<string, Tensor>> {
  const weights = new Map<string, Tensor>();
  for (const group of groups) {
    const bytes = concatBytes(await Promise.all(group.paths.map(readShard)));
    let offset = 0;
    for (const entry of group.weights) {
      const [tensor, used] = decodeWeight(entry, bytes, offset, source);
      weights.set(entry.name, tensor);
      offset += used;
    }
  }
  return weights;
}


function decodeWeight(entry: WeightsManifestEntry, bytes: Uint8Array, offset: number, source: string): [Tensor, number] {
  const where = `${source}: weight '${entry.name}'`;
  const size = sizeOf(entry.shape);
  if (entry.dtype === 'string') return decodeStrings(entry, bytes, offset, size);
  const stored = entry.quantization?.dtype ?? entry.dtype;
  const width = BYTES[stored];
  if (!width) throw new NeuropodError('MODEL_INVALID', `${where} has dtype ${stored}, which TF.js weights do not use`);
  const length = size * width;
  if (offset + length > bytes.length) throw new NeuropodError('MODEL_INVALID', `${where} needs bytes ${offset}..${offset + length}, the shards hold ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  const read = reader(stored, view);
  const q = entry.quantization;
  const value = q && stored !== 'float16' ? (i: number) => (q.min ?? 0) + read(i) * (q.scale ?? 1) : read;
  const dtype = entry.dtype === 'bool' ? 'bool' : entry.dtype === 'int32' ? 'int32' : 'float32';
  const data = dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = dtype === 'int32' ? Math.round(value(i)) : value(i);
  return [new Tensor(dtype, [...entry.shape], data), length];
}

function reader(stored: string, view: DataView): (i: number) => number {
  switch (stored) {
    case 'float32': return (i) => view.getFloat32(4 * i, true);
    case 'int32': return (i) => view.getInt32(4 * i, true);
    case 'uint16': return (i) => view.getUint16(2 * i, true);
    case 'float16': return (i) => halfToFloat(view.getUint16(2 * i, true));
    default: return (i) => view.getUint8(i);
  }
}

/** TF.js strings: each is a little-endian uint32 byte length, then its UTF-8 bytes. */
function decodeStrings(entry: WeightsManifestEntry, bytes: Uint8Array, offset: number, size: number): [Tensor, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const values: string[] = [];
  let at = offset;
  for (let i = 0; i < size; i++) {
    const n = view.getUint32(at, true);
    values.push(decoder.decode(bytes.subarray(at + 4, at + 4 + n)));
    at += 4 + n;
  }
  return [new Tensor('string', [...entry.shape], values), at - offset];
}
