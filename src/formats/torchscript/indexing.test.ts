import { describe, expect, it } from 'vitest';
import type { Model } from '../../graph/ir.js';
import { Tensor, tensor } from '../../tensor/tensor.js';
import { lowerCode, lowerForward, runOnBoth, type ForwardSpec } from '../../testing/torchscript-archive.js';

// Boolean masks, advanced indexing, index_put, gather/scatter, sorting and the other tensor ops a scripted
// postprocess calls, in the forms torch.jit's printer writes (`torch.index(x, annotate(List[Optional[Tensor]],
// [m]))`, `torch.index_put_(...)` as a statement). Each graph runs on the reference kernels, on the planned graph
// and on onnxruntime-node; expected values are worked by hand in the comments (torch semantics).

const f32 = (v: number[], shape = [v.length]) => tensor(new Float32Array(v), shape);
const i64 = (v: number[], shape = [v.length]) => new Tensor('int64', shape, BigInt64Array.from(v, BigInt));

async function expectOutputs(model: Model, feeds: Record<string, Tensor>, expected: Record<string, number[]>, shapes?: Record<string, number[]>): Promise<void> {
  const got = await runOnBoth(model, feeds);
  for (const run of [got.reference, got.planned, got.ort]) {
    for (const [name, values] of Object.entries(expected)) {
      expect(run[name]!.length, name).toBe(values.length);
      run[name]!.forEach((v, i) => expect(v, `${name}[${i}]`).toBeCloseTo(values[i]!, 5));
    }
  }
  if (shapes) for (const [name, shape] of Object.entries(shapes)) expect(got.shapes[name], name).toEqual(shape);
}

// x = [[1, -2, 3], [-4, 5, 6]]
const X = f32([1, -2, 3, -4, 5, 6], [2, 3]);
const x2: ForwardSpec[] = [['x', 'float32', 2]];

