import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { convert } from '../../api/convert.js';
import { load } from '../../api/model.js';
import type { Graph } from '../../graph/ir.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';
import { constant, cond, DT, functionDef, op, placeholder, tfPackage, whileLoop, type NodeJson, type Spec } from './tf1-graphs.js';

const plain = (t: Tensor) => Array.from(t.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));

async function onCpu(pkg: Uint8Array, feeds: Record<string, Tensor>) {
  const model = await load(pkg, { backend: 'cpu' });
  const out = await model.infer(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: [...t.shape], data: plain(t) }]));
}

async function onOnnxRuntime(pkg: Uint8Array, feeds: Record<string, Tensor>) {
  const session = await ort.InferenceSession.create((await convert(pkg, 'onnx')).get('model.onnx')!);
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, [...t.shape])]));
  const out = await session.run(ortFeeds);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: [...t.dims], data: Array.from(t.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v)) }]));
}

async function opTypes(pkg: Uint8Array): Promise<string[]> {
  const { openModel } = await import('../../api/open-model.js');
  const opened = await openModel(pkg);
  const walk = (g: Graph): string[] => g.nodes.flatMap((n) => [n.opType, ...[...n.attributes.values()].flatMap((a) => (a.type === 'graph' ? walk(a.value) : []))]);
  return walk(opened.imported!.model.graph);
}

/** Checks one case on the cpu backend and on onnxruntime-node after convert --to onnx, against hand-computed values. */
async function expectBoth(pkg: Uint8Array, feeds: Record<string, Tensor>, expected: Record<string, { shape: number[]; data: unknown[] }>) {
  expect(await onCpu(pkg, feeds)).toEqual(expected);
  expect(await onOnnxRuntime(pkg, feeds)).toEqual(expected);
}

const i32 = (v: number[], shape: number[] = []) => tensor(new Int32Array(v), shape);
const f32 = (v: number[], shape: number[]) => tensor(new Float32Array(v), shape);

/** i = 0; while i < 10: i = i + 1 */
function counter(limit: number) {
  const loop = whileLoop({
    prefix: 'while',
    vars: [{ init: 'Const', t: DT.int32 }],
    cond: (s) => {
      s.nodes.push(constant(`${s.prefix}/Less/y`, DT.int32, [limit], [], [s.pivot]), op(`${s.prefix}/Less`, 'Less', [s.vars[0]!, `${s.prefix}/Less/y`], DT.int32));
      return `${s.prefix}/Less`;
    },
    body: (s) => {
      s.nodes.push(constant(`${s.prefix}/add/y`, DT.int32, [1], [], [s.pivot]), op(`${s.prefix}/add`, 'Add', [s.vars[0]!, `${s.prefix}/add/y`], DT.int32));
      return [`${s.prefix}/add`];
    },
  });
  return [constant('Const', DT.int32, [0]), ...loop.nodes, op('out', 'Identity', [loop.exits[0]!], DT.int32)];
}

const scalarSpec = (name: string, dtype = 'int32'): Spec => ({ name, dtype, shape: [] });

