import { ERROR_CODES, isNeuropodError, NeuropodError, type ErrorCode } from '../api/errors.js';
import type { DType, TensorData } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** A tensor crossing to or from the engine Worker: structured cloning keeps its fields, not its class. */
export interface WireTensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

export interface WireTensors {
  tensors: [string, WireTensor][];
  /** The buffers to transfer with them (each once; shared memory is never transferred). */
  transfer: ArrayBuffer[];
}

/** Bytes handed to the Worker as a Blob (kept off the JS heap for reloads), turned back into what they were. */
export interface WireBytes {
  kind: 'neuropod-bytes';
  blob: Blob;
  asBuffer: boolean;
}

export function isWireBytes(v: unknown): v is WireBytes {
  return typeof v === 'object' && v !== null && (v as WireBytes).kind === 'neuropod-bytes';
}

export async function bytesFromWire(w: WireBytes): Promise<ArrayBuffer | Uint8Array> {
  const buffer = await w.blob.arrayBuffer();
  return w.asBuffer ? buffer : new Uint8Array(buffer);
}

/** What a Worker method answers: thrown errors travel as data, so their code survives the crossing. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: WireError };

export interface WireError {
  name: string;
  message: string;
  code?: string;
}

/**
 * Tensors made ready to cross. `own` decides who may keep each buffer afterwards: 'copy' gives the receiver fresh
 * copies and leaves the given tensors intact; 'move' moves their buffers (the given tensors are then detached);
 * a predicate moves the buffers it accepts and copies the rest.
 */
export function tensorsToWire(tensors: Iterable<[string, Tensor]>, own: 'copy' | 'move' | ((buffer: ArrayBufferLike) => boolean)): WireTensors {
  const moves = (b: ArrayBufferLike): boolean => b instanceof ArrayBuffer && (own === 'move' || (typeof own === 'function' && own(b)));
  const out: [string, WireTensor][] = [];
  const transfer = new Set<ArrayBuffer>();
  for (const [name, t] of tensors) {
    let data = t.data;
    if (Array.isArray(data)) data = [...data];
    else if (!moves(data.buffer)) data = data.slice();
    if (!Array.isArray(data) && data.buffer instanceof ArrayBuffer) transfer.add(data.buffer);
    out.push([name, { dtype: t.dtype, shape: [...t.shape], data }]);
  }
  return { tensors: out, transfer: [...transfer] };
}

/**
 * Detaches the moved buffers from the caller now, at call time, rather than when a queued call is finally sent
 * (structuredClone with a transfer list moves a buffer without copying it).
 */
export function takeOwnership(wire: WireTensors): WireTensors {
  return structuredClone(wire, { transfer: wire.transfer });
}

export function tensorsFromWire(tensors: readonly [string, WireTensor][]): [string, Tensor][] {
  return tensors.map(([name, w]) => [name, new Tensor(w.dtype, w.shape, w.data)]);
}

export function errorToWire(e: unknown): WireError {
  if (isNeuropodError(e)) return { name: e.name, message: e.message, code: e.code };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** A NeuropodError with the code and message it had in the Worker; other errors keep their name and message. */
export function errorFromWire(w: WireError): Error {
  if (w.code !== undefined && w.code in ERROR_CODES) return new NeuropodError(w.code as ErrorCode, w.message);
  const e = new Error(w.message);
  e.name = w.name;
  return e;
}

export async function reply<T>(work: () => Promise<T> | T): Promise<Reply<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (e) {
    return { ok: false, error: errorToWire(e) };
  }
}

export function unwrap<T>(r: Reply<T>): T {
  if (r.ok) return r.value;
  throw errorFromWire(r.error);
}
