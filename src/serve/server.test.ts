import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../testing/shared-fixtures.js';
import { tensor } from '../tensor/tensor.js';
import { fetchServerOutputs, fetchServerSpec } from './client.js';
import { startReferenceServer, type ReferenceServer } from './server.js';

const ADDITION = `${repoRoot}/examples/addition.neuropod`;
// NEUROPOD-FORMAT.md section 7, addition case: x [[1,2],[3,4]] + y [[7,8],[9,10]] = [[8,10],[12,14]].
const BODY = { x: { dtype: 'float32', shape: [2, 2], data: [1, 2, 3, 4] }, y: { dtype: 'float32', shape: [2, 2], data: [[7, 8], [9, 10]] } };
const SUM = { out: { dtype: 'float32', shape: [2, 2], data: [8, 10, 12, 14] } };

async function post(server: ReferenceServer, body: string | Uint8Array, type = 'application/json', path = '/infer') {
  const res = await fetch(server.url + path, { method: 'POST', body: body as BodyInit, headers: { 'Content-Type': type } });
  return { status: res.status, body: await res.json() };
}

for (const engine of ['onnxruntime', 'neuropod-web'] as const) {
  describe(`neuropod-web serve (${engine} engine)`, () => {
    let server: ReferenceServer;
    beforeAll(async () => void (server = await startReferenceServer(ADDITION, { engine })));
    afterAll(() => server.close());

    it('listens on loopback and answers GET /spec with the package spec', async () => {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await fetchServerSpec(server.url)).toEqual({
        name: 'addition_model', platform: 'onnx', engine,
        inputs: [{ name: 'x', dtype: 'float32', shape: [null, 2] }, { name: 'y', dtype: 'float32', shape: [null, 2] }],
        outputs: [{ name: 'out', dtype: 'float32', shape: [null, 2] }],
      });
    });

    it('runs a JSON body and answers JSON', async () => {
      expect(await post(server, JSON.stringify(BODY))).toEqual({ status: 200, body: SUM });
    });

    it('runs a tensor frame and answers a tensor frame', async () => {
      const out = await fetchServerOutputs(server.url, { x: tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]), y: tensor(Float32Array.from([7, 8, 9, 10]), [2, 2]) });
      expect(Object.keys(out)).toEqual(['out']);
      expect([out.out!.dtype, out.out!.shape, [...out.out!.numeric]]).toEqual(['float32', [2, 2], [8, 10, 12, 14]]);
    });
  });
}

describe('neuropod-web serve: malformed requests', () => {
  let server: ReferenceServer;
  beforeAll(async () => void (server = await startReferenceServer(ADDITION, { engine: 'neuropod-web', maxBodyBytes: 4096 })));
  afterAll(() => server.close());

  it('answers each with a 4xx and a JSON {error, code}, and keeps serving', async () => {
    expect(await post(server, '{"x": ')).toMatchObject({ status: 400, body: { code: 'TENSOR_INVALID', error: expect.stringMatching(/^the request body: is not JSON/) } });
    expect(await post(server, JSON.stringify({ x: { dtype: 'int32', shape: [1, 2], data: [1, 2] } }))).toMatchObject({ status: 400, body: { code: 'SPEC_DTYPE' } });
    expect(await post(server, JSON.stringify({ x: { dtype: 'float32', shape: [2], data: [1] } }))).toMatchObject({ status: 400, body: { code: 'TENSOR_INVALID', error: "the request body 'x': shape [2] needs 2 values, data has 1" } });
    expect(await post(server, JSON.stringify(BODY), 'application/json', '/infer?outputs=nope')).toMatchObject({ status: 400, body: { code: 'OUTPUT_UNKNOWN' } });
    expect(await post(server, new Uint8Array(16), 'application/x-neuropod-tensors')).toMatchObject({ status: 400, body: { code: 'TENSOR_INVALID', error: expect.stringMatching(/does not start with "NPT1"/) } });
    expect(await post(server, 'x=1', 'text/plain')).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(await post(server, 'x'.repeat(5000))).toMatchObject({ status: 413, body: { code: 'BODY_TOO_LARGE' } });
    expect(await post(server, '{}', 'application/json', '/nope')).toMatchObject({ status: 404, body: { code: 'ROUTE_UNKNOWN' } });
    const get = await fetch(`${server.url}/infer`);
    expect([get.status, (await get.json()).code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    expect(await post(server, JSON.stringify(BODY))).toEqual({ status: 200, body: SUM });
  });
});