describe('TorchScript boolean masks and advanced indexing', () => {
  it('x[x > 0] (a rank-2 mask: NonZero + GatherND) and x[:, m] (a rank-1 mask on dim 1: Compress)', async () => {
    const model = lowerForward([
      '_0 = torch.index(x, annotate(List[Optional[Tensor]], [torch.gt(x, 0)]))',
      '_1 = torch.index(x, annotate(List[Optional[Tensor]], [None, m]))',
      'return {"pos": _0, "cols": _1}',
    ], [...x2, ['m', 'bool', 1]], [['pos', 'float32', 1], ['cols', 'float32', 2]]);
    const m = new Tensor('bool', [3], Uint8Array.of(1, 0, 1));
    await expectOutputs(model, { x: X, m }, { pos: [1, 3, 5, 6], cols: [1, 3, -4, 6] }, { pos: [4], cols: [2, 2] });
    // Nothing selected: empty results, not an error.
    await expectOutputs(model, { x: f32([-1, -1, -1, -1, -1, -1], [2, 3]), m: new Tensor('bool', [3], Uint8Array.of(0, 0, 0)) }, { pos: [], cols: [] }, { pos: [0], cols: [2, 0] });
  });

  it('x[rows, cols] with two integer index tensors (GatherND), x[idx] on dim 1 after a kept dim (Gather)', async () => {
    const model = lowerForward([
      '_0 = torch.index(x, annotate(List[Optional[Tensor]], [r, k]))',
      '_1 = torch.index(x, annotate(List[Optional[Tensor]], [None, k]))',
      'return {"picked": _0, "cols": _1}',
    ], [...x2, ['r', 'int64', 1], ['k', 'int64', 1]], [['picked', 'float32', 1], ['cols', 'float32', 2]]);
    // x[0, 2] = 3, x[1, 0] = -4; x[:, [2, 0]] = [[3, 1], [6, -4]]
    await expectOutputs(model, { x: X, r: i64([0, 1]), k: i64([2, 0]) }, { picked: [3, -4], cols: [3, 1, 6, -4] });
  });

  it('x[x < 0] = 0 as torch.index_put_ rebinds x for the code after it; accumulate adds at repeated positions', async () => {
    const model = lowerForward([
      '_0 = torch.index_put_(x, annotate(List[Optional[Tensor]], [torch.lt(x, 0)]), torch.tensor(0.))',
      'y = torch.zeros([3])',
      '_1 = torch.index_put_(y, annotate(List[Optional[Tensor]], [i]), v, True)',
      'return {"relu": x, "acc": y}',
    ], [...x2, ['i', 'int64', 1], ['v', 'float32', 1]], [['relu', 'float32', 2], ['acc', 'float32', 1]]);
    // y[[0, 2, 0]] += [1, 2, 3]: y = [4, 0, 2]
    await expectOutputs(model, { x: X, i: i64([0, 2, 0]), v: f32([1, 2, 3]) }, { relu: [1, 0, 3, 0, 5, 6], acc: [4, 0, 2] });
  });

  it('nonzero, torch.where(cond) as a tuple, masked_select with a broadcast mask, masked_scatter', async () => {
    const model = lowerForward([
      '_0 = torch.nonzero(torch.gt(x, 0))',
      '_1 = torch.where(torch.gt(x, 0))',
      '_2 = torch.masked_select(x, m)',
      '_3 = torch.masked_scatter(x, torch.lt(x, 0), s)',
      'return {"nz": _0, "cols": _1[1], "sel": _2, "scat": _3}',
    ], [...x2, ['m', 'bool', 1], ['s', 'float32', 1]], [['nz', 'int64', 2], ['cols', 'int64', 1], ['sel', 'float32', 1], ['scat', 'float32', 2]]);
    const m = new Tensor('bool', [3], Uint8Array.of(1, 0, 1));
    // positive at (0,0), (0,2), (1,1), (1,2); mask row [T, F, T] on both rows: 1, 3, -4, 6;
    // negatives at (0,1), (1,0) take s[0], s[1] in row-major order.
    await expectOutputs(model, { x: X, m, s: f32([10, 20, 30]) }, {
      nz: [0, 0, 0, 2, 1, 1, 1, 2], cols: [0, 2, 1, 2], sel: [1, 3, -4, 6], scat: [1, 10, 3, 20, 5, 6],
    }, { nz: [4, 2] });
  });

  it('gather, scatter (src, scalar value, reduce add), scatter_add, index_select', async () => {
    const model = lowerForward([
      '_0 = torch.gather(x, 1, k)',
      '_1 = torch.scatter(torch.zeros([2, 3]), 1, k, x)',
      '_2 = torch.scatter(torch.zeros([2, 3]), 1, k, 7.)',
      '_3 = torch.scatter_add(torch.zeros([2, 3]), 1, k2, torch.ones([2, 2]))',
      '_4 = torch.index_select(x, 1, torch.tensor([2, 0]))',
      'return {"g": _0, "s": _1, "v": _2, "a": _3, "sel": _4}',
    ], [...x2, ['k', 'int64', 2], ['k2', 'int64', 2]], [['g', 'float32', 2], ['s', 'float32', 2], ['v', 'float32', 2], ['a', 'float32', 2], ['sel', 'float32', 2]]);
    // k = [[2, 0], [1, 0]]: gather row 0 -> x[0][2], x[0][0] = 3, 1; row 1 -> 5, -4. scatter writes x's first two
    // columns: out[0][2] = 1, out[0][0] = -2, out[1][1] = -4, out[1][0] = 5. scatter_add with a repeated index:
    // k2 = [[0, 0], [2, 2]] adds two ones into each of (0, 0) and (1, 2).
    await expectOutputs(model, { x: X, k: i64([2, 0, 1, 0], [2, 2]), k2: i64([0, 0, 2, 2], [2, 2]) }, {
      g: [3, 1, 5, -4], s: [-2, 0, 1, 5, -4, 0], v: [7, 0, 7, 7, 7, 0], a: [2, 0, 0, 0, 0, 2], sel: [3, 1, 6, -4],
    });
  });

  it('an in-place op inside a run-time if or loop changes the name after it (an If output, a carried value)', async () => {
    const model = lowerForward([
      'y = torch.clone(x)',
      'if bool(torch.gt(torch.sum(x), 0)):',
      '  _0 = torch.index_put_(y, annotate(List[Optional[Tensor]], [torch.lt(y, 0)]), torch.tensor(0.))',
      'else:',
      '  pass',
      'acc = torch.zeros([3])',
      '_1, i = torch.gt(n, 0), 0',
      'while _1:',
      '  _2 = torch.add_(acc, torch.select(x, 0, 1))',
      '  _3 = torch.add(i, 1)',
      '  _1, i = torch.lt(_3, n), _3',
      'return {"y": y, "acc": acc}',
    ], [...x2, ['n', 'int64', 0]], [['y', 'float32', 2], ['acc', 'float32', 1]]);
    // sum(x) = 9 > 0: negatives zeroed; acc adds row 1 ([-4, 5, 6]) n times.
    const n = (v: number) => new Tensor('int64', [], BigInt64Array.of(BigInt(v)));
    await expectOutputs(model, { x: X, n: n(2) }, { y: [1, 0, 3, 0, 5, 6], acc: [-8, 10, 12] });
    await expectOutputs(model, { x: f32([-1, -2, 3, -4, 0, 1], [2, 3]), n: n(0) }, { y: [-1, -2, 3, -4, 0, 1], acc: [0, 0, 0] });
  });

  it('an in-place op in a run-time if on a tensor the caller also holds is rejected (the caller would miss it)', () => {
    const code = `class M(Module):
  def forward(self: __torch__.M,
    x: Tensor) -> Dict[str, Tensor]:
    y = torch.clone(x)
    _0 = __torch__.maybe_relu(y, )
    return {"out": y}
def maybe_relu(t: Tensor) -> NoneType:
    if bool(torch.gt(torch.sum(t), 0)):
      _1 = torch.relu_(t)
    else:
      pass
    return None
`;
    expect(() => lowerCode(code, x2, [['out', 'float32', 2]])).toThrow(expect.objectContaining({
      code: 'OP_UNSUPPORTED',
      message: expect.stringMatching(/in-place relu_ inside a run-time if or loop on a tensor a calling function also holds \(as 'y'\) \(TorchScript maybe_relu:9\)/),
    }));
  });

  it('an in-place write to a view is rejected (the base would not see it), naming the op and line', () => {
    expect(() => lowerForward([
      '_0 = torch.select(x, 0, 0)',
      '_1 = torch.index_put_(_0, annotate(List[Optional[Tensor]], [torch.lt(_0, 0)]), torch.tensor(0.))',
      'return {"out": x}',
    ], x2, [['out', 'float32', 2]])).toThrow(expect.objectContaining({
      code: 'OP_UNSUPPORTED',
      message: expect.stringMatching(/in-place index_put_ on the result of select, a view .* \(TorchScript __torch__\.M\.forward:5\)/),
    }));
  });
});

