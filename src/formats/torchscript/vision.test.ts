import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { load } from '../../api/model.js';
import type { Model } from '../../graph/ir.js';
import { Tensor, tensor } from '../../tensor/tensor.js';
import { archiveWithCode, lowerCode, lowerForward, runOnBoth, type ForwardSpec } from '../../testing/torchscript-archive.js';

// torchvision's detection ops and the image-model aten ops, in printer form (`ops.torchvision.nms(...)`,
// `torch.upsample_bilinear2d(...)`), run on the reference kernels, the planned graph and onnxruntime-node.
// Expected values: worked by hand from torchvision's CPU kernels and ATen's formulas (comments), or a plain-loop
// reference written here from them (group / instance norm, interpolation).

const f32 = (v: number[], shape = [v.length]) => tensor(new Float32Array(v), shape);
const range = (n: number, scale = 1, offset = 0) => Array.from({ length: n }, (_, i) => i * scale + offset);

async function expectOutputs(model: Model, feeds: Record<string, Tensor>, expected: Record<string, number[]>, shapes?: Record<string, number[]>, digits = 5): Promise<void> {
  const got = await runOnBoth(model, feeds);
  for (const run of [got.reference, got.planned, got.ort]) {
    for (const [name, values] of Object.entries(expected)) {
      expect(run[name]!.length, name).toBe(values.length);
      run[name]!.forEach((v, i) => expect(v, `${name}[${i}]`).toBeCloseTo(values[i]!, digits));
    }
  }
  if (shapes) for (const [name, shape] of Object.entries(shapes)) expect(got.shapes[name], name).toEqual(shape);
}

const image: ForwardSpec[] = [['x', 'float32', 4]];
// A 4x4 plane whose value is 4y + x: bilinear samples of it are exact at any interior point.
const plane = f32(range(16), [1, 1, 4, 4]);