describe('TF1 tf.while_loop -> ONNX Loop (cpu backend and onnxruntime-node after convert --to onnx)', () => {
  it('the counter loop i < 10: i + 1 gives 10, as one Loop', async () => {
    const pkg = tfPackage(counter(10), [], [[scalarSpec('out'), 'out:0']]);
    expect(await opTypes(pkg)).toEqual(expect.arrayContaining(['Loop', 'Less', 'Add']));
    await expectBoth(pkg, {}, { out: { shape: [], data: [10] } });
  });

  it('two carried values and two invariants: acc += x * i for i < n (x = [1, 2, 3], n = 4 gives [6, 12, 18] and i = 4)', async () => {
    const loop = whileLoop({
      prefix: 'while',
      vars: [{ init: 'zero', t: DT.int32 }, { init: 'acc0', t: DT.float }],
      invariants: [{ value: 'n', t: DT.int32 }, { value: 'x', t: DT.float }],
      cond: (s) => {
        s.nodes.push(op(`${s.prefix}/Less`, 'Less', [s.vars[0]!, s.invariants[0]!], DT.int32));
        return `${s.prefix}/Less`;
      },
      body: (s) => {
        const p = s.prefix;
        s.nodes.push(
          constant(`${p}/add/y`, DT.int32, [1], [], [s.pivot]),
          op(`${p}/add`, 'Add', [s.vars[0]!, `${p}/add/y`], DT.int32),
          { name: `${p}/Cast`, op: 'Cast', input: [s.vars[0]!], attr: { SrcT: { type: DT.int32 }, DstT: { type: DT.float } } },
          op(`${p}/mul`, 'Mul', [s.invariants[1]!, `${p}/Cast`], DT.float),
          op(`${p}/add_1`, 'AddV2', [s.vars[1]!, `${p}/mul`], DT.float),
        );
        return [`${p}/add`, `${p}/add_1`];
      },
    });
    const nodes = [placeholder('x', DT.float, [3]), placeholder('n', DT.int32, []), constant('zero', DT.int32, [0]), constant('acc0', DT.float, [0, 0, 0], [3]), ...loop.nodes];
    const pkg = tfPackage(
      nodes,
      [[{ name: 'x', dtype: 'float32', shape: [3] }, 'x:0'], [scalarSpec('n'), 'n:0']],
      [[{ name: 'acc', dtype: 'float32', shape: [3] }, `${loop.exits[1]}:0`], [scalarSpec('i'), `${loop.exits[0]}:0`]],
    );
    await expectBoth(pkg, { x: f32([1, 2, 3], [3]), n: i32([4]) }, { acc: { shape: [3], data: [6, 12, 18] }, i: { shape: [], data: [4] } });
    // Zero iterations: the condition is false on the initial values, the loop gives them back.
    await expectBoth(pkg, { x: f32([1, 2, 3], [3]), n: i32([0]) }, { acc: { shape: [3], data: [0, 0, 0] }, i: { shape: [], data: [0] } });
  });

  it('a tf.cond inside the loop body: i < 5, acc + i when i is even else acc - 1 gives 6 - 2 = 4', async () => {
    const loop = whileLoop({
      prefix: 'while',
      vars: [{ init: 'zero', t: DT.int32 }, { init: 'zero', t: DT.int32 }],
      cond: (s) => {
        s.nodes.push(constant(`${s.prefix}/Less/y`, DT.int32, [5], [], [s.pivot]), op(`${s.prefix}/Less`, 'Less', [s.vars[0]!, `${s.prefix}/Less/y`], DT.int32));
        return `${s.prefix}/Less`;
      },
      body: (s) => {
        const p = s.prefix;
        s.nodes.push(
          constant(`${p}/FloorMod/y`, DT.int32, [2], [], [s.pivot]),
          op(`${p}/FloorMod`, 'FloorMod', [s.vars[0]!, `${p}/FloorMod/y`], DT.int32),
          constant(`${p}/Equal/y`, DT.int32, [0], [], [s.pivot]),
          op(`${p}/Equal`, 'Equal', [`${p}/FloorMod`, `${p}/Equal/y`], DT.int32),
        );
        const c = cond({
          prefix: `${p}/cond`,
          pred: `${p}/Equal`,
          types: [DT.int32],
          whenTrue: (b) => {
            b.nodes.push(op(`${b.prefix}/add`, 'Add', [b.read(s.vars[1]!, DT.int32), b.read(s.vars[0]!, DT.int32)], DT.int32));
            return [`${b.prefix}/add`];
          },
          whenFalse: (b) => {
            b.nodes.push(constant(`${b.prefix}/sub/y`, DT.int32, [1], [], [b.pivot]), op(`${b.prefix}/sub`, 'Sub', [b.read(s.vars[1]!, DT.int32), `${b.prefix}/sub/y`], DT.int32));
            return [`${b.prefix}/sub`];
          },
        });
        s.nodes.push(...c.nodes, constant(`${p}/add/y`, DT.int32, [1], [], [s.pivot]), op(`${p}/add`, 'Add', [s.vars[0]!, `${p}/add/y`], DT.int32));
        return [`${p}/add`, c.outputs[0]!];
      },
    });
    const pkg = tfPackage([constant('zero', DT.int32, [0]), ...loop.nodes], [], [[scalarSpec('acc'), `${loop.exits[1]}:0`]]);
    expect(await opTypes(pkg)).toEqual(expect.arrayContaining(['Loop', 'If']));
    await expectBoth(pkg, {}, { acc: { shape: [], data: [4] } });
  });

  it('a while over a tensor: the sum of the rows of x, with n = tf.shape(x)[0] (3 rows, and no rows)', async () => {
    const loop = whileLoop({
      prefix: 'while',
      vars: [{ init: 'zero', t: DT.int32 }, { init: 'zeros', t: DT.float }],
      invariants: [{ value: 'strided_slice', t: DT.int32 }, { value: 'x', t: DT.float }],
      cond: (s) => {
        s.nodes.push(op(`${s.prefix}/Less`, 'Less', [s.vars[0]!, s.invariants[0]!], DT.int32));
        return `${s.prefix}/Less`;
      },
      body: (s) => {
        const p = s.prefix;
        s.nodes.push(
          constant(`${p}/GatherV2/axis`, DT.int32, [0], [], [s.pivot]),
          { name: `${p}/GatherV2`, op: 'GatherV2', input: [s.invariants[1]!, s.vars[0]!, `${p}/GatherV2/axis`], attr: { Tparams: { type: DT.float }, Tindices: { type: DT.int32 }, Taxis: { type: DT.int32 }, batch_dims: { i: 0 } } },
          op(`${p}/add_1`, 'AddV2', [s.vars[1]!, `${p}/GatherV2`], DT.float),
          constant(`${p}/add/y`, DT.int32, [1], [], [s.pivot]),
          op(`${p}/add`, 'AddV2', [s.vars[0]!, `${p}/add/y`], DT.int32),
        );
        return [`${p}/add`, `${p}/add_1`];
      },
    });
    const nodes = [
      placeholder('x', DT.float, [-1, 2]),
      { name: 'Shape', op: 'Shape', input: ['x'], attr: { T: { type: DT.float }, out_type: { type: DT.int32 } } },
      constant('strided_slice/stack', DT.int32, [0], [1]),
      constant('strided_slice/stack_1', DT.int32, [1], [1]),
      constant('strided_slice/stack_2', DT.int32, [1], [1]),
      {
        name: 'strided_slice', op: 'StridedSlice', input: ['Shape', 'strided_slice/stack', 'strided_slice/stack_1', 'strided_slice/stack_2'],
        attr: { T: { type: DT.int32 }, Index: { type: DT.int32 }, shrink_axis_mask: { i: 1 }, begin_mask: { i: 0 }, end_mask: { i: 0 }, ellipsis_mask: { i: 0 }, new_axis_mask: { i: 0 } },
      },
      constant('zero', DT.int32, [0]),
      constant('zeros', DT.float, [0, 0], [2]),
      ...loop.nodes,
    ];
    const pkg = tfPackage(nodes, [[{ name: 'x', dtype: 'float32', shape: [null, 2] }, 'x:0']], [[{ name: 'sum', dtype: 'float32', shape: [2] }, `${loop.exits[1]}:0`]]);
    await expectBoth(pkg, { x: f32([1, 2, 3, 4, 5, 6], [3, 2]) }, { sum: { shape: [2], data: [9, 12] } });
    await expectBoth(pkg, { x: f32([], [0, 2]) }, { sum: { shape: [2], data: [0, 0] } });
  });

  it('nested loops: for i < 3, an inner loop j < i adds 1 to a count the outer loop carries (0 + 1 + 2 = 3)', async () => {
    const outer = whileLoop({
      prefix: 'while',
      vars: [{ init: 'zero', t: DT.int32 }, { init: 'zero', t: DT.int32 }],
      cond: (s) => {
        s.nodes.push(constant(`${s.prefix}/Less/y`, DT.int32, [3], [], [s.pivot]), op(`${s.prefix}/Less`, 'Less', [s.vars[0]!, `${s.prefix}/Less/y`], DT.int32));
        return `${s.prefix}/Less`;
      },
      body: (s) => {
        const p = s.prefix;
        s.nodes.push(constant(`${p}/Const`, DT.int32, [0], [], [s.pivot]));
        const inner = whileLoop({
          prefix: `${p}/while`,
          vars: [{ init: `${p}/Const`, t: DT.int32 }, { init: s.vars[1]!, t: DT.int32 }],
          invariants: [{ value: s.vars[0]!, t: DT.int32 }],
          cond: (t) => {
            t.nodes.push(op(`${t.prefix}/Less`, 'Less', [t.vars[0]!, t.invariants[0]!], DT.int32));
            return `${t.prefix}/Less`;
          },
          body: (t) => {
            t.nodes.push(
              constant(`${t.prefix}/add/y`, DT.int32, [1], [], [t.pivot]),
              op(`${t.prefix}/add`, 'Add', [t.vars[0]!, `${t.prefix}/add/y`], DT.int32),
              op(`${t.prefix}/add_1`, 'Add', [t.vars[1]!, `${t.prefix}/add/y`], DT.int32),
            );
            return [`${t.prefix}/add`, `${t.prefix}/add_1`];
          },
        });
        s.nodes.push(...inner.nodes, constant(`${p}/add/y`, DT.int32, [1], [], [s.pivot]), op(`${p}/add`, 'Add', [s.vars[0]!, `${p}/add/y`], DT.int32));
        return [`${p}/add`, inner.exits[1]!];
      },
    });
    const pkg = tfPackage([constant('zero', DT.int32, [0]), ...outer.nodes], [], [[scalarSpec('count'), `${outer.exits[1]}:0`], [scalarSpec('i'), `${outer.exits[0]}:0`]]);
    expect((await opTypes(pkg)).filter((t) => t === 'Loop')).toHaveLength(2);
    await expectBoth(pkg, {}, { count: { shape: [], data: [3] }, i: { shape: [], data: [3] } });
  });
});

