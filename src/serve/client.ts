import { ERROR_CODES, NeuropodError, type ErrorCode } from '../api/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { readJsonTensors, tensorsToJson } from '../testing/json-tensors.js';
import { decodeTensorFrame, encodeTensorFrame, TENSOR_FRAME_TYPE } from './tensor-frame.js';

export interface ServerRequestOptions {
  /** Outputs to compute; absent means every output. */
  outputs?: readonly string[];
  /** 'binary' (default) sends and receives tensor frames; 'json' the JSON form a person can read. */
  format?: 'binary' | 'json';
  signal?: AbortSignal;
}

/** The reference server's `GET /spec`: name, platform, input and output specs, engine. */
export async function fetchServerSpec(serverUrl: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const response = await request(new URL('/spec', serverUrl), { signal });
  return (await response.json()) as Record<string, unknown>;
}

/** Runs `inputs` on a reference server (`neuropod-web serve`) and returns its outputs as tensors. */
export async function fetchServerOutputs(serverUrl: string, inputs: Readonly<Record<string, Tensor>>, options: ServerRequestOptions = {}): Promise<Record<string, Tensor>> {
  const url = new URL('/infer', serverUrl);
  if (options.outputs?.length) url.searchParams.set('outputs', options.outputs.join(','));
  const binary = (options.format ?? 'binary') === 'binary';
  const body = binary ? encodeTensorFrame(inputs) : JSON.stringify(tensorsToJson(inputs));
  const type = binary ? TENSOR_FRAME_TYPE : 'application/json';
  const response = await request(url, { method: 'POST', body: body as BodyInit, headers: { 'Content-Type': type, Accept: type }, signal: options.signal });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const where = `the answer of ${url.origin}/infer`;
  return binary ? decodeTensorFrame(bytes, where) : readJsonTensors(bytes, where);
}

async function request(url: URL, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw new NeuropodError('IO_FAILED', `cannot reach the reference server at ${url.href}: ${(e as Error).message}`, { cause: e });
  }
  if (response.ok) return response;
  const text = await response.text();
  let answer: { error?: string; code?: string } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    answer = { error: text };
  }
  const code: ErrorCode = answer.code && answer.code in ERROR_CODES ? (answer.code as ErrorCode) : 'IO_FAILED';
  throw new NeuropodError(code, `${url.href} answered ${response.status}${answer.code ? ` ${answer.code}` : ''}: ${answer.error ?? text}`);
}