describe('torchvision detection ops', () => {
  it('nms keeps boxes by descending score, dropping IoU > threshold with a kept one', async () => {
    const model = lowerForward(['return {"keep": ops.torchvision.nms(b, s, 0.5)}'], [['b', 'float32', 2], ['s', 'float32', 1]], [['keep', 'int64', 1]]);
    // b1 overlaps b0 with IoU 81/119 = 0.68; b2 overlaps b3 with IoU 64/100. Scores: b3 .95, b0 .9, b1 .8, b2 .7.
    const b = f32([0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 21, 21, 29, 29], [4, 4]);
    await expectOutputs(model, { b, s: f32([0.9, 0.8, 0.7, 0.95]) }, { keep: [3, 0] });
    // At threshold 0.7 b1 stays (0.68 <= 0.7), b2 does not (0.64 <= 0.7 stays too).
    const loose = lowerForward(['return {"keep": ops.torchvision.nms(b, s, 0.7)}'], [['b', 'float32', 2], ['s', 'float32', 1]], [['keep', 'int64', 1]]);
    await expectOutputs(loose, { b, s: f32([0.9, 0.8, 0.7, 0.95]) }, { keep: [3, 0, 1, 2] });
  });

  it('roi_align aligned=True shifts by half a pixel, aligned=False does not; the roi batch index picks the image', async () => {
    const model = lowerForward([
      '_0 = ops.torchvision.roi_align(x, r, 1., 2, 2, 2, True)',
      '_1 = ops.torchvision.roi_align(x, r, 1., 2, 2, 2, False)',
      'return {"a": _0, "u": _1}',
    ], [...image, ['r', 'float32', 2]], [['a', 'float32', 4], ['u', 'float32', 4]]);
    const x = f32([...range(16), ...range(16, 1, 100)], [2, 1, 4, 4]);
    // roi (0.5, 0.5)-(2.5, 2.5). aligned: (0, 0)-(2, 2), 1x1 bins, the mean of 4 samples is the bin centre
    // (i + .5, j + .5): 4i + j + 2.5. Not aligned: bin centres (i + 1, j + 1): 4i + j + 5. Image 1 adds 100.
    const r = f32([0, 0.5, 0.5, 2.5, 2.5, 1, 0.5, 0.5, 2.5, 2.5], [2, 5]);
    await expectOutputs(model, { x, r }, { a: [2.5, 3.5, 6.5, 7.5, 102.5, 103.5, 106.5, 107.5], u: [5, 6, 9, 10, 105, 106, 109, 110] }, { a: [2, 1, 2, 2] });
  });

  it('roi_pool takes the max per bin of the rounded roi (the argmax is not lowered)', async () => {
    const model = lowerForward(['_0, _1 = ops.torchvision.roi_pool(x, r, 0.5, 2, 2)', 'return {"p": _0}'], [...image, ['r', 'float32', 2]], [['p', 'float32', 4]]);
    // roi (0, 0)-(6, 6) at scale 0.5 is (0, 0)-(3, 3): 4x4 pixels, 2x2 bins; each bin's max is its bottom-right.
    await expectOutputs(model, { x: plane, r: f32([0, 0, 0, 6, 6], [1, 5]) }, { p: [5, 7, 13, 15] });
    expect(() => lowerForward(['_0, _1 = ops.torchvision.roi_pool(x, r, 0.5, 2, 2)', 'return {"p": _1}'], [...image, ['r', 'float32', 2]], [['p', 'float32', 4]]))
      .toThrow(/argmax of torchvision::roi_pool \(not lowered\)/);
  });

  it('runs through load() + infer(): score filter by mask, nms, the kept boxes gathered', async () => {
    const code = [
      'class M(Module):',
      '  def forward(self: __torch__.M,',
      '    boxes: Tensor,',
      '    scores: Tensor) -> Dict[str, Tensor]:',
      '    keep = torch.gt(scores, 0.5)',
      '    b = torch.index(boxes, annotate(List[Optional[Tensor]], [keep]))',
      '    s = torch.index(scores, annotate(List[Optional[Tensor]], [keep]))',
      '    kept = ops.torchvision.nms(b, s, 0.5)',
      '    return {"kept_boxes": torch.index(b, annotate(List[Optional[Tensor]], [kept])), "count": torch.numel(kept)}',
      '',
    ].join('\n');
    const config = {
      name: 'detect', platform: 'torchscript',
      input_spec: [{ name: 'boxes', dtype: 'float32', shape: [null, 4] }, { name: 'scores', dtype: 'float32', shape: [null] }],
      output_spec: [{ name: 'kept_boxes', dtype: 'float32', shape: [null, 4] }, { name: 'count', dtype: 'int64', shape: [] }],
    };
    const model = await load(zipSync({ 'config.json': new TextEncoder().encode(JSON.stringify(config)), '0/data/model.pt': archiveWithCode(code) }));
    // Box 1 scores below 0.5 and is dropped first; box 2 overlaps box 0 (IoU 0.68) with a lower score.
    const out = await model.infer({ boxes: f32([0, 0, 10, 10, 50, 50, 60, 60, 1, 1, 11, 11, 20, 20, 30, 30], [4, 4]), scores: f32([0.9, 0.3, 0.8, 0.7]) });
    expect([...(out.kept_boxes as Tensor).numeric]).toEqual([0, 0, 10, 10, 20, 20, 30, 30]);
    expect((out.kept_boxes as Tensor).shape).toEqual([2, 4]);
    expect([...(out.count as Tensor).numeric].map(Number)).toEqual([2]);
  });

  it('a scripted postprocess: clip_boxes_to_image, remove_small_boxes, batched_nms (coordinate trick), box_iou', async () => {
    // torchvision.ops.boxes as torch.jit prints the scripted functions (helpers in the same code file).
    const code = `class M(Module):
  def forward(self: __torch__.M,
    boxes: Tensor,
    scores: Tensor,
    labels: Tensor) -> Dict[str, Tensor]:
    boxes0 = __torch__.clip_boxes_to_image(boxes, [20, 30], )
    keep = __torch__.remove_small_boxes(boxes0, 1., )
    boxes1 = torch.index(boxes0, annotate(List[Optional[Tensor]], [keep]))
    scores0 = torch.index(scores, annotate(List[Optional[Tensor]], [keep]))
    labels0 = torch.index(labels, annotate(List[Optional[Tensor]], [keep]))
    kept = __torch__.batched_nms(boxes1, scores0, labels0, 0.5, )
    _0 = torch.index(boxes1, annotate(List[Optional[Tensor]], [kept]))
    return {"kept": _0, "iou": __torch__.box_iou(_0, _0, )}
def clip_boxes_to_image(boxes: Tensor,
    size: Tuple[int, int]) -> Tensor:
    dim = torch.dim(boxes)
    boxes_x = torch.slice(boxes, -1, 0, 9223372036854775807, 2)
    boxes_y = torch.slice(boxes, -1, 1, 9223372036854775807, 2)
    height, width, = size
    boxes_x0 = torch.clamp(boxes_x, 0, width)
    boxes_y0 = torch.clamp(boxes_y, 0, height)
    clipped_boxes = torch.stack([boxes_x0, boxes_y0], dim)
    return torch.reshape(clipped_boxes, torch.size(boxes))
def remove_small_boxes(boxes: Tensor,
    min_size: float) -> Tensor:
    _1 = torch.select(torch.slice(boxes, 0, 0, 9223372036854775807, 1), 1, 2)
    _2 = torch.select(torch.slice(boxes, 0, 0, 9223372036854775807, 1), 1, 0)
    _3 = torch.sub(_1, _2)
    _4 = torch.select(torch.slice(boxes, 0, 0, 9223372036854775807, 1), 1, 3)
    _5 = torch.select(torch.slice(boxes, 0, 0, 9223372036854775807, 1), 1, 1)
    ws, hs, = (_3, torch.sub(_4, _5))
    keep = torch.__and__(torch.ge(ws, min_size), torch.ge(hs, min_size))
    return (torch.where(keep))[0]
def batched_nms(boxes: Tensor,
    scores: Tensor,
    idxs: Tensor,
    iou_threshold: float) -> Tensor:
    if torch.eq(torch.numel(boxes), 0):
      _6 = torch.empty([0], dtype=4, layout=None, device=torch.device("cpu"))
    else:
      max_coordinate = torch.max(boxes)
      _7 = torch.to(idxs, boxes)
      _8 = torch.add(max_coordinate, torch.to(torch.tensor(1), boxes))
      offsets = torch.mul(_7, _8)
      _9 = torch.unsqueeze(torch.slice(offsets, 0, 0, 9223372036854775807, 1), 1)
      boxes_for_nms = torch.add(boxes, _9)
      _6 = ops.torchvision.nms(boxes_for_nms, scores, iou_threshold)
    return _6
def box_iou(boxes1: Tensor,
    boxes2: Tensor) -> Tensor:
    _10 = __torch__._box_inter_union(boxes1, boxes2, )
    inter, union, = _10
    return torch.div(inter, union)
def _box_inter_union(boxes1: Tensor,
    boxes2: Tensor) -> Tuple[Tensor, Tensor]:
    area1 = __torch__.box_area(boxes1, )
    area2 = __torch__.box_area(boxes2, )
    _12 = torch.unsqueeze(torch.slice(boxes1, 0, 0, 9223372036854775807, 1), 1)
    _13 = torch.slice(boxes2, 0, 0, 9223372036854775807, 1)
    lt = torch.max(torch.slice(_12, 2, 0, 2, 1), torch.slice(_13, 1, 0, 2, 1))
    _14 = torch.unsqueeze(torch.slice(boxes1, 0, 0, 9223372036854775807, 1), 1)
    rb = torch.min(torch.slice(_14, 2, 2, 9223372036854775807, 1), torch.slice(_13, 1, 2, 9223372036854775807, 1))
    wh = torch.clamp(__torch__._upcast(torch.sub(rb, lt), ), 0)
    _15 = torch.select(torch.slice(torch.slice(wh, 0, 0, 9223372036854775807, 1), 1, 0, 9223372036854775807, 1), 2, 0)
    _16 = torch.select(torch.slice(torch.slice(wh, 0, 0, 9223372036854775807, 1), 1, 0, 9223372036854775807, 1), 2, 1)
    inter = torch.mul(_15, _16)
    _17 = torch.unsqueeze(torch.slice(area1, 0, 0, 9223372036854775807, 1), 1)
    union = torch.sub(torch.add(_17, area2), inter)
    return (inter, union)
def box_area(boxes: Tensor) -> Tensor:
    boxes0 = __torch__._upcast(boxes, )
    _18 = torch.select(torch.slice(boxes0, 0, 0, 9223372036854775807, 1), 1, 2)
    _19 = torch.select(torch.slice(boxes0, 0, 0, 9223372036854775807, 1), 1, 0)
    _20 = torch.sub(_18, _19)
    _21 = torch.select(torch.slice(boxes0, 0, 0, 9223372036854775807, 1), 1, 3)
    _22 = torch.select(torch.slice(boxes0, 0, 0, 9223372036854775807, 1), 1, 1)
    return torch.mul(_20, torch.sub(_21, _22))
def _upcast(t: Tensor) -> Tensor:
    if torch.is_floating_point(t):
      _23 = t
      if torch.__contains__([6, 7], ops.prim.dtype(t)):
        _24 = t
      else:
        _24 = torch.float(t)
      _25 = _24
    else:
      _26 = t
      if torch.__contains__([3, 4], ops.prim.dtype(t)):
        _27 = t
      else:
        _27 = torch.int(t)
      _25 = _27
    return _25
`;
    const model = lowerCode(code, [['boxes', 'float32', 2], ['scores', 'float32', 1], ['labels', 'int64', 1]], [['kept', 'float32', 2], ['iou', 'float32', 2]]);
    // An output named like an input the graph reads is refused clearly (it was a cycle error at run time).
    expect(() => lowerCode(code.replace('{"kept": _0', '{"boxes": _0'), [['boxes', 'float32', 2], ['scores', 'float32', 1], ['labels', 'int64', 1]], [['boxes', 'float32', 2], ['iou', 'float32', 2]]))
      .toThrow(/output 'boxes' has the name of an input the model reads/);
    // Box 0 (-5, 0)-(10, 10) clips to (0, 0)-(10, 10); box 1 is 0.5 wide and is removed; box 2 overlaps box 0
    // with IoU 81/119 but has another label, so it stays; box 3 overlaps box 0 (same label) and goes; box 4
    // (25, 15)-(40, 25) clips to (25, 15)-(30, 20). Kept in descending score order: 2 (.95), 0 (.9), 4 (.6).
    const boxes = f32([-5, 0, 10, 10, 3, 3, 3.5, 8, 1, 1, 11, 11, 0, 0, 9, 10, 25, 15, 40, 25], [5, 4]);
    const labels = new Tensor('int64', [5], BigInt64Array.of(1n, 1n, 2n, 1n, 1n));
    await expectOutputs(model, { boxes, scores: f32([0.9, 0.99, 0.95, 0.8, 0.6]), labels }, {
      kept: [1, 1, 11, 11, 0, 0, 10, 10, 25, 15, 30, 20],
      iou: [1, 81 / 119, 0, 81 / 119, 1, 0, 0, 0, 1],
    });
  });
});

