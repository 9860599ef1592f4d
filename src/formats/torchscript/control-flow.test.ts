import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { load } from '../../api/model.js';
import type { Model, Node } from '../../graph/ir.js';
import { Tensor, tensor } from '../../tensor/tensor.js';
import { archiveWithCode, lowerForward, runOnBoth } from '../../testing/torchscript-archive.js';

// Data-dependent `if` / `while` / `for ... in range(n)` as TorchScript's printer writes them (torch.jit.script
// output). Each lowered graph runs on the reference kernels and on onnxruntime-node (the independent
// reference); the expected values are the Python semantics worked by hand in each test's comment.

const lower = lowerForward;

const f32 = (v: number[], shape = [v.length]) => tensor(new Float32Array(v), shape);
const i64 = (v: number) => new Tensor('int64', [], BigInt64Array.of(BigInt(v)));

async function expectOutputs(model: Model, feeds: Record<string, Tensor>, expected: Record<string, number[]>): Promise<void> {
  const { reference, planned, ort: fromOrt } = await runOnBoth(model, feeds);
  expect(reference).toEqual(expected);
  expect(planned).toEqual(expected);
  expect(fromOrt).toEqual(expected);
}

const opTypes = (nodes: Node[]) => nodes.map((n) => n.opType);

describe('TorchScript if on a run-time condition lowers to ONNX If', () => {
  it('rebinds y in both branches: sum(x) > 0 doubles x, otherwise subtracts 1', async () => {
    const model = lower([
      'if bool(torch.gt(torch.sum(x), 0)):',
      '  y = torch.mul(x, 2)',
      'else:',
      '  y = torch.sub(x, 1)',
      'return {"out": y}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]]);
    expect(opTypes(model.graph.nodes)).toContain('If');
    await expectOutputs(model, { x: f32([1, 2]) }, { out: [2, 4] }); // sum 3 > 0
    await expectOutputs(model, { x: f32([-3, 1]) }, { out: [-4, 0] }); // sum -2
  });

  it('keeps the value from before the if when only one branch rebinds it (y = x, or 3x)', async () => {
    const model = lower([
      'y = x',
      'if bool(torch.lt(torch.amax(x), 0.5)):',
      '  y = torch.mul(x, 3)',
      'else:',
      '  pass',
      'return {"out": torch.add(y, 1)}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]]);
    await expectOutputs(model, { x: f32([0.25, -1]) }, { out: [1.75, -2] }); // max 0.25 < 0.5: 3x + 1
    await expectOutputs(model, { x: f32([2, -1]) }, { out: [3, 0] }); // x + 1
  });

  it('lowers a return in both branches, with a dict of a tensor and a Python int that differ per branch', async () => {
    const model = lower([
      'if bool(torch.gt(torch.sum(x), 0)):',
      '  return {"out": torch.relu(x), "flag": torch.tensor(1)}',
      'else:',
      '  return {"out": torch.neg(x), "flag": torch.tensor(0)}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1], ['flag', 'int64', 0]]);
    await expectOutputs(model, { x: f32([3, -1]) }, { out: [3, 0], flag: [1] });
    await expectOutputs(model, { x: f32([-3, 1]) }, { out: [3, -1], flag: [0] });
  });

  it('reads values from the enclosing graph inside the branches (nested ifs on two conditions)', async () => {
    const model = lower([
      's = torch.sum(x)',
      'if bool(torch.gt(s, 0)):',
      '  if bool(torch.gt(s, 10)):',
      '    y = torch.mul(x, 0.5)',
      '  else:',
      '    y = x',
      'else:',
      '  y = torch.abs(x)',
      'return {"out": y}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]]);
    await expectOutputs(model, { x: f32([8, 4]) }, { out: [4, 2] }); // s = 12
    await expectOutputs(model, { x: f32([3, 4]) }, { out: [3, 4] }); // s = 7
    await expectOutputs(model, { x: f32([-3, 1]) }, { out: [3, 1] }); // s = -2
  });

  it('lowers a conditional expression on a run-time condition (x * 2 if sum(x) > 0 else x)', async () => {
    const model = lower(['return {"out": torch.mul(x, 2) if bool(torch.gt(torch.sum(x), 0)) else x}'], [['x', 'float32', 1]], [['out', 'float32', 1]]);
    await expectOutputs(model, { x: f32([1, 1]) }, { out: [2, 2] });
    await expectOutputs(model, { x: f32([-1, 0]) }, { out: [-1, 0] });
  });

  it('the printer\'s form of `if not (a and b):` (a nested if binding _0, then __not__) on two run-time conditions', async () => {
    const model = lower([
      'if bool(torch.gt(torch.sum(x), 0)):',
      '  _0 = bool(torch.lt(torch.amax(x), 5))',
      'else:',
      '  _0 = False',
      'if torch.__not__(_0):',
      '  y = torch.neg(x)',
      'else:',
      '  y = x',
      'return {"out": y}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]]);
    // not (sum > 0 and max < 5) negates.
    await expectOutputs(model, { x: f32([1, 2]) }, { out: [1, 2] });
    await expectOutputs(model, { x: f32([1, 7]) }, { out: [-1, -7] }); // max 7
    await expectOutputs(model, { x: f32([-4, 2]) }, { out: [4, -2] }); // sum < 0
  });

  it('a run-time check that raises (the printer\'s assert form) keeps the other branch, unchecked: no If in the graph', async () => {
    const model = lower([
      'if torch.ne(torch.size(x, 0), 2):',
      '  ops.prim.RaiseException("AssertionError: two rows")',
      'else:',
      '  pass',
      'return {"out": torch.mul(x, 2)}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]]);
    expect(opTypes(model.graph.nodes)).not.toContain('If');
    await expectOutputs(model, { x: f32([1, 2]) }, { out: [2, 4] });
  });

  it('still rejects `and` on a run-time value outside an if header, naming the line', () => {
    expect(() => lower([
      'y = bool(torch.gt(torch.sum(x), 0)) and bool(torch.lt(torch.sum(x), 9))',
      'return {"out": torch.mul(x, y)}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]])).toThrow(/used as a Python bool here \(only if\/while conditions .*\) \(TorchScript __torch__\.M\.forward:4\)/);
  });

  it('the exit transform\'s early-return form: a flag and a value left uninitialized on the path that does not set it', async () => {
    const model = lower([
      'if bool(torch.gt(torch.sum(x), 0)):',
      '  _0, _1 = True, torch.mul(x, 2)',
      'else:',
      '  _0, _1 = False, uninitialized(Tensor)',
      'if _0:',
      '  _2 = _1',
      'else:',
      '  _2 = torch.neg(x)',
      'return {"out": _2}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]]);
    await expectOutputs(model, { x: f32([1, 2]) }, { out: [2, 4] });
    await expectOutputs(model, { x: f32([-1, -2]) }, { out: [1, 2] });
  });

  it('drops a run-time if whose branches bind nothing used after it', async () => {
    const model = lower([
      'if bool(torch.gt(torch.sum(x), 0)):',
      '  _0 = torch.mul(x, 2)',
      'else:',
      '  pass',
      'return {"out": x}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]]);
    expect(opTypes(model.graph.nodes)).not.toContain('If');
    await expectOutputs(model, { x: f32([1, 2]) }, { out: [1, 2] });
  });

  it('rejects branches that give one value different dtypes, naming the line', () => {
    expect(() => lower([
      'if bool(torch.gt(torch.sum(x), 0)):',
      '  y = torch.mul(x, 2)',
      'else:',
      '  y = torch.sum(x, [0], False, 4)',
      'return {"out": y}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]])).toThrow(/dtypes float32 and int64 \(TorchScript __torch__\.M\.forward:\d+\)/);
  });

  it('rejects an if where only one branch returns', () => {
    expect(() => lower([
      'if bool(torch.gt(torch.sum(x), 0)):',
      '  return {"out": x}',
      'else:',
      '  pass',
      'return {"out": torch.neg(x)}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]])).toThrow(/only one branch returns \(TorchScript __torch__\.M\.forward:/);
  });

  it('rejects a branch that appends to a list (no in-place list change inside a subgraph)', () => {
    expect(() => lower([
      'ys = annotate(List[Tensor], [])',
      'if bool(torch.gt(torch.sum(x), 0)):',
      '  _0 = torch.append(ys, x)',
      'else:',
      '  pass',
      'return {"out": torch.cat(ys)}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]])).toThrow(/changes a list or dict in place/);
  });
});

describe('TorchScript loops with a run-time count or condition lower to ONNX Loop', () => {
  // y_0 = x, y_k = 2 y_{k-1} + (k - 1): after 3 passes 8x + 4.
  const doubling = lower([
    'y = x',
    'for i in range(int(n)):',
    '  y = torch.add(torch.mul(y, 2), i)',
    'return {"out": y}',
  ], [['x', 'float32', 1], ['n', 'int64', 0]], [['out', 'float32', 1]]);

  it('for i in range(n): threads y through the passes (n = 0, 1, 3)', async () => {
    expect(opTypes(doubling.graph.nodes)).toContain('Loop');
    await expectOutputs(doubling, { x: f32([1, -2]), n: i64(0) }, { out: [1, -2] });
    await expectOutputs(doubling, { x: f32([1, -2]), n: i64(1) }, { out: [2, -4] });
    await expectOutputs(doubling, { x: f32([1, -2]), n: i64(3) }, { out: [12, -12] });
  });

  it('runs no pass for a negative count, as Python range() does', async () => {
    await expectOutputs(doubling, { x: f32([1, -2]), n: i64(-4) }, { out: [1, -2] });
  });

  it('carries a Python int as a 0-d int64 and reads a count from the tensor shape (sum of i over range(2, len))', async () => {
    const model = lower([
      'total = 0',
      'for i in range(2, torch.size(x, 0)):',
      '  total = torch.add(total, i)',
      'return {"out": torch.tensor(total)}',
    ], [['x', 'float32', 1]], [['out', 'int64', 0]]);
    await expectOutputs(model, { x: f32([0, 0]) }, { out: [0] }); // range(2, 2): no pass
    await expectOutputs(model, { x: f32([0, 0, 0]) }, { out: [2] });
    await expectOutputs(model, { x: f32([0, 0, 0, 0, 0, 0]) }, { out: [2 + 3 + 4 + 5] });
  });

  // Doubles y until its sum reaches 100, counting passes.
  const untilHundred = lower([
    'y = x',
    'count = 0',
    'while bool(torch.lt(torch.sum(y), 100.)):',
    '  y = torch.mul(y, 2)',
    '  count = torch.add(count, 1)',
    'return {"out": y, "count": torch.tensor(count)}',
  ], [['x', 'float32', 1]], [['out', 'float32', 1], ['count', 'int64', 0]]);

  it('while on a run-time condition: 0, 1 and 6 passes', async () => {
    expect(opTypes(untilHundred.graph.nodes)).toContain('Loop');
    await expectOutputs(untilHundred, { x: f32([60, 50]) }, { out: [60, 50], count: [0] }); // sum 110
    await expectOutputs(untilHundred, { x: f32([30, 40]) }, { out: [60, 80], count: [1] }); // 70 -> 140
    await expectOutputs(untilHundred, { x: f32([1, 2]) }, { out: [64, 128], count: [6] }); // 3 -> 192
  });

  it('a while on a Python int against a run-time bound (i < n) with a run-time if in the body', async () => {
    // Adds x to acc on even i, subtracts it on odd i, for i in 0..n-1.
    const model = lower([
      'acc = torch.zeros_like(x)',
      'i = 0',
      'while torch.lt(i, n):',
      '  if bool(torch.eq(torch.remainder(i, 2), 0)):',
      '    acc = torch.add(acc, x)',
      '  else:',
      '    acc = torch.sub(acc, x)',
      '  i = torch.add(i, 1)',
      'return {"out": acc}',
    ], [['x', 'float32', 1], ['n', 'int64', 0]], [['out', 'float32', 1]]);
    await expectOutputs(model, { x: f32([1, 2]), n: i64(0) }, { out: [0, 0] });
    await expectOutputs(model, { x: f32([1, 2]), n: i64(1) }, { out: [1, 2] });
    await expectOutputs(model, { x: f32([1, 2]), n: i64(5) }, { out: [1, 2] }); // + - + - +
    await expectOutputs(model, { x: f32([1, 2]), n: i64(4) }, { out: [0, 0] });
  });

  it('a carried value whose shape grows each pass (cat onto itself) is lowered with its rank unknown only where it changes', async () => {
    const model = lower([
      'y = x',
      'for _ in range(int(n)):',
      '  y = torch.cat([y, x])',
      'return {"out": y}',
    ], [['x', 'float32', 1], ['n', 'int64', 0]], [['out', 'float32', 1]]);
    await expectOutputs(model, { x: f32([1, 2]), n: i64(2) }, { out: [1, 2, 1, 2, 1, 2] });
  });

  it('the printer\'s form of a scripted for-range with an if on the loop index (rv0 carried, rv1 bound in both branches)', async () => {
    // for i in range(n): rv = rv - 1 if i < 10 else rv + 1, from zeros: n = 12 gives -10 + 2 = -8.
    const model = lower([
      'rv = torch.zeros([2, 2])',
      'rv0 = rv',
      'for i in range(int(n)):',
      '  if torch.lt(i, 10):',
      '    rv1 = torch.sub(rv0, 1., 1)',
      '  else:',
      '    rv1 = torch.add(rv0, 1., 1)',
      '  rv0 = rv1',
      'return {"out": rv0}',
    ], [['n', 'int64', 0]], [['out', 'float32', 2]]);
    await expectOutputs(model, { n: i64(0) }, { out: [0, 0, 0, 0] });
    await expectOutputs(model, { n: i64(1) }, { out: [-1, -1, -1, -1] });
    await expectOutputs(model, { n: i64(12) }, { out: [-8, -8, -8, -8] });
  });

  it('the compiler\'s range(lo, hi, step) form (__range_length / __derive_index): run-time hi, step 2', async () => {
    // Sum of i over range(1, len(x), 2).
    const model = lower([
      'total = 0',
      'for _0 in range(torch.__range_length(1, torch.size(x, 0), 2)):',
      '  i = torch.__derive_index(_0, 1, 2)',
      '  total = torch.add(total, i)',
      'return {"out": torch.tensor(total)}',
    ], [['x', 'float32', 1]], [['out', 'int64', 0]]);
    await expectOutputs(model, { x: f32([0]) }, { out: [0] }); // range(1, 1, 2): none
    await expectOutputs(model, { x: f32([0, 0]) }, { out: [1] });
    await expectOutputs(model, { x: f32(new Array(8).fill(0)) }, { out: [1 + 3 + 5 + 7] });
  });

  it('the same form on load-time bounds unrolls (range(7, 0, -3) is 7, 4, 1)', () => {
    const model = lower([
      'y = x',
      'for _0 in range(torch.__range_length(7, 0, -3)):',
      '  y = torch.add(y, torch.__derive_index(_0, 7, -3))',
      'return {"out": y}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]]);
    const adds = model.graph.nodes.filter((n) => n.opType === 'Add');
    expect(adds).toHaveLength(3);
    expect(adds.map((n) => Number((model.graph.initializers.get(n.inputs[1]!)!.numeric)[0]))).toEqual([7, 4, 1]);
  });

  it('the printer\'s while form: the condition in a carried name, reassigned with the carried values at the end of the body', async () => {
    // y doubles while i < n: 2^n x for n >= 0.
    const model = lower([
      'y = x',
      'i = 0',
      '_0 = torch.lt(i, int(n))',
      'while _0:',
      '  y0 = torch.mul(y, 2)',
      '  i0 = torch.add(i, 1)',
      '  _0, y, i = torch.lt(i0, int(n)), y0, i0',
      'return {"out": y}',
    ], [['x', 'float32', 1], ['n', 'int64', 0]], [['out', 'float32', 1]]);
    await expectOutputs(model, { x: f32([1, -3]), n: i64(0) }, { out: [1, -3] });
    await expectOutputs(model, { x: f32([1, -3]), n: i64(1) }, { out: [2, -6] });
    await expectOutputs(model, { x: f32([1, -3]), n: i64(4) }, { out: [16, -48] });
  });

  it('walks the rows of a tensor with for i in range(len(x)) as a Loop (x[i] is select), for 0, 1 and 3 rows', async () => {
    const model = lower([
      'acc = torch.zeros([2])',
      'for i in range(torch.len(x)):',
      '  acc = torch.add(acc, torch.mul(x[i], torch.add(i, 1)))',
      'return {"out": acc}',
    ], [['x', 'float32', 2]], [['out', 'float32', 1]]);
    expect(opTypes(model.graph.nodes)).toContain('Loop');
    await expectOutputs(model, { x: f32([], [0, 2]) }, { out: [0, 0] });
    await expectOutputs(model, { x: f32([1, 2], [1, 2]) }, { out: [1, 2] });
    await expectOutputs(model, { x: f32([1, 2, 3, 4, 5, 6], [3, 2]) }, { out: [1 + 6 + 15, 2 + 8 + 18] }); // row k times k+1
  });

  it('rejects an accumulator in a loop over a run-time list of strings (only appends are vectorized)', () => {
    expect(() => lowerForward([
      's = ""',
      'for i in range(torch.len(xs)):',
      '  s = torch.add(s, xs[i])',
      'return {"out": [s]}',
    ], [['xs', 'string', 1]], [['out', 'string', 1]])).toThrow(/rebinds 's' each pass \(only element-wise work appended to lists is vectorized\) \(TorchScript __torch__\.M\.forward:5\)/);
  });

  it('drops a run-time loop that carries nothing out (ONNX Loop needs an output; the body has no effect)', async () => {
    const model = lower([
      'for i in range(int(n)):',
      '  _0 = torch.mul(x, i)',
      'return {"out": x}',
    ], [['x', 'float32', 1], ['n', 'int64', 0]], [['out', 'float32', 1]]);
    expect(opTypes(model.graph.nodes)).toEqual(['Identity']);
    await expectOutputs(model, { x: f32([1, 2]) }, { out: [1, 2] });
  });

  it('rejects a run-time condition inside a vectorized loop over a string list (one condition per element)', () => {
    expect(() => lowerForward([
      'ys = annotate(List[str], [])',
      'for i in range(torch.len(xs)):',
      '  if torch.eq(xs[i], "a"):',
      '    _0 = torch.append(ys, "A")',
      '  else:',
      '    _1 = torch.append(ys, xs[i])',
      'return {"out": ys}',
    ], [['xs', 'string', 1]], [['out', 'string', 1]])).toThrow(/a run-time condition inside a loop over a run-time list/);
  });

  it('gives up on a while over load-time values that never ends', () => {
    expect(() => lower([
      'i = 0',
      'while torch.ge(i, 0):',
      '  i = torch.add(i, 1)',
      'return {"out": x}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]])).toThrow(/runs more than 65536 passes/);
  });

  it('a list appended to once a pass is a scan output: torch.stack along dim 1 and len() (a relu RNN over the rows of x)', async () => {
    // h_k = relu(h_{k-1} / 2 + x_k): [1, 0], [3.5, 4], [0, 8]; stacked along dim 1 -> [[1, 3.5, 0], [0, 4, 8]].
    const model = lower([
      'h = torch.zeros([2])',
      'outs = annotate(List[Tensor], [])',
      'for i in range(torch.size(x, 0)):',
      '  h = torch.relu(torch.add(torch.mul(h, 0.5), torch.select(x, 0, i)))',
      '  _0 = torch.append(outs, h)',
      'return {"out": torch.stack(outs, 1), "last": h, "count": torch.tensor(torch.len(outs))}',
    ], [['x', 'float32', 2]], [['out', 'float32', 2], ['last', 'float32', 1], ['count', 'int64', 0]]);
    await expectOutputs(model, { x: f32([1, -2, 3, 4, -5, 6], [3, 2]) }, { out: [1, 3.5, 0, 0, 4, 8], last: [0, 8], count: [3] });
    await expectOutputs(model, { x: f32([1, -2], [1, 2]) }, { out: [1, 0], last: [1, 0], count: [1] });
    const shapes = (await runOnBoth(model, { x: f32([1, -2, 3, 4, -5, 6], [3, 2]) })).shapes;
    expect(shapes.out).toEqual([2, 3]);
  });

  it('rejects other uses of a list a run-time loop appends to: cat, an append inside a branch, two appends a pass', () => {
    const run = (body: string[], out = 'torch.stack(ys)') => () => lower([
      'ys = annotate(List[Tensor], [])',
      'for i in range(int(n)):',
      ...body.map((l) => `  ${l}`),
      `return {"out": ${out}}`,
    ], [['x', 'float32', 1], ['n', 'int64', 0]], [['out', 'float32', 1]]);
    expect(run(['_0 = torch.append(ys, x)'], 'torch.cat(ys)')).toThrow(/cat of a run-time list of tensors/);
    expect(run(['_0 = torch.append(ys, x)', '_1 = torch.append(ys, x)'])).toThrow(/appends to 'ys' other than once on every pass \(TorchScript __torch__\.M\.forward:/);
    expect(run(['if bool(torch.gt(torch.sum(x), i)):', '  _0 = torch.append(ys, x)', 'else:', '  pass'])).toThrow(/appends to 'ys' other than once on every pass/);
    expect(run(['_0 = torch.append(ys, x)', '_1 = torch.len(ys)'])).toThrow(/aten::len/);
  });

  it('rejects a loop body that changes a carried tensor\'s dtype', () => {
    expect(() => lower([
      'y = x',
      'for i in range(int(n)):',
      '  y = torch.gt(y, 0)',
      'return {"out": y}',
    ], [['x', 'float32', 1], ['n', 'int64', 0]], [['out', 'float32', 1]])).toThrow(/changes the dtype of 'y' from float32 to bool/);
  });

  it('rejects break inside a run-time loop', () => {
    expect(() => lower([
      'y = x',
      'for i in range(int(n)):',
      '  y = torch.mul(y, 2)',
      '  break',
      'return {"out": y}',
    ], [['x', 'float32', 1], ['n', 'int64', 0]], [['out', 'float32', 1]])).toThrow(/statement 'break' is not supported/);
  });
});

describe('a TorchScript Neuropod package with run-time control flow, through load() and infer()', () => {
  it('runs an If inside a Loop on the chosen backend (n passes; odd passes add x, even ones subtract it)', async () => {
    const code = [
      'class M(Module):',
      '  def forward(self: __torch__.M,',
      '    x: Tensor,',
      '    n: Tensor) -> Dict[str, Tensor]:',
      '    acc = torch.zeros_like(x)',
      '    for i in range(int(n)):',
      '      if bool(torch.eq(torch.remainder(i, 2), 0)):',
      '        acc = torch.add(acc, x)',
      '      else:',
      '        acc = torch.sub(acc, x)',
      '    return {"out": acc}',
      '',
    ].join('\n');
    const config = {
      name: 'control_flow', platform: 'torchscript',
      input_spec: [{ name: 'x', dtype: 'float32', shape: [null] }, { name: 'n', dtype: 'int64', shape: [] }],
      output_spec: [{ name: 'out', dtype: 'float32', shape: [null] }],
    };
    const model = await load(zipSync({ 'config.json': new TextEncoder().encode(JSON.stringify(config)), '0/data/model.pt': archiveWithCode(code) }));
    for (const [n, want] of [[0, [0, 0]], [1, [1.5, -2]], [3, [1.5, -2]], [4, [0, 0]]] as const) {
      const out = await model.infer({ x: f32([1.5, -2]), n: i64(n) });
      expect([...(out.out as Tensor).numeric]).toEqual(want);
    }
  });
});