describe('TF1 tf.cond -> ONNX If', () => {
  /** out, other = tf.cond(k > 0, lambda: (x * 2, x + 1), lambda: (x - 1, [7.0, 8.0])) (Neuropod specs have no bool) */
  function twoOutputs() {
    const c = cond({
      prefix: 'cond',
      pred: 'Greater',
      types: [DT.float, DT.float],
      whenTrue: (b) => {
        const x = b.read('x', DT.float);
        b.nodes.push(
          constant('cond/mul/y', DT.float, [2], [], [b.pivot]), op('cond/mul', 'Mul', [x, 'cond/mul/y'], DT.float),
          constant('cond/add/y', DT.float, [1], [], [b.pivot]), op('cond/add', 'AddV2', [x, 'cond/add/y'], DT.float),
        );
        return ['cond/mul', 'cond/add'];
      },
      whenFalse: (b) => {
        b.nodes.push(constant('cond/sub/y', DT.float, [1], [], [b.pivot]), op('cond/sub', 'Sub', [b.read('x', DT.float), 'cond/sub/y'], DT.float), constant('cond/Const', DT.float, [7, 8], [2], [b.pivot]));
        return ['cond/sub', 'cond/Const'];
      },
    });
    return tfPackage(
      [placeholder('x', DT.float, [2]), placeholder('k', DT.int32, []), constant('Greater/y', DT.int32, [0]), op('Greater', 'Greater', ['k', 'Greater/y'], DT.int32), ...c.nodes],
      [[{ name: 'x', dtype: 'float32', shape: [2] }, 'x:0'], [scalarSpec('k'), 'k:0']],
      [[{ name: 'out', dtype: 'float32', shape: [2] }, `${c.outputs[0]}:0`], [{ name: 'other', dtype: 'float32', shape: [2] }, `${c.outputs[1]}:0`]],
    );
  }

  it('two outputs of one cond are one If; each branch computes its own values (true and false)', async () => {
    const pkg = twoOutputs();
    expect((await opTypes(pkg)).filter((t) => t === 'If')).toHaveLength(1);
    const x = f32([3, -1], [2]);
    await expectBoth(pkg, { x, k: i32([1]) }, { out: { shape: [2], data: [6, -2] }, other: { shape: [2], data: [4, 0] } });
    await expectBoth(pkg, { x, k: i32([0]) }, { out: { shape: [2], data: [2, -2] }, other: { shape: [2], data: [7, 8] } });
  });
});