/** torch's source index for linear interpolation (area_pixel_compute_source_index), the taps and weights. */
function linearTaps(dst: number, inSize: number, outSize: number, align: boolean): [number, number, number] {
  const src = align ? (outSize > 1 ? (dst * (inSize - 1)) / (outSize - 1) : 0) : Math.max(((dst + 0.5) * inSize) / outSize - 0.5, 0);
  const i0 = Math.min(Math.floor(src), inSize - 1);
  const i1 = Math.min(i0 + 1, inSize - 1);
  return [i0, i1, src - i0];
}

function bilinear(x: number[], h: number, w: number, oh: number, ow: number, align: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < oh; i++) {
    const [y0, y1, ly] = linearTaps(i, h, oh, align);
    for (let j = 0; j < ow; j++) {
      const [x0, x1, lx] = linearTaps(j, w, ow, align);
      const at = (y: number, xx: number) => x[y * w + xx]!;
      out.push((1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1)));
    }
  }
  return out;
}

describe('TorchScript interpolation, pixel shuffle, adaptive pooling, group and instance norm', () => {
  it('upsample_nearest2d by sizes and by scale factors (floor(dst · in / out)), and nearest-exact', async () => {
    const model = lowerForward([
      '_0 = torch.upsample_nearest2d(x, [3, 5], None)',
      '_1 = torch.upsample_nearest2d(x, None, [2., 2.])',
      '_2 = torch._upsample_nearest_exact2d(x, [3, 5], None)',
      'return {"s": _0, "f": _1, "e": _2}',
    ], image, [['s', 'float32', 4], ['f', 'float32', 4], ['e', 'float32', 4]]);
    const x = f32([1, 2, 3, 4], [1, 1, 2, 2]);
    // 2 -> 3 rows: floor(0, 2/3, 4/3) = 0, 0, 1; 2 -> 5 columns: floor(0, .4, .8, 1.2, 1.6) = 0, 0, 0, 1, 1.
    await expectOutputs(model, { x }, {
      s: [1, 1, 1, 2, 2, 1, 1, 1, 2, 2, 3, 3, 3, 4, 4],
      f: [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4],
      // nearest-exact: floor((dst + .5) · in / out): rows 0, 1, 1; columns 0, 0, 1, 1, 1.
      e: [1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 3, 3, 4, 4, 4],
    }, { s: [1, 1, 3, 5], f: [1, 1, 4, 4] });
  });

  it('upsample_bilinear2d with and without align_corners against ATen\'s source-index formula', async () => {
    const model = lowerForward([
      '_0 = torch.upsample_bilinear2d(x, [5, 4], False, None)',
      '_1 = torch.upsample_bilinear2d(x, [5, 4], True, None)',
      '_2 = torch.upsample_bilinear2d(x, None, False, [2., 2.])',
      'return {"hp": _0, "ac": _1, "sf": _2}',
    ], image, [['hp', 'float32', 4], ['ac', 'float32', 4], ['sf', 'float32', 4]]);
    const values = [0, 3, 1, 7, 2, 5];
    await expectOutputs(model, { x: f32(values, [1, 1, 2, 3]) }, {
      hp: bilinear(values, 2, 3, 5, 4, false), ac: bilinear(values, 2, 3, 5, 4, true), sf: bilinear(values, 2, 3, 4, 6, false),
    });
  });

  it('pixel_shuffle (CRD) and pixel_unshuffle', async () => {
    const model = lowerForward([
      'return {"up": torch.pixel_shuffle(x, 2), "down": torch.pixel_unshuffle(y, 2)}',
    ], [...image, ['y', 'float32', 4]], [['up', 'float32', 4], ['down', 'float32', 4]]);
    // shuffle: channel c·4 + i·2 + j goes to (2h + i, 2w + j) of channel c; unshuffle of 0..15 (4x4): channel
    // i·2 + j holds y[2h + i][2w + j].
    await expectOutputs(model, { x: f32(range(8), [1, 8, 1, 1]), y: plane }, {
      up: range(8), down: [0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15],
    }, { up: [1, 2, 2, 2], down: [1, 4, 2, 2] });
  });

  it('adaptive avg/max pooling to 2x2 of a 5x5 plane (overlapping bins), to [None, 1], and to 1x1', async () => {
    const model = lowerForward([
      '_0 = torch.adaptive_avg_pool2d(x, [2, 2])',
      '_1 = (torch.adaptive_max_pool2d(x, [2, 2]))[0]',
      '_2 = torch.adaptive_avg_pool2d(x, [None, 1])',
      '_3 = torch.adaptive_avg_pool2d(x, [1, 1])',
      'return {"avg": _0, "max": _1, "rows": _2, "all": _3}',
    ], image, [['avg', 'float32', 4], ['max', 'float32', 4], ['rows', 'float32', 4], ['all', 'float32', 4]]);
    // 5 -> 2 bins: [0, 3) and [2, 5). Values 5y + x: bin means 5·1 + 1, 5·1 + 3, 5·3 + 1, 5·3 + 3; maxes at
    // (2, 2), (2, 4), (4, 2), (4, 4). Row means 5y + 2.
    await expectOutputs(model, { x: f32(range(25), [1, 1, 5, 5]) }, {
      avg: [6, 8, 16, 18], max: [12, 14, 22, 24], rows: [2, 7, 12, 17, 22], all: [12],
    }, { rows: [1, 1, 5, 1] });
  });

  it('group_norm and instance_norm match a plain-loop reference', async () => {
    const model = lowerForward([
      '_0 = torch.group_norm(x, 2, w, b, 1.0000000000000001e-05, True)',
      '_1 = torch.instance_norm(x, w, b, None, None, True, 0.10000000000000001, 1.0000000000000001e-05, True)',
      'return {"g": _0, "i": _1}',
    ], [...image, ['w', 'float32', 1], ['b', 'float32', 1]], [['g', 'float32', 4], ['i', 'float32', 4]]);
    const values = [1, 2, 3, 5, 8, 13, -1, 0, 4, 4.5, 2, 7, 0.5, -3, 6, 1];
    const w = [1, 2, 0.5, -1], b = [0, 0.25, 1, -2];
    const normalize = (groupSize: number) => {
      const out: number[] = [];
      for (let start = 0; start < values.length; start += groupSize) {
        const part = values.slice(start, start + groupSize);
        const mean = part.reduce((s, v) => s + v, 0) / part.length;
        const variance = part.reduce((s, v) => s + (v - mean) ** 2, 0) / part.length;
        out.push(...part.map((v) => (v - mean) / Math.sqrt(variance + 1e-5)));
      }
      return out.map((v, k) => v * w[Math.floor(k / 4)]! + b[Math.floor(k / 4)]!);
    };
    // x [1, 4, 2, 2]: a group holds two channels (8 values), an instance one channel (4 values).
    await expectOutputs(model, { x: f32(values, [1, 4, 2, 2]), w: f32(w), b: f32(b) }, { g: normalize(8), i: normalize(4) }, undefined, 4);
  });
});
