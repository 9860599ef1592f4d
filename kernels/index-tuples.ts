/** Index arithmetic the gather and scatter kernels share: wrapping negative indices, resolving index tuples. */
import { NeuropodError } from '../src/api/errors.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { toIndices } from './elements.js';
import { stridesOf } from './indexing.js';

/** An index into an axis of size n, negatives wrapped; out of range is an error (ONNX: "undefined behaviour"). */
export function wrapIndex(i: number, n: number, op: string): number {
  const j = i < 0 ? i + n : i;
  if (!(j >= 0 && j < n)) throw new NeuropodError('INFERENCE_FAILED', `${op}: index ${i} is out of range for an axis of size ${n}`);
  return j;
}

export const int64Of = (shape: readonly number[], values: ArrayLike<number>): Tensor => new Tensor('int64', [...shape], BigInt64Array.from(Array.from(values), BigInt));

/**
 * Where each index tuple of a GatherND/ScatterND `indices` tensor points in `data`: the flat offset of the block
 * of `inner` elements it names, with `batchDims` leading dims shared between data and indices.
 */
export function ndOffsets(dataShape: readonly number[], indicesT: Tensor, batchDims: number, op: string): { offsets: number[]; inner: number; tupleShape: number[] } {
  const m = indicesT.shape[indicesT.rank - 1]!;
  const tupleShape = indicesT.shape.slice(0, -1);
  const blockShape = dataShape.slice(batchDims, batchDims + m);
  const inner = sizeOf(dataShape.slice(batchDims + m));
  const perBatchData = sizeOf(dataShape.slice(batchDims));
  const perBatchTuples = sizeOf(tupleShape.slice(batchDims));
  const blockStrides = stridesOf(blockShape).map((s) => s * inner);
  const values = toIndices(indicesT);
  const offsets = Array.from({ length: sizeOf(tupleShape) }, (_, t) => {
    let s = Math.floor(t / Math.max(perBatchTuples, 1)) * perBatchData;
    for (let k = 0; k < m; k++) s += wrapIndex(values[t * m + k]!, blockShape[k]!, op) * blockStrides[k]!;
    return s;
  });
  return { offsets, inner, tupleShape };
}