describe('TF1 control flow this engine cannot lower fails at load naming the node', () => {
  const lowered = async (nodes: NodeJson[], out: string) => {
    const pkg = tfPackage(nodes, [], [[scalarSpec('out'), out]]);
    return load(pkg, { backend: 'cpu' }).then(() => undefined, (e: unknown) => e as Error & { code: string });
  };

  it('a Merge whose inputs are not the two branches of one cond', async () => {
    const nodes = [constant('a', DT.int32, [1]), constant('b', DT.int32, [2]), op('m', 'Merge', ['a', 'b'], DT.int32, { N: { i: 2 } })];
    const error = await lowered(nodes, 'm:0');
    expect(error).toMatchObject({ code: 'OP_UNSUPPORTED', message: expect.stringContaining("Merge node 'm' does not join the two branches of one tf.cond") });
  });

  it('a loop frame without a LoopCond', async () => {
    const nodes = counter(3).filter((n) => n.op !== 'LoopCond').map((n) => (n.op === 'Switch' ? { ...n, input: [n.input![0]!, 'while/Less'] } : n));
    const error = await lowered(nodes, 'out:0');
    expect(error).toMatchObject({ code: 'OP_UNSUPPORTED', message: "loop frame 'while/while_context' has 0 LoopCond nodes; a tf.while_loop has one" });
  });

  it('control flow the outputs do not need is not analysed: a stray Merge beside the counter loop loads', async () => {
    const nodes = [...counter(10), constant('a', DT.int32, [1]), constant('b', DT.int32, [2]), op('stray', 'Merge', ['a', 'b'], DT.int32, { N: { i: 2 } })];
    expect(await onCpu(tfPackage(nodes, [], [[scalarSpec('out'), 'out:0']]), {})).toEqual({ out: { shape: [], data: [10] } });
  });

  it('an output inside a loop body (not its Exit)', async () => {
    const error = await lowered(counter(3), 'while/add:0');
    expect(error).toMatchObject({ code: 'OP_UNSUPPORTED', message: expect.stringContaining("'out' maps to tensor 'while/add:0', inside a while loop or cond") });
  });

  it('a cycle that no NextIteration closes', async () => {
    const nodes = [constant('a', DT.int32, [1]), op('x', 'Add', ['a', 'y'], DT.int32), op('y', 'Add', ['x', 'a'], DT.int32), op('s', 'Switch', ['y', 'a'], DT.int32)];
    const error = await lowered(nodes, 's:0');
    expect(error).toMatchObject({ code: 'OP_UNSUPPORTED', message: expect.stringMatching(/^the graph has a cycle through node '[xy]' that is not a TF1 while loop/) });
    // Without control flow ops on the way, the plain dependency walk finds the cycle.
    expect(await lowered(nodes, 'y:0')).toMatchObject({ code: 'MODEL_INVALID', message: expect.stringMatching(/the graph has a cycle through node '[xy]' \(not a TF1 while loop\)/) });
  });
});

const listAttr = (extra: Record<string, unknown> = {}) => ({ element_dtype: { type: DT.float }, ...extra });

