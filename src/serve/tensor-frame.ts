import { NeuropodError } from '../api/errors.js';
import { DTYPES, isDType, type DType, type NumericArray } from '../tensor/dtype.js';
import { sizeOf, Tensor } from '../tensor/tensor.js';

/**
 * The binary form of a set of named tensors, for bodies too large for JSON (docs/testing.md):
 *
 *   "NPT1"  uint32 LE header length  header (UTF-8 JSON)  zero padding to 8  payload
 *
 * The header is `{"tensors": {name: {"dtype", "shape", "offset", "length"}}}`: each numeric tensor's
 * little-endian element bytes lie at `offset` (a multiple of 8, from the payload's start) for `length` bytes;
 * float16/bfloat16 as their raw bits, bool one byte each. String tensors carry `"data": [...]` in the header
 * instead. Sent and answered as `Content-Type: application/x-neuropod-tensors`.
 */
export const TENSOR_FRAME_TYPE = 'application/x-neuropod-tensors';
const MAGIC = [0x4e, 0x50, 0x54, 0x31];
const ALIGN = 8;

interface FrameEntry {
  dtype: string;
  shape: number[];
  offset?: number;
  length?: number;
  data?: string[];
}

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export function encodeTensorFrame(tensors: Readonly<Record<string, Tensor>>): Uint8Array {
  const entries: Record<string, FrameEntry> = {};
  const chunks: [number, Uint8Array][] = [];
  let end = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype === 'string') {
      entries[name] = { dtype: t.dtype, shape: [...t.shape], data: t.strings };
      continue;
    }
    if (DTYPES[t.dtype].rawBytes < 1) throw new NeuropodError('TENSOR_INVALID', `tensor '${name}': ${t.dtype} has no byte-per-element form in a tensor frame`);
    const a = t.numeric;
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const offset = align(end);
    entries[name] = { dtype: t.dtype, shape: [...t.shape], offset, length: bytes.length };
    chunks.push([offset, bytes]);
    end = offset + bytes.length;
  }
  const header = new TextEncoder().encode(JSON.stringify({ tensors: entries }));
  const payloadStart = align(8 + header.length);
  const out = new Uint8Array(payloadStart + end);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  for (const [offset, bytes] of chunks) out.set(bytes, payloadStart + offset);
  return out;
}

function frameError(where: string, what: string): NeuropodError {
  return new NeuropodError('TENSOR_INVALID', `${where} is not a readable tensor frame (${TENSOR_FRAME_TYPE}): ${what}`);
}

export function decodeTensorFrame(bytes: Uint8Array, where = 'tensor frame'): Record<string, Tensor> {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw frameError(where, 'it does not start with "NPT1"');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + headerLength > bytes.length) throw frameError(where, `its header claims ${headerLength} bytes, the body has ${bytes.length - 8}`);
  let header: { tensors?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw frameError(where, `its header is not JSON (${(e as Error).message})`);
  }
  if (!header || typeof header.tensors !== 'object' || header.tensors === null || Array.isArray(header.tensors)) throw frameError(where, 'its header has no "tensors" object');
  const payload = bytes.subarray(align(8 + headerLength));
  return Object.fromEntries(Object.entries(header.tensors as Record<string, unknown>).map(([name, e]) => [name, entryTensor(e, payload, `${where} tensor '${name}'`)]));
}

function entryTensor(raw: unknown, payload: Uint8Array, where: string): Tensor {
  const e = (raw ?? {}) as FrameEntry;
  if (!isDType(e.dtype)) throw new NeuropodError('TENSOR_INVALID', `${where}: dtype ${JSON.stringify(e.dtype)} is not a dtype`);
  if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NeuropodError('TENSOR_INVALID', `${where}: shape ${JSON.stringify(e.shape)} is not a list of sizes`);
  const size = sizeOf(e.shape);
  if (e.dtype === 'string') {
    if (!Array.isArray(e.data) || e.data.length !== size || e.data.some((s) => typeof s !== 'string')) throw new NeuropodError('TENSOR_INVALID', `${where}: a string tensor of shape [${e.shape.join(', ')}] needs "data" with ${size} strings`);
    return new Tensor('string', e.shape, e.data);
  }
  return new Tensor(e.dtype, e.shape, numericData(e, e.dtype, size, payload, where));
}

function numericData(e: FrameEntry, dtype: DType, size: number, payload: Uint8Array, where: string): NumericArray {
  const info = DTYPES[dtype];
  if (!info.array || info.rawBytes < 1) throw new NeuropodError('TENSOR_INVALID', `${where}: ${dtype} cannot travel in a tensor frame`);
  const length = size * info.rawBytes;
  if (e.length !== length) throw new NeuropodError('TENSOR_INVALID', `${where}: length ${String(e.length)}, its ${dtype} shape [${e.shape.join(', ')}] needs ${length} bytes`);
  const offset = e.offset;
  if (!Number.isInteger(offset) || offset! < 0 || offset! + length > payload.length) throw new NeuropodError('TENSOR_INVALID', `${where}: bytes ${String(offset)}..${String(offset)}+${length} are outside the payload (${payload.length} bytes)`);
  const copy = new Uint8Array(length);
  copy.set(payload.subarray(offset!, offset! + length));
  if (dtype === 'bool') for (let i = 0; i < length; i++) copy[i] = copy[i] ? 1 : 0;
  return new info.array(copy.buffer, 0, size) as NumericArray;
}
