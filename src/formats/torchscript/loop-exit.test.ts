import { describe, expect, it } from 'vitest';
import type { Model } from '../../graph/ir.js';
import { Tensor, tensor } from '../../tensor/tensor.js';
import { lowerCode, lowerForward, runOnBoth } from '../../testing/torchscript-archive.js';

// A `return` inside a loop, as torch.jit saves it: the exit transform turns the return into a carried
// "returned" flag and a carried result that starts as `uninitialized(T)`, ends the loop through its condition,
// and guards the code after the loop with `if flag:`; a `for` with a condition is then printed as a `while` with
// its own counter (CanonicalizeModifiedLoops). `break` takes the same shape without the result. Expected values
// are the Python semantics worked by hand; each graph runs on the reference kernels, planned, and onnxruntime-node.

const f32 = (v: number[]) => tensor(new Float32Array(v), [v.length]);

async function expectOutputs(model: Model, feeds: Record<string, Tensor>, expected: Record<string, number[]>): Promise<void> {
  const { reference, planned, ort } = await runOnBoth(model, feeds);
  expect(reference).toEqual(expected);
  expect(planned).toEqual(expected);
  expect(ort).toEqual(expected);
}

// def first_above(x, t):
//     for i in range(x.size(0)):
//         if bool(x[i] > t): return x[i] * 10
//     return x.sum()
// def first_index(x, t) -> int: the same loop returning i, and -1 after it.
const CODE = `class M(Module):
  def forward(self: __torch__.M,
    x: Tensor) -> Dict[str, Tensor]:
    _0 = __torch__.first_above(x, 2., )
    _1 = torch.tensor(__torch__.first_index(x, 2., ))
    return {"value": _0, "index": _1}
def first_above(x: Tensor,
    t: float) -> Tensor:
    _0 = uninitialized(Tensor)
    _1 = torch.size(x, 0)
    _2 = torch.gt(_1, 0)
    _3, _4, _5, i = _2, False, _0, 0
    while _3:
      _6 = torch.select(x, 0, i)
      if bool(torch.gt(_6, t)):
        _7, _8, _9 = False, True, torch.mul(_6, 10)
      else:
        _7, _8, _9 = True, _4, _5
      _10 = torch.add(i, 1)
      _3, _4, _5, i = torch.__and__(torch.lt(_10, _1), _7), _8, _9, _10
    if _4:
      _11 = _5
    else:
      _11 = torch.sum(x)
    return _11
def first_index(x: Tensor,
    t: float) -> int:
    _0 = uninitialized(int)
    _1 = torch.size(x, 0)
    _2 = torch.gt(_1, 0)
    _3, _4, _5, i = _2, False, _0, 0
    while _3:
      if bool(torch.gt(torch.select(x, 0, i), t)):
        _7, _8, _9 = False, True, i
      else:
        _7, _8, _9 = True, _4, _5
      _10 = torch.add(i, 1)
      _3, _4, _5, i = torch.__and__(torch.lt(_10, _1), _7), _8, _9, _10
    if _4:
      _11 = _5
    else:
      _11 = -1
    return _11
`;

describe('TorchScript return inside a run-time loop', () => {
  const model = lowerCode(CODE, [['x', 'float32', 1]], [['value', 'float32', 0], ['index', 'int64', 0]]);

  it('returns from the first pass whose element is above 2, with the pass index', async () => {
    expect(model.graph.nodes.filter((n) => n.opType === 'Loop')).toHaveLength(2);
    await expectOutputs(model, { x: f32([1, 3, 5]) }, { value: [30], index: [1] });
    await expectOutputs(model, { x: f32([4, 1]) }, { value: [40], index: [0] });
  });

  it('falls through to the code after the loop when no pass returns, and with zero passes', async () => {
    await expectOutputs(model, { x: f32([1, 2, -0.5]) }, { value: [2.5], index: [-1] });
    await expectOutputs(model, { x: f32([]) }, { value: [0], index: [-1] });
  });

  it('a return inside a loop with a load-time count: unrolled while the condition is known, a Loop from the first run-time one', async () => {
    // for i in range(3): if bool(x[i] > 2): return x[i] * 10 / return -x.sum()  (x has at least 3 elements)
    const m = lowerForward([
      '_0 = uninitialized(Tensor)',
      '_3, _4, _5, i = True, False, _0, 0',
      'while _3:',
      '  _6 = torch.select(x, 0, i)',
      '  if bool(torch.gt(_6, 2.)):',
      '    _7, _8, _9 = False, True, torch.mul(_6, 10)',
      '  else:',
      '    _7, _8, _9 = True, _4, _5',
      '  _10 = torch.add(i, 1)',
      '  _3, _4, _5, i = torch.__and__(torch.lt(_10, 3), _7), _8, _9, _10',
      'if _4:',
      '  _11 = _5',
      'else:',
      '  _11 = torch.neg(torch.sum(x))',
      'return {"out": _11}',
    ], [['x', 'float32', 1]], [['out', 'float32', 0]]);
    await expectOutputs(m, { x: f32([5, 0, 0, 9]) }, { out: [50] });
    await expectOutputs(m, { x: f32([0, 1, 3, 9]) }, { out: [30] });
    await expectOutputs(m, { x: f32([0, 1, 2, 9]) }, { out: [-12] }); // x[3] is past the loop
  });

  it('a break (the loop condition set false) stops accumulating: sum until it passes 4', async () => {
    // s = 0; for v in range(x.size(0)): s += x[i]; if s > 4: break
    const m = lowerForward([
      '_0 = torch.size(x, 0)',
      '_1, s, i = torch.gt(_0, 0), torch.zeros([]), 0',
      'while _1:',
      '  s0 = torch.add(s, torch.select(x, 0, i))',
      '  if bool(torch.gt(s0, 4)):',
      '    _2 = False',
      '  else:',
      '    _2 = True',
      '  _3 = torch.add(i, 1)',
      '  _1, s, i = torch.__and__(torch.lt(_3, _0), _2), s0, _3',
      'return {"out": s}',
    ], [['x', 'float32', 1]], [['out', 'float32', 0]]);
    await expectOutputs(m, { x: f32([1, 2, 3, 4]) }, { out: [6] });
    await expectOutputs(m, { x: f32([1, 1]) }, { out: [2] });
  });

  it('an uninitialized name the loop never binds stays unreadable after it', () => {
    expect(() => lowerForward([
      '_0 = uninitialized(Tensor)',
      '_1, _2, i = torch.gt(torch.size(x, 0), 0), _0, 0',
      'while _1:',
      '  _3 = torch.add(i, 1)',
      '  _1, _2, i = torch.lt(_3, torch.size(x, 0)), _2, _3',
      'return {"out": _2}',
    ], [['x', 'float32', 1]], [['out', 'float32', 1]])).toThrow(/uninitialized value where a tensor is expected/);
  });
});