describe('TensorList* -> ONNX sequences', () => {
  /**
   * A TF2 while loop frozen with lower_control_flow (what convert_variables_to_constants_v2 does): the TensorArray
   * is a TensorList carried as a variant. ta = TensorArray(size=n); for i < n: ta = ta.write(i, x[i] * 2); ta.stack().
   */
  function doubledRows() {
    const loop = whileLoop({
      prefix: 'while',
      vars: [{ init: 'zero', t: DT.int32 }, { init: 'TensorListReserve', t: 'DT_VARIANT' as typeof DT.float }],
      invariants: [{ value: 'n', t: DT.int32 }, { value: 'x', t: DT.float }],
      cond: (s) => {
        s.nodes.push(op(`${s.prefix}/Less`, 'Less', [s.vars[0]!, s.invariants[0]!], DT.int32));
        return `${s.prefix}/Less`;
      },
      body: (s) => {
        const p = s.prefix;
        s.nodes.push(
          constant(`${p}/GatherV2/axis`, DT.int32, [0], [], [s.pivot]),
          { name: `${p}/GatherV2`, op: 'GatherV2', input: [s.invariants[1]!, s.vars[0]!, `${p}/GatherV2/axis`], attr: { Tparams: { type: DT.float }, Tindices: { type: DT.int32 }, Taxis: { type: DT.int32 } } },
          constant(`${p}/mul/y`, DT.float, [2], [], [s.pivot]),
          op(`${p}/mul`, 'Mul', [`${p}/GatherV2`, `${p}/mul/y`], DT.float),
          { name: `${p}/TensorListSetItem`, op: 'TensorListSetItem', input: [s.vars[1]!, s.vars[0]!, `${p}/mul`], attr: listAttr() },
          constant(`${p}/add/y`, DT.int32, [1], [], [s.pivot]),
          op(`${p}/add`, 'AddV2', [s.vars[0]!, `${p}/add/y`], DT.int32),
        );
        return [`${p}/add`, `${p}/TensorListSetItem`];
      },
    });
    const nodes = [
      placeholder('x', DT.float, [-1, 2]),
      placeholder('n', DT.int32, []),
      constant('zero', DT.int32, [0]),
      constant('element_shape', DT.int32, [2], [1]),
      { name: 'TensorListReserve', op: 'TensorListReserve', input: ['element_shape', 'n'], attr: listAttr({ shape_type: { type: DT.int32 } }) },
      ...loop.nodes,
      { name: 'TensorListStack', op: 'TensorListStack', input: [loop.exits[1]!, 'element_shape'], attr: listAttr({ num_elements: { i: -1 } }) },
    ];
    return tfPackage(
      nodes,
      [[{ name: 'x', dtype: 'float32', shape: [null, 2] }, 'x:0'], [scalarSpec('n'), 'n:0']],
      [[{ name: 'y', dtype: 'float32', shape: [null, 2] }, 'TensorListStack:0']],
    );
  }

  it('a TensorArray written in a while loop and stacked: 2 * x row by row (3 rows, and n = 0 stacks to [0, 2])', async () => {
    const pkg = doubledRows();
    expect(await opTypes(pkg)).toEqual(expect.arrayContaining(['Loop', 'SequenceInsert', 'SequenceErase', 'ConcatFromSequence']));
    await expectBoth(pkg, { x: f32([1, 2, 3, 4, 5, 6], [3, 2]), n: i32([3]) }, { y: { shape: [3, 2], data: [2, 4, 6, 8, 10, 12] } });
    await expectBoth(pkg, { x: f32([1, 2, 3, 4, 5, 6], [3, 2]), n: i32([0]) }, { y: { shape: [0, 2], data: [] } });
  });

  it('a list reserved for 3 with one item set stacks the unset ones as zeros', async () => {
    const nodes = [
      placeholder('x', DT.float, [2]),
      constant('element_shape', DT.int32, [2], [1]),
      constant('three', DT.int32, [3]),
      constant('one', DT.int32, [1]),
      { name: 'list', op: 'TensorListReserve', input: ['element_shape', 'three'], attr: listAttr({ shape_type: { type: DT.int32 } }) },
      { name: 'set', op: 'TensorListSetItem', input: ['list', 'one', 'x'], attr: listAttr() },
      { name: 'stack', op: 'TensorListStack', input: ['set', 'element_shape'], attr: listAttr({ num_elements: { i: 3 } }) },
    ];
    const pkg = tfPackage(nodes, [[{ name: 'x', dtype: 'float32', shape: [2] }, 'x:0']], [[{ name: 'y', dtype: 'float32', shape: [3, 2] }, 'stack:0']]);
    await expectBoth(pkg, { x: f32([5, 6], [2]) }, { y: { shape: [3, 2], data: [0, 0, 5, 6, 0, 0] } });
  });

  it('FromTensor, GetItem, Length, PushBack, PopBack, ElementShape and Gather', async () => {
    const nodes = [
      placeholder('x', DT.float, [3, 2]),
      constant('element_shape', DT.int32, [-1], [1]),
      constant('one', DT.int32, [1]),
      constant('extra', DT.float, [7, 8], [2]),
      constant('indices', DT.int32, [3, 0], [2]),
      { name: 'list', op: 'TensorListFromTensor', input: ['x', 'element_shape'], attr: listAttr({ shape_type: { type: DT.int32 } }) },
      { name: 'item', op: 'TensorListGetItem', input: ['list', 'one', 'element_shape'], attr: listAttr() },
      { name: 'pushed', op: 'TensorListPushBack', input: ['list', 'extra'], attr: listAttr() },
      { name: 'length', op: 'TensorListLength', input: ['pushed'] },
      { name: 'gathered', op: 'TensorListGather', input: ['pushed', 'indices', 'element_shape'], attr: listAttr() },
      { name: 'popped', op: 'TensorListPopBack', input: ['pushed', 'element_shape'], attr: listAttr() },
      { name: 'popped_length', op: 'TensorListLength', input: ['popped'] },
      { name: 'shape', op: 'TensorListElementShape', input: ['list'], attr: { shape_type: { type: DT.int32 } } },
    ];
    const pkg = tfPackage(nodes, [[{ name: 'x', dtype: 'float32', shape: [3, 2] }, 'x:0']], [
      [{ name: 'item', dtype: 'float32', shape: [2] }, 'item:0'],
      [scalarSpec('length'), 'length:0'],
      [{ name: 'gathered', dtype: 'float32', shape: [2, 2] }, 'gathered:0'],
      [{ name: 'last', dtype: 'float32', shape: [2] }, 'popped:1'],
      [scalarSpec('popped_length'), 'popped_length:0'],
      [{ name: 'shape', dtype: 'int32', shape: [1] }, 'shape:0'],
    ]);
    await expectBoth(pkg, { x: f32([1, 2, 3, 4, 5, 6], [3, 2]) }, {
      item: { shape: [2], data: [3, 4] },
      length: { shape: [], data: [4] },
      gathered: { shape: [2, 2], data: [7, 8, 1, 2] },
      last: { shape: [2], data: [7, 8] },
      popped_length: { shape: [], data: [3] },
      shape: { shape: [1], data: [2] },
    });
  });
});

