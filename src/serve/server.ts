import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isNeuropodError } from '../api/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { readJsonTensors, tensorsToJson } from '../testing/json-tensors.js';
import { openServedModel, type EngineOptions, type ServedModel } from './engines.js';
import { decodeTensorFrame, encodeTensorFrame, TENSOR_FRAME_TYPE } from './tensor-frame.js';

export interface ReferenceServerOptions extends EngineOptions {
  /** 0 (default) takes a free port. */
  port?: number;
  /** Default 127.0.0.1: loopback only. */
  host?: string;
  /** Largest request body, in bytes (default 512 MiB). */
  maxBodyBytes?: number;
}

export interface ReferenceServer {
  url: string;
  port: number;
  model: ServedModel;
  close(): Promise<void>;
}

/** An answer that is not a 200: its status and the `{error, code}` body. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** NeuropodError codes that mean the request was wrong (400); any other code is the server's failure (500). */
const CLIENT_CODES = new Set(['USAGE', 'TENSOR_INVALID', 'SPEC_DTYPE', 'SPEC_RANK', 'SPEC_DIM', 'SPEC_SYMBOL', 'SPEC_UNKNOWN_NAME', 'OUTPUT_UNKNOWN']);

/**
 * `neuropod-web serve`: a package behind `GET /spec` and `POST /infer` (docs/testing.md), one inference at a
 * time (a stateful model sees requests in order). A bad request is a 4xx with `{error, code}`; nothing a client
 * sends takes the server down.
 */
export async function startReferenceServer(source: string, options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  const model = await openServedModel(source, options);
  const maxBody = options.maxBodyBytes ?? 512 * 2 ** 20;
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  const server: Server = createServer((req, res) => {
    handle(req, res, model, maxBody, serialized).catch((e) => sendError(res, e));
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ok());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    model,
    close: async () => {
      await new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections?.();
      await model.close();
    },
  };
}

const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Content-Type, Accept', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' };

async function handle(req: IncomingMessage, res: ServerResponse, model: ServedModel, maxBody: number, serialized: <T>(w: () => Promise<T>) => Promise<T>): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
  if (url.pathname === '/spec') {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `/spec answers GET, not ${req.method}`);
    return sendJson(res, 200, { name: model.name, platform: model.platform, engine: model.engine, inputs: model.inputs, outputs: model.outputs });
  }
  if (url.pathname !== '/infer') throw new HttpError(404, 'ROUTE_UNKNOWN', `no route ${url.pathname}; this server answers GET /spec and POST /infer`);
  if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `/infer answers POST, not ${req.method}`);
  const binary = isFrame(req.headers['content-type']);
  if (!binary && !/^application\/json\b/i.test(req.headers['content-type'] ?? 'application/json')) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `send application/json or ${TENSOR_FRAME_TYPE}, not ${req.headers['content-type']}`);
  }
  const body = await readBody(req, maxBody);
  const inputs = binary ? decodeTensorFrame(body, 'the request body') : readJsonTensors(body, 'the request body');
  const wanted = (url.searchParams.get('outputs') ?? '').split(',').filter((n) => n !== '');
  const outputs = await serialized(() => model.infer(new Map(Object.entries(inputs)), wanted));
  const answerBinary = req.headers.accept ? isFrame(req.headers.accept) : binary;
  if (answerBinary) sendFrame(res, outputs);
  else sendJson(res, 200, tensorsToJson(outputs));
}

function isFrame(type: string | undefined): boolean {
  return !!type && (type.includes(TENSOR_FRAME_TYPE) || type.includes('application/octet-stream'));
}

function readBody(req: IncomingMessage, maxBody: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBody) return Promise.reject(new HttpError(413, 'BODY_TOO_LARGE', `the body has ${declared} bytes; this server takes at most ${maxBody}`));
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is drained, not kept, so the 413 still reaches the client.
      if (size > maxBody) fail(new HttpError(413, 'BODY_TOO_LARGE', `the body passed ${maxBody} bytes, the most this server takes`));
      else chunks.push(chunk);
    });
    req.on('end', () => ok(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', fail);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { ...CORS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

function sendFrame(res: ServerResponse, outputs: Record<string, Tensor>): void {
  const frame = encodeTensorFrame(outputs);
  res.writeHead(200, { ...CORS, 'Content-Type': TENSOR_FRAME_TYPE, 'Content-Length': frame.length }).end(frame);
}

function sendError(res: ServerResponse, e: unknown): void {
  const [status, code, message] =
    e instanceof HttpError ? [e.status, e.code, e.message]
    : isNeuropodError(e) ? [CLIENT_CODES.has(e.code) ? 400 : 500, e.code, e.message]
    : [500, 'INTERNAL', `the server failed: ${(e as Error)?.message ?? String(e)}`];
  if (res.headersSent) return void res.destroy();
  if (status === 413) res.setHeader('Connection', 'close');
  sendJson(res, status, { error: message, code });
}

