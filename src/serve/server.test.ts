import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { GraphDefType } from '../formats/tensorflow/schema.js';
import { compareOutputs } from '../testing/compare.js';
import { readJsonTensors } from '../testing/json-tensors.js';
import { readNpy } from '../testing/npy.js';
import { repoRoot, sharedOrSkip, sharedPath } from '../testing/shared-fixtures.js';
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

/**
 * Neuropod's accumulator test graph (TF1 ref variable, as src/formats/tensorflow/variables.test.ts builds it):
 * out = assign_add(acc, x), acc set to 0 by the init op. A zipped package with its config.json.
 */
function accumulatorPackage(): Uint8Array {
  const float = { type: 'DT_FLOAT' };
  const zero = { tensor: { dtype: 'DT_FLOAT', tensorShape: {}, floatVal: [0] } };
  const nodes = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float } },
    { name: 'acc', op: 'VariableV2', attr: { dtype: float, shape: { shape: {} } } },
    { name: 'acc/initial_value', op: 'Const', attr: { dtype: float, value: zero } },
    { name: 'acc/Assign', op: 'Assign', input: ['acc', 'acc/initial_value'], attr: { T: float } },
    { name: 'init', op: 'NoOp', input: ['^acc/Assign'] },
    { name: 'out', op: 'AssignAdd', input: ['acc', 'x'], attr: { T: float } },
  ];
  const text = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const spec = (name: string) => [{ name, dtype: 'float32', shape: [] }];
  return zipSync({
    'config.json': text({ name: 'accumulator', platform: 'tensorflow', input_spec: spec('x'), output_spec: spec('out') }),
    '0/config.json': text({ node_name_mapping: { x: 'x:0', out: 'out' }, init_op_names: ['init'] }),
    '0/data/model.pb': GraphDefType.encode(GraphDefType.fromObject({ node: nodes })).finish(),
  });
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

    it("keeps a TensorFlow variable across requests, as Neuropod's accumulator test expects: 2 gives 2, then 4 gives 6", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'accumulator-'));
      writeFileSync(join(dir, 'accumulator.neuropod'), accumulatorPackage());
      const accumulator = await startReferenceServer(join(dir, 'accumulator.neuropod'), { engine });
      try {
        const add = async (v: number) => (await post(accumulator, JSON.stringify({ x: { dtype: 'float32', shape: [], data: [v] } }), 'application/json', '/infer?outputs=out')).body;
        expect(await add(2)).toEqual({ out: { dtype: 'float32', shape: [], data: [2] } });
        expect(await add(4)).toEqual({ out: { dtype: 'float32', shape: [], data: [6] } });
      } finally {
        await accumulator.close();
        rmSync(dir, { recursive: true });
      }
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

describe.runIf(sharedOrSkip('reference server on Neuropod packages'))('the onnxruntime engine runs converted packages', () => {
  it('a TorchScript package (bench/lstm_tagger) matches the torch 1.13 output within 1e-5', async () => {
    const server = await startReferenceServer(sharedPath('bench/lstm_tagger/lstm_tagger.neuropod'), { engine: 'onnxruntime' });
    try {
      const out = await fetchServerOutputs(server.url, { x: readNpy(readFileSync(sharedPath('bench/lstm_tagger/input.npy'))) });
      const report = compareOutputs(out, { out: readNpy(readFileSync(sharedPath('bench/lstm_tagger/output.npy'))) }, { rtol: 1e-5, atol: 1e-6 });
      expect(report.pass).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('takes int64 ids as decimal strings in JSON (bench/encoder_mini) and answers what torch 1.13 computed', async () => {
    const server = await startReferenceServer(sharedPath('bench/encoder_mini/model.onnx'), { engine: 'onnxruntime' });
    try {
      const ids = readNpy(readFileSync(sharedPath('bench/encoder_mini/input.npy')));
      const body = { ids: { dtype: 'int64', shape: ids.shape, data: Array.from(ids.numeric as BigInt64Array, String) } };
      const answer = await post(server, JSON.stringify(body));
      expect(answer.status).toBe(200);
      const report = compareOutputs(readJsonTensors(answer.body), { out: readNpy(readFileSync(sharedPath('bench/encoder_mini/output.npy'))) }, { rtol: 1e-4, atol: 1e-5 });
      expect(report.pass).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a TensorFlow string package (tf_strings_model) joins strings as NEUROPOD-FORMAT.md section 7 says', async () => {
    const server = await startReferenceServer(sharedPath('models/neuropod/tf_strings_model'), { engine: 'onnxruntime' });
    try {
      const body = { x: { dtype: 'string', shape: [3], data: ['apple', 'banana', 'carrot'] }, y: { dtype: 'string', shape: [3], data: ['sauce', 'pudding', 'cake'] } };
      const answer = await post(server, JSON.stringify(body), 'application/json', '/infer?outputs=out');
      expect(answer).toEqual({ status: 200, body: { out: { dtype: 'string', shape: [3], data: ['apple sauce', 'banana pudding', 'carrot cake'] } } });
    } finally {
      await server.close();
    }
  });
});