describe('TF2 functional control flow (StatelessWhile / StatelessIf with library functions)', () => {
  const i32t = { type: DT.int32 };
  const f32t = { type: DT.float };
  const fnAttr = (name: string) => ({ func: { name } });
  const types = (...t: string[]) => ({ list: { type: t } });

  it('StatelessWhile: for i < n: x = x * 2 gives x * 2^n (n = 3, and n = 0)', async () => {
    const condFn = functionDef('cond_fn', [['i', DT.int32], ['x', DT.float], ['n', DT.int32]], [['out', DT.bool, 'Less:z:0']], [op('Less', 'Less', ['i', 'n'], DT.int32)]);
    const bodyFn = functionDef('body_fn', [['i', DT.int32], ['x', DT.float], ['n', DT.int32]], [['i_next', DT.int32, 'add:z:0'], ['x_next', DT.float, 'mul:z:0'], ['n_same', DT.int32, 'n']], [
      constant('one', DT.int32, [1]), op('add', 'AddV2', ['i', 'one:output:0'], DT.int32),
      constant('two', DT.float, [2]), op('mul', 'Mul', ['x', 'two:output:0'], DT.float),
    ]);
    const nodes = [
      placeholder('x', DT.float, [2]), placeholder('n', DT.int32, []), constant('zero', DT.int32, [0]),
      { name: 'while', op: 'StatelessWhile', input: ['zero', 'x', 'n'], attr: { T: types(DT.int32, DT.float, DT.int32), cond: fnAttr('cond_fn'), body: fnAttr('body_fn'), parallel_iterations: { i: 10 } } },
      op('out', 'Identity', ['while:1'], DT.float),
    ];
    const pkg = tfPackage(nodes, [[{ name: 'x', dtype: 'float32', shape: [2] }, 'x:0'], [scalarSpec('n'), 'n:0']], [[{ name: 'y', dtype: 'float32', shape: [2] }, 'out:0']], [], [condFn, bodyFn]);
    expect(await opTypes(pkg)).toContain('Loop');
    await expectBoth(pkg, { x: f32([1, -3], [2]), n: i32([3]) }, { y: { shape: [2], data: [8, -24] } });
    await expectBoth(pkg, { x: f32([1, -3], [2]), n: i32([0]) }, { y: { shape: [2], data: [1, -3] } });
  });

  it('StatelessIf: k > 0 ? x * 2 : -x', async () => {
    const thenFn = functionDef('then_fn', [['x', DT.float]], [['y', DT.float, 'mul:z:0']], [constant('two', DT.float, [2]), op('mul', 'Mul', ['x', 'two:output:0'], DT.float)]);
    const elseFn = functionDef('else_fn', [['x', DT.float]], [['y', DT.float, 'neg:y:0']], [op('neg', 'Neg', ['x'], DT.float)]);
    const nodes = [
      placeholder('x', DT.float, [2]), placeholder('k', DT.int32, []), constant('zero', DT.int32, [0]), op('pred', 'Greater', ['k', 'zero'], DT.int32),
      { name: 'cond', op: 'StatelessIf', input: ['pred', 'x'], attr: { Tcond: { type: DT.bool }, Tin: types(DT.float), Tout: types(DT.float), then_branch: fnAttr('then_fn'), else_branch: fnAttr('else_fn') } },
      op('out', 'Identity', ['cond'], DT.float),
    ];
    const pkg = tfPackage(nodes, [[{ name: 'x', dtype: 'float32', shape: [2] }, 'x:0'], [scalarSpec('k'), 'k:0']], [[{ name: 'y', dtype: 'float32', shape: [2] }, 'out:0']], [], [thenFn, elseFn]);
    expect(await opTypes(pkg)).toContain('If');
    await expectBoth(pkg, { x: f32([1.5, -3], [2]), k: i32([1]) }, { y: { shape: [2], data: [3, -6] } });
    await expectBoth(pkg, { x: f32([1.5, -3], [2]), k: i32([-1]) }, { y: { shape: [2], data: [-1.5, 3] } });
  });

  it('a TensorArray in a StatelessWhile (a TensorList carried as a variant): 2 * x row by row', async () => {
    const args: [string, (typeof DT)[keyof typeof DT] | 'DT_VARIANT'][] = [['i', DT.int32], ['list', 'DT_VARIANT'], ['x', DT.float], ['n', DT.int32]];
    const condFn = functionDef('cond_fn', args, [['out', DT.bool, 'Less:z:0']], [op('Less', 'Less', ['i', 'n'], DT.int32)]);
    const bodyFn = functionDef('body_fn', args, [['i_next', DT.int32, 'add:z:0'], ['list_next', 'DT_VARIANT', 'set:output_handle:0'], ['x_same', DT.float, 'x'], ['n_same', DT.int32, 'n']], [
      constant('axis', DT.int32, [0]),
      { name: 'row', op: 'GatherV2', input: ['x', 'i', 'axis:output:0'], attr: { Tparams: f32t, Tindices: i32t, Taxis: i32t } },
      constant('two', DT.float, [2]), op('mul', 'Mul', ['row:output:0', 'two:output:0'], DT.float),
      { name: 'set', op: 'TensorListSetItem', input: ['list', 'i', 'mul:z:0'], attr: listAttr() },
      constant('one', DT.int32, [1]), op('add', 'AddV2', ['i', 'one:output:0'], DT.int32),
    ]);
    const nodes = [
      placeholder('x', DT.float, [-1, 2]), placeholder('n', DT.int32, []), constant('zero', DT.int32, [0]), constant('element_shape', DT.int32, [2], [1]),
      { name: 'reserve', op: 'TensorListReserve', input: ['element_shape', 'n'], attr: listAttr({ shape_type: i32t }) },
      { name: 'while', op: 'StatelessWhile', input: ['zero', 'reserve', 'x', 'n'], attr: { T: types(DT.int32, 'DT_VARIANT', DT.float, DT.int32), cond: fnAttr('cond_fn'), body: fnAttr('body_fn') } },
      { name: 'stack', op: 'TensorListStack', input: ['while:1', 'element_shape'], attr: listAttr({ num_elements: { i: -1 } }) },
    ];
    const pkg = tfPackage(nodes, [[{ name: 'x', dtype: 'float32', shape: [null, 2] }, 'x:0'], [scalarSpec('n'), 'n:0']], [[{ name: 'y', dtype: 'float32', shape: [null, 2] }, 'stack:0']], [], [condFn, bodyFn]);
    await expectBoth(pkg, { x: f32([1, 2, 3, 4], [2, 2]), n: i32([2]) }, { y: { shape: [2, 2], data: [2, 4, 6, 8] } });
  });

  it('a While naming a function the library lacks fails at load naming the node', async () => {
    const nodes = [constant('zero', DT.int32, [0]), { name: 'while', op: 'While', input: ['zero'], attr: { T: types(DT.int32), cond: fnAttr('missing_cond'), body: fnAttr('missing_body') } }];
    const pkg = tfPackage(nodes, [], [[scalarSpec('out'), 'while:0']]);
    await expect(load(pkg, { backend: 'cpu' })).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining("While node 'while': its cond function 'missing_cond' is not in the graph's library") });
  });
});

