import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { isNeuropodError } from '../../api/errors.js';
import { load } from '../../api/model.js';
import { zipPackage } from '../../archive/zip-package.js';
import type { NeuropodConfig } from '../../spec/types.js';
import { tensor } from '../../tensor/tensor.js';
import { importTensorFlowPackage } from './importer.js';
import { ReferenceSession } from './reference-session.js';
import { GraphDefType } from './schema.js';

const float = { type: 'DT_FLOAT' };
const scalar = (v: number) => ({ tensor: { dtype: 'DT_FLOAT', tensorShape: {}, floatVal: [v] } });

/** A frozen-graph package holding `nodes`, with x -> x:0 and out -> out:0. */
function tfPackage(nodes: object[], initOps: string[]) {
  const graph = GraphDefType.encode(GraphDefType.fromObject({ node: nodes })).finish();
  const backend = { node_name_mapping: { x: 'x:0', out: 'out' }, init_op_names: initOps };
  const files = zipPackage(zipSync({ '0/data/model.pb': graph, '0/config.json': new TextEncoder().encode(JSON.stringify(backend)) }), 'accumulator.neuropod');
  const config: NeuropodConfig = {
    name: 'accumulator', platform: 'tensorflow', platformVersionSemver: '*', customOps: [], inputTensorDevice: {},
    inputSpec: [{ name: 'x', dtype: 'float32', shape: [] }], outputSpec: [{ name: 'out', dtype: 'float32', shape: [] }],
  };
  return { files, config };
}

/** Neuropod's accumulator test graph (TF1 ref variable): out = assign_add(acc, x), acc initialised to 0 by init. */
const refAccumulator = [
  { name: 'x', op: 'Placeholder', attr: { dtype: float } },
  { name: 'acc', op: 'VariableV2', attr: { dtype: float, shape: { shape: {} } } },
  { name: 'acc/initial_value', op: 'Const', attr: { dtype: float, value: scalar(0) } },
  { name: 'acc/Assign', op: 'Assign', input: ['acc', 'acc/initial_value'], attr: { T: float } },
  { name: 'init', op: 'NoOp', input: ['^acc/Assign'] },
  { name: 'out', op: 'AssignAdd', input: ['acc', 'x'], attr: { T: float } },
];

/** The same with a resource variable: the read is ordered after the update by a control edge. */
const resourceAccumulator = [
  { name: 'x', op: 'Placeholder', attr: { dtype: float } },
  { name: 'acc', op: 'VarHandleOp', attr: { dtype: float, shape: { shape: {} }, shared_name: { s: btoa('acc') } } },
  { name: 'zero', op: 'Const', attr: { dtype: float, value: scalar(0) } },
  { name: 'acc/Assign', op: 'AssignVariableOp', input: ['acc', 'zero'], attr: { dtype: float } },
  { name: 'update', op: 'AssignAddVariableOp', input: ['acc', 'x'], attr: { dtype: float } },
  { name: 'out', op: 'ReadVariableOp', input: ['acc', '^update'], attr: { dtype: float } },
];

describe('TensorFlow variables across infer calls', () => {
  for (const [kind, nodes] of [['ref (VariableV2/AssignAdd)', refAccumulator], ['resource (VarHandleOp/AssignAddVariableOp)', resourceAccumulator]] as const) {
    it(`accumulates like Neuropod's accumulator test: 2 gives 2, then 4 gives 6 (${kind})`, async () => {
      const { files, config } = tfPackage(nodes, ['init', 'acc/Assign']);
      const imported = await importTensorFlowPackage(files, config);
      expect(imported.state).toHaveLength(1);
      expect(Array.from(imported.state![0]!.initial.numeric as ArrayLike<number>)).toEqual([0]);
      const session = new ReferenceSession(imported);
      expect(Array.from(session.run({ x: tensor([2], []) }).out!.numeric as ArrayLike<number>)).toEqual([2]);
      expect(Array.from(session.run({ x: tensor([4], []) }).out!.numeric as ArrayLike<number>)).toEqual([6]);
    });
  }

  it('through load(): infer() with no outputs requested returns the spec outputs only, and the state carries (2 -> 2, 4 -> 6)', async () => {
    const graph = GraphDefType.encode(GraphDefType.fromObject({ node: refAccumulator })).finish();
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const bytes = zipSync({
      'config.json': enc({ name: 'accumulator', platform: 'tensorflow', input_spec: [{ name: 'x', dtype: 'float32', shape: [] }], output_spec: [{ name: 'out', dtype: 'float32', shape: [] }] }),
      '0/config.json': enc({ node_name_mapping: { x: 'x:0', out: 'out' }, init_op_names: ['init'] }),
      '0/data/model.pb': graph,
    });
    const model = await load(bytes);
    const first = await model.infer({ x: tensor([2], []) });
    expect(Object.keys(first)).toEqual(['out']);
    expect(Array.from(first.out!.numeric as ArrayLike<number>)).toEqual([2]);
    expect(Array.from((await model.infer({ x: tensor([4], []) })).out!.numeric as ArrayLike<number>)).toEqual([6]);
    await expect(model.infer({ x: tensor([1], []) }, { outputs: ['state:acc:new'] })).rejects.toMatchObject({ code: 'OUTPUT_UNKNOWN' });
  });

  it('a variable no init op gives a constant value to is a load error naming it', async () => {
    const { files, config } = tfPackage(refAccumulator, []);
    await expect(importTensorFlowPackage(files, config)).rejects.toThrow(/variable 'acc' has no value/);
  });

  it('an op outside the table fails at load with OP_UNSUPPORTED naming the op and node', async () => {
    const nodes = [
      { name: 'x', op: 'Placeholder', attr: { dtype: float } },
      { name: 'scope/out', op: 'Lgamma', input: ['x'], attr: { T: float } },
      { name: 'out', op: 'Identity', input: ['scope/out'], attr: { T: float } },
    ];
    const { files, config } = tfPackage(nodes, []);
    const error = await importTensorFlowPackage(files, config).catch((e: unknown) => e);
    expect(isNeuropodError(error) && error.code).toBe('OP_UNSUPPORTED');
    expect((error as Error).message).toBe("TensorFlow op 'Lgamma' (node 'scope/out') has no lowering to this engine's graph IR");
  });
});
