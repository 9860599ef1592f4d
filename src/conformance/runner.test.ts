import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runConformanceCli } from '../cli/conformance.js';
import type { Model } from '../graph/ir.js';
import { encodeOnnxModel, tensorToProto } from '../formats/onnx/encode.js';
import { TensorProtoType } from '../formats/onnx/schema.js';
import { Tensor } from '../tensor/tensor.js';
import { runConformance } from './runner.js';

const root = mkdtempSync(join(tmpdir(), 'conformance-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const f32 = (values: number[]): Tensor => new Tensor('float32', [values.length], Float32Array.from(values));
const pb = (t: Tensor): Uint8Array => TensorProtoType.encode(tensorToProto(t)).finish();

/** A node test dir as the ONNX backend tests lay them out: y = Relu(x), with the given expected y. */
function writeReluTest(name: string, expected: number[]): void {
  const model: Model = {
    opsets: new Map([['', 14]]),
    graph: {
      name,
      nodes: [{ name: 'relu', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attributes: new Map() }],
      inputs: [{ name: 'x', type: { kind: 'tensor', dtype: 'float32', shape: [3] } }],
      outputs: [{ name: 'y', type: { kind: 'tensor', dtype: 'float32', shape: [3] } }],
      initializers: new Map(),
    },
  };
  const dir = join(root, 'suite', name);
  mkdirSync(join(dir, 'test_data_set_0'), { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), encodeOnnxModel(model));
  writeFileSync(join(dir, 'test_data_set_0', 'input_0.pb'), pb(f32([-1, 0, 2])));
  writeFileSync(join(dir, 'test_data_set_0', 'output_0.pb'), pb(f32(expected)));
}

writeReluTest('test_relu_right', [0, 0, 2]);
writeReluTest('test_relu_wrong', [0, 0, 3]);
writeFileSync(join(root, 'suite', 'ops.jsonc'), JSON.stringify([
  { name: 'Relu', operator: 'Relu', cases: [{ name: 'c', inputs: [{ data: [-2, 5], dims: [2], type: 'float32' }], outputs: [{ data: [0, 5], dims: [2], type: 'float32' }] }] },
  { name: 'Nope', operator: 'NoSuchOp', opset: { domain: 'x.test', version: 1 }, cases: [{ name: 'c', inputs: [], outputs: [{ data: [1], dims: [1], type: 'float32' }] }] },
]));

describe('runConformance', () => {
  it('passes a matching test and says why the others fail', async () => {
    const results = await runConformance({ roots: [join(root, 'suite')], backend: 'cpu' });
    const summary = results.map((r) => [r.id, r.status, r.category, r.reason]);
    expect(summary).toEqual([
      ['suite/ops.jsonc > Relu > c', 'passed', undefined, undefined],
      ['suite/ops.jsonc > Nope > c', 'failed', 'unsupported', "Unsupported operator NoSuchOp (domain x.test, opset 1) at node 'NoSuchOp'"],
      ['suite/test_relu_right', 'passed', undefined, undefined],
      ['suite/test_relu_wrong', 'failed', 'mismatch', "test_data_set_0: output 0 'y': 1 of 3 values differ; max abs err 1 at index 2 (got 2, expected 3)"],
    ]);
    expect(results[2]!.class).toEqual({ domains: [''], opset: 14, maxOpset: 14 });
  });

  it('fails a test that overruns its time cap and goes on with a fresh worker', async () => {
    const results = await runConformance({ roots: [join(root, 'suite')], filter: /test_relu/, backend: 'cpu', timeoutMs: 1 });
    expect(results.map((r) => [r.status, r.category, r.reason])).toEqual([
      ['failed', 'timeout', 'did not finish within 0.001 s'],
      ['failed', 'timeout', 'did not finish within 0.001 s'],
    ]);
  });
});

describe('runConformanceCli', () => {
  it('ends with the counts line, writes JSON and markdown, and exits 1 on failures', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const json = join(root, 'out.json');
    const md = join(root, 'conformance.md');
    const code = await runConformanceCli([join(root, 'suite'), '--filter', '[Rr]elu', '--json', json, '--markdown', md]);
    const lines = log.mock.calls.map((c) => String(c[0]));
    log.mockRestore();
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe('2 passed, 1 failed, 0 skipped');
    expect(lines[0]).toMatch(/^FAILED suite\/test_relu_wrong: \[mismatch\]/);
    expect((JSON.parse(readFileSync(json, 'utf8')) as { results: unknown[] }).results).toHaveLength(3);
    expect(readFileSync(md, 'utf8')).toContain('| suite | 2 | 1 | 0 | 3 | 66.7% |');
  });

  it('rejects an unknown backend with a usage message', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await runConformanceCli([root, '--backend', 'gpu-of-dreams'])).toBe(2);
    expect(String(err.mock.calls[0]![0])).toMatch(/^no backend 'gpu-of-dreams'/);
    err.mockRestore();
  });
});