describe('convert --to tfjs of control flow', () => {
  it('keeps the TF1 frame ops, which TF.js runs itself: the counter loop gives 10 on @tensorflow/tfjs 4.22 (CPU)', async () => {
    const files = await convert(tfPackage(counter(10), [], [[scalarSpec('out'), 'out:0']]), 'tfjs');
    const json = JSON.parse(new TextDecoder().decode(files.get('model.json')!));
    expect(json.modelTopology.node.map((n: { op: string }) => n.op)).toEqual(expect.arrayContaining(['Enter', 'Merge', 'LoopCond', 'Switch', 'NextIteration', 'Exit']));
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const shard = files.get(json.weightsManifest[0].paths[0])!;
    const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: shard.slice().buffer, signature: json.signature }));
    const out = (await model.executeAsync({}, ['out:0'])) as { data(): Promise<Int32Array> };
    expect(Array.from(await out.data())).toEqual([10]);
    // And back: the model.json (protobuf JSON, bytes in base64) imports as a TF.js graph model with the same Loop.
    const { importTfjsModelJson } = await import('../tfjs/importer.js');
    const { ReferenceSession } = await import('./reference-session.js');
    const imported = await importTfjsModelJson(json, async (path) => files.get(path)!, 'counter/model.json');
    expect(imported.model.graph.nodes.map((n) => n.opType)).toContain('Loop');
    expect(plain(new ReferenceSession(imported).run({}).out!)).toEqual([10]);
  });

  it('refuses a TF2 While (it writes no function library) and a hash table (it writes no init ops)', async () => {
    const nodes = [constant('zero', DT.int32, [0]), { name: 'while', op: 'StatelessWhile', input: ['zero'], attr: { T: { list: { type: [DT.int32] } }, cond: { func: { name: 'c' } }, body: { func: { name: 'b' } } } }];
    const library = [
      functionDef('c', [['i', DT.int32]], [['out', DT.bool, 'Less:z:0']], [constant('ten', DT.int32, [10]), op('Less', 'Less', ['i', 'ten:output:0'], DT.int32)]),
      functionDef('b', [['i', DT.int32]], [['out', DT.int32, 'add:z:0']], [constant('one', DT.int32, [1]), op('add', 'AddV2', ['i', 'one:output:0'], DT.int32)]),
    ];
    const pkg = tfPackage(nodes, [], [[scalarSpec('out'), 'while:0']], [], library);
    expect(await onCpu(pkg, {})).toEqual({ out: { shape: [], data: [10] } });
    await expect(convert(pkg, 'tfjs')).rejects.toMatchObject({ code: 'OP_UNSUPPORTED', message: expect.stringContaining("node 'while' (StatelessWhile) runs library functions") });
    const table = [
      { name: 'table', op: 'HashTableV2', attr: { key_dtype: { type: DT.string }, value_dtype: { type: DT.int64 } } },
      constant('keys', DT.string, ['a'], [1]), constant('values', DT.int64, [1], [1]),
      { name: 'init', op: 'InitializeTableV2', input: ['table', 'keys', 'values'] },
      placeholder('x', DT.string, [-1]), constant('default', DT.int64, [-1]),
      { name: 'lookup', op: 'LookupTableFindV2', input: ['table', 'x', 'default'], attr: { Tin: { type: DT.string }, Tout: { type: DT.int64 } } },
    ];
    const tablePkg = tfPackage(table, [[{ name: 'x', dtype: 'string', shape: [null] }, 'x:0']], [[{ name: 'y', dtype: 'int64', shape: [null] }, 'lookup:0']], ['init']);
    await expect(convert(tablePkg, 'tfjs')).rejects.toMatchObject({ code: 'OP_UNSUPPORTED', message: expect.stringContaining('uses a hash table') });
  });
});