describe('TorchScript sorting, reductions with indices and tensor construction', () => {
  it('var / std (unbiased, correction=0, all dims), norm p = 2, 1, inf, 3, and layer_norm without a weight', async () => {
    const model = lowerForward([
      '_0 = torch.var(x, [1], True, False)',
      '_1 = torch.std(x, [1], correction=0, keepdim=True)',
      '_2 = torch.var(x)',
      '_3 = torch.norm(x, 2, [1], False)',
      '_4 = torch.linalg_vector_norm(x, 1, [0], False, dtype=None)',
      '_5 = torch.linalg_vector_norm(x, inf, None, False, dtype=None)',
      '_6 = torch.norm(x, 3, [1], False)',
      '_7 = torch.layer_norm(x, [3], None, None, 1.0000000000000001e-05, True)',
      'return {"v": _0, "s": _1, "va": _2, "n2": _3, "n1": _4, "ni": _5, "n3": _6, "ln": _7}',
    ], x2, [['v', 'float32', 1], ['s', 'float32', 2], ['va', 'float32', 0], ['n2', 'float32', 1], ['n1', 'float32', 1], ['ni', 'float32', 0], ['n3', 'float32', 1], ['ln', 'float32', 2]]);
    // Row 0 [1, -2, 3]: mean 2/3, squared deviations sum 38/3; row 1 [-4, 5, 6]: mean 7/3, sum 182/3.
    // All six: mean 1.5, sum of squares 91 - 6·2.25 = 77.5, / 5.
    const row = (v: number[]) => {
      const m = v.reduce((a, b) => a + b, 0) / 3;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / 3 + 1e-5);
      return v.map((a) => (a - m) / sd);
    };
    await expectOutputs(model, { x: X }, {
      v: [38 / 6, 182 / 6], s: [Math.sqrt(38 / 9), Math.sqrt(182 / 9)], va: [77.5 / 5], n2: [Math.sqrt(14), Math.sqrt(77)], n1: [5, 7, 9], ni: [6],
      n3: [Math.cbrt(36), Math.cbrt(405)], ln: [...row([1, -2, 3]), ...row([-4, 5, 6])],
    }, { s: [2, 1] });
  });

  it('topk, sort descending, argsort, max/min along a dim, max of all, element-wise max, argmax', async () => {
    const model = lowerForward([
      '_0, _1 = torch.topk(v, 2)',
      '_9, _10 = torch.topk(v, min(10, torch.size(v, 0)), largest=False)',
      '_2, _3 = torch.sort(v, 0, True)',
      '_4 = torch.argsort(v)',
      '_5, _6 = torch.max(x, 1)',
      '_7, _8 = torch.min(x, 0, True)',
      'return {"tv": _0, "ti": _1, "sv": _2, "si": _3, "as": _4, "mv": _5, "mi": _6, "nv": _7, "ni": _8,'
        + ' "all": torch.max(x), "pair": torch.max(x, torch.neg(x)), "am": torch.argmax(x), "small": _9}',
    ], [...x2, ['v', 'float32', 1]], [
      ['tv', 'float32', 1], ['ti', 'int64', 1], ['sv', 'float32', 1], ['si', 'int64', 1], ['as', 'int64', 1], ['mv', 'float32', 1],
      ['mi', 'int64', 1], ['nv', 'float32', 2], ['ni', 'int64', 2], ['all', 'float32', 0], ['pair', 'float32', 2], ['am', 'int64', 0],
      ['small', 'float32', 1],
    ]);
    // v = [0.5, 3, -1, 2]
    await expectOutputs(model, { x: X, v: f32([0.5, 3, -1, 2]) }, {
      tv: [3, 2], ti: [1, 3], sv: [3, 2, 0.5, -1], si: [1, 3, 0, 2], as: [2, 0, 3, 1],
      mv: [3, 6], mi: [2, 2], nv: [-4, -2, 3], ni: [1, 0, 0], all: [6], pair: [1, 2, 3, 4, 5, 6], am: [5],
      small: [-1, 0.5, 2, 3], // k = min(10, 4): a run-time k, smallest first
    }, { nv: [1, 3] });
  });

  it('cumsum (int promotes to int64), repeat with an added dim, einsum, baddbmm, flip', async () => {
    const model = lowerForward([
      '_0 = torch.cumsum(x, 1)',
      '_1 = torch.cumsum(torch.gt(x, 0), 0)',
      '_2 = torch.repeat(v, [2, 2])',
      '_3 = torch.einsum("ij,j->i", [x, v3])',
      '_4 = torch.baddbmm(torch.ones([1, 2, 2]), torch.unsqueeze(x, 0), torch.unsqueeze(torch.t(x), 0), beta=0.5, alpha=2)',
      'return {"cs": _0, "ci": _1, "rep": _2, "es": _3, "bm": _4, "fl": torch.flip(x, [1])}',
    ], [...x2, ['v', 'float32', 1], ['v3', 'float32', 1]], [['cs', 'float32', 2], ['ci', 'int64', 2], ['rep', 'float32', 2], ['es', 'float32', 1], ['bm', 'float32', 3], ['fl', 'float32', 2]]);
    // x x^T = [[14, 4], [4, 77]]; 2·that + 0.5 = [[28.5, 8.5], [8.5, 154.5]]. x·[1, 0, 2] = [7, 8].
    await expectOutputs(model, { x: X, v: f32([1, 2]), v3: f32([1, 0, 2]) }, {
      cs: [1, -1, 2, -4, 1, 7], ci: [1, 0, 1, 1, 1, 2], rep: [1, 2, 1, 2, 1, 2, 1, 2], es: [7, 8], bm: [28.5, 8.5, 8.5, 154.5], fl: [3, -2, 1, 6, 5, -4],
    }, { rep: [2, 4] });
  });

  it('meshgrid ij and xy, unbind unpacked and indexed, clamp with tensor bounds, new_zeros, empty', async () => {
    const model = lowerForward([
      '_0 = torch.meshgrid([a, b], indexing="ij")',
      '_1 = torch.meshgrid([a, b], indexing="xy")',
      'x0, x1, x2 = torch.unbind(x, 1)',
      '_2 = torch.unbind(x)',
      '_3 = torch.clamp(x, torch.tensor([0., 0., 4.]), torch.tensor([2., 2., 5.]))',
      'return {"gi": _0[0], "gj": _0[1], "xy": _1[0], "c": torch.add(x0, x2), "r": _2[1], "cl": _3,'
        + ' "ar": torch.arange(0., 1., 0.25), "wh": torch.where(torch.gt(x, 0), x, torch.tensor([[10.], [20.]])),'
        + ' "z": torch.new_zeros(x, [2]), "e": torch.tensor(torch.size(torch.empty([3, 2], dtype=6)))}',
    ], [...x2, ['a', 'float32', 1], ['b', 'float32', 1]], [
      ['gi', 'float32', 2], ['gj', 'float32', 2], ['xy', 'float32', 2], ['c', 'float32', 1], ['r', 'float32', 1], ['cl', 'float32', 2], ['ar', 'float32', 1], ['wh', 'float32', 2], ['z', 'float32', 1], ['e', 'int64', 1],
    ]);
    // a = [1, 2], b = [10, 20, 30]: ij grids [2, 3]; xy grids [3, 2] with a along the columns.
    await expectOutputs(model, { x: X, a: f32([1, 2]), b: f32([10, 20, 30]) }, {
      gi: [1, 1, 1, 2, 2, 2], gj: [10, 20, 30, 10, 20, 30], xy: [1, 2, 1, 2, 1, 2], c: [4, 2], r: [-4, 5, 6],
      cl: [1, 0, 4, 0, 2, 5], ar: [0, 0.25, 0.5, 0.75], wh: [1, 10, 3, 20, 5, 6], z: [0, 0], e: [3, 2],
    }, { xy: [3, 2], wh: [2, 3] });
  });
});