describe('TF1 TensorArrayV3 (dynamic_rnn in a frozen graph)', () => {
  /**
   * The shape tf.nn.dynamic_rnn gives a frozen graph: the input unstacked into a TensorArray by a scatter, read at
   * t in the loop (handle and flow entered as invariants), the outputs written to a second TensorArray whose flow
   * the loop carries, then gathered. Here the "cell" is h = h + x[t]: the outputs are running sums.
   */
  function runningSums() {
    const loop = whileLoop({
      prefix: 'rnn/while',
      vars: [{ init: 'zero', t: DT.int32 }, { init: 'h0', t: DT.float }, { init: 'rnn/TensorArray_1:1', t: DT.float }],
      invariants: [{ value: 'n', t: DT.int32 }, { value: 'rnn/TensorArray', t: 'DT_RESOURCE' as typeof DT.float }, { value: 'rnn/scatter', t: DT.float }, { value: 'rnn/TensorArray_1', t: 'DT_RESOURCE' as typeof DT.float }],
      cond: (s) => {
        s.nodes.push(op(`${s.prefix}/Less`, 'Less', [s.vars[0]!, s.invariants[0]!], DT.int32));
        return `${s.prefix}/Less`;
      },
      body: (s) => {
        const p = s.prefix;
        const [t, h, flow] = s.vars as [string, string, string];
        const [, inHandle, inFlow, outHandle] = s.invariants as [string, string, string, string];
        s.nodes.push(
          { name: `${p}/read`, op: 'TensorArrayReadV3', input: [inHandle, t, inFlow], attr: { dtype: { type: DT.float } } },
          op(`${p}/add`, 'AddV2', [h, `${p}/read`], DT.float),
          { name: `${p}/write`, op: 'TensorArrayWriteV3', input: [outHandle, t, `${p}/add`, flow], attr: { T: { type: DT.float } } },
          constant(`${p}/add_1/y`, DT.int32, [1], [], [s.pivot]),
          op(`${p}/add_1`, 'AddV2', [t, `${p}/add_1/y`], DT.int32),
        );
        return [`${p}/add_1`, `${p}/add`, `${p}/write`];
      },
    });
    const array = (name: string, shape?: number[]): NodeJson => ({
      name, op: 'TensorArrayV3', input: ['n'],
      attr: { dtype: { type: DT.float }, element_shape: { shape: shape ? { dim: shape.map((size) => ({ size })) } : { unknownRank: true } }, dynamic_size: { b: false }, clear_after_read: { b: true }, identical_element_shapes: { b: true } },
    });
    const nodes = [
      placeholder('x', DT.float, [-1, 2]), placeholder('n', DT.int32, []),
      constant('zero', DT.int32, [0]), constant('one', DT.int32, [1]), constant('h0', DT.float, [0, 0], [2]),
      array('rnn/TensorArray'), array('rnn/TensorArray_1', [2]),
      { name: 'rnn/range', op: 'Range', input: ['zero', 'n', 'one'], attr: { Tidx: { type: DT.int32 } } },
      { name: 'rnn/scatter', op: 'TensorArrayScatterV3', input: ['rnn/TensorArray', 'rnn/range', 'x', 'rnn/TensorArray:1'], attr: { T: { type: DT.float } } },
      ...loop.nodes,
      { name: 'rnn/size', op: 'TensorArraySizeV3', input: ['rnn/TensorArray_1', loop.exits[2]!] },
      { name: 'rnn/range_1', op: 'Range', input: ['zero', 'rnn/size', 'one'], attr: { Tidx: { type: DT.int32 } } },
      { name: 'rnn/gather', op: 'TensorArrayGatherV3', input: ['rnn/TensorArray_1', 'rnn/range_1', loop.exits[2]!], attr: { dtype: { type: DT.float }, element_shape: { shape: { dim: [{ size: 2 }] } } } },
    ];
    return tfPackage(nodes, [[{ name: 'x', dtype: 'float32', shape: [null, 2] }, 'x:0'], [scalarSpec('n'), 'n:0']], [[{ name: 'y', dtype: 'float32', shape: [null, 2] }, 'rnn/gather:0'], [{ name: 'h', dtype: 'float32', shape: [2] }, `${loop.exits[1]}:0`]]);
  }

  it('scatter, read in the loop, write, size and gather: running sums of the rows', async () => {
    await expectBoth(runningSums(), { x: f32([1, 2, 3, 4, 5, 6], [3, 2]), n: i32([3]) }, { y: { shape: [3, 2], data: [1, 2, 4, 6, 9, 12] }, h: { shape: [2], data: [9, 12] } });
  });
});

describe('TF.js graph models with TF2 control flow', () => {
  it("a StatelessWhile whose body constants sit in the weights manifest as '<function>/<const>' (how tfjs-converter stores them)", async () => {
    const { importTfjsModelJson } = await import('../tfjs/importer.js');
    const { ReferenceSession } = await import('./reference-session.js');
    const weightless = (name: string, t: string) => ({ name, op: 'Const', attr: { dtype: { type: t } } });
    const fn = (name: string, inputArg: object[], outputArg: object[], nodeDef: object[], ret: Record<string, string>) => ({ signature: { name, inputArg, outputArg }, nodeDef, ret });
    const arg = (name: string, type: string) => ({ name, type });
    const modelJson = {
      format: 'graph-model',
      modelTopology: {
        node: [
          { name: 'x', op: 'Placeholder', attr: { dtype: { type: DT.float }, shape: { shape: { dim: [{ size: '2' }] } } } },
          weightless('zero', DT.int32),
          { name: 'while', op: 'StatelessWhile', input: ['zero', 'x'], attr: { T: { list: { type: [DT.int32, DT.float] } }, cond: { func: { name: 'cond_fn' } }, body: { func: { name: 'body_fn' } } } },
          { name: 'y', op: 'Identity', input: ['while:1'], attr: { T: { type: DT.float } } },
        ],
        library: {
          function: [
            fn('cond_fn', [arg('i', DT.int32), arg('x', DT.float)], [arg('out', DT.bool)], [weightless('cond_fn/three', DT.int32), { name: 'Less', op: 'Less', input: ['i', 'cond_fn/three:output:0'], attr: { T: { type: DT.int32 } } }], { out: 'Less:z:0' }),
            fn('body_fn', [arg('i', DT.int32), arg('x', DT.float)], [arg('i_next', DT.int32), arg('x_next', DT.float)], [
              weightless('body_fn/one', DT.int32), { name: 'add', op: 'AddV2', input: ['i', 'body_fn/one:output:0'], attr: { T: { type: DT.int32 } } },
              weightless('body_fn/half', DT.float), { name: 'mul', op: 'Mul', input: ['x', 'body_fn/half:output:0'], attr: { T: { type: DT.float } } },
            ], { i_next: 'add:z:0', x_next: 'mul:z:0' }),
          ],
        },
        versions: {},
      },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [
        { name: 'zero', shape: [], dtype: 'int32' }, { name: 'cond_fn/three', shape: [], dtype: 'int32' },
        { name: 'body_fn/one', shape: [], dtype: 'int32' }, { name: 'body_fn/half', shape: [], dtype: 'float32' },
      ] }],
      signature: { inputs: { x: { name: 'x:0', dtype: DT.float } }, outputs: { y: { name: 'y:0', dtype: DT.float } } },
    };
    const shard = new Uint8Array(16);
    const view = new DataView(shard.buffer);
    view.setInt32(0, 0, true); view.setInt32(4, 3, true); view.setInt32(8, 1, true); view.setFloat32(12, 0.5, true);
    const imported = await importTfjsModelJson(modelJson, async () => shard, 'while/model.json');
    const out = new ReferenceSession(imported).run({ x: f32([8, -4], [2]) });
    // Three halvings: x / 8.
    expect(plain(out.y!)).toEqual([1, -0.5]);
  });
});
