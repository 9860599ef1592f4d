import { describe, expect, it } from 'vitest';
import type { Model } from '../../graph/ir.js';
import { Tensor, tensor } from '../../tensor/tensor.js';
import { lowerCode, lowerForward, runOnBoth, type Attribute, type SubModule } from '../../testing/torchscript-archive.js';

// Scripted (not traced) model families, as torch.jit.script + save prints them: module classes whose forward
// calls submodules and module-level functions, parameters in data.pkl. No torch on the build machine, so the
// code is written in the printer's forms (scripted Conv2d's _conv_forward, _BatchNorm.forward's load-time
// branches on training / momentum / track_running_stats, F.relu's inplace branch, torch.gru with
// _flat_weights) and checked against plain-loop float64 references written here from the PyTorch docs'
// formulas, on the reference kernels, the planned graph and onnxruntime-node (|error| < 1e-4).

const f32 = (v: number[], shape: number[]) => tensor(new Float32Array(v), shape);
const values = (n: number, seed: number, scale = 0.5) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + seed) * scale);

async function expectClose(model: Model, feeds: Record<string, Tensor>, expected: Record<string, number[]>): Promise<void> {
  const got = await runOnBoth(model, feeds);
  for (const run of [got.reference, got.planned, got.ort]) {
    for (const [name, want] of Object.entries(expected)) {
      expect(run[name]!.length, name).toBe(want.length);
      const worst = Math.max(...run[name]!.map((v, i) => Math.abs(v - want[i]!)));
      expect(worst, name).toBeLessThan(1e-4);
    }
  }
}

// --- plain-loop references (NCHW, batch 1) ---
function conv2d(x: number[], c: number, h: number, w: number, weight: number[], o: number, stride: number): [number[], number, number] {
  const oh = Math.floor((h + 2 - 3) / stride) + 1, ow = Math.floor((w + 2 - 3) / stride) + 1;
  const out = new Array<number>(o * oh * ow).fill(0);
  for (let k = 0; k < o; k++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let s = 0;
    for (let ci = 0; ci < c; ci++) for (let di = 0; di < 3; di++) for (let dj = 0; dj < 3; dj++) {
      const y = i * stride + di - 1, xx = j * stride + dj - 1;
      if (y >= 0 && y < h && xx >= 0 && xx < w) s += x[(ci * h + y) * w + xx]! * weight[((k * c + ci) * 3 + di) * 3 + dj]!;
    }
    out[(k * oh + i) * ow + j] = s;
  }
  return [out, oh, ow];
}

const batchNorm = (x: number[], c: number, bn: BnParams) => x.map((v, i) => {
  const k = Math.floor(i / (x.length / c));
  return ((v - bn.mean[k]!) / Math.sqrt(bn.variance[k]! + 1e-5)) * bn.gamma[k]! + bn.beta[k]!;
});
const relu = (x: number[]) => x.map((v) => Math.max(v, 0));

function maxPool(x: number[], c: number, h: number, w: number): [number[], number, number] {
  const oh = Math.floor((h + 2 - 3) / 2) + 1, ow = Math.floor((w + 2 - 3) / 2) + 1;
  const out: number[] = [];
  for (let k = 0; k < c; k++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let m = -Infinity;
    for (let di = 0; di < 3; di++) for (let dj = 0; dj < 3; dj++) {
      const y = i * 2 + di - 1, xx = j * 2 + dj - 1;
      if (y >= 0 && y < h && xx >= 0 && xx < w) m = Math.max(m, x[(k * h + y) * w + xx]!);
    }
    out.push(m);
  }
  return [out, oh, ow];
}

interface BnParams { gamma: number[]; beta: number[]; mean: number[]; variance: number[] }

const C = 2;
const bnParams = (seed: number): BnParams => ({
  gamma: values(C, seed, 0.3).map((v) => 1 + v), beta: values(C, seed + 1, 0.2), mean: values(C, seed + 2, 0.1), variance: values(C, seed + 3, 0.2).map((v) => 1 + v),
});

const bnModule = (p: BnParams): SubModule => ({
  className: 'BatchNorm2d',
  attributes: {
    training: false, weight: f32(p.gamma, [C]), bias: f32(p.beta, [C]), running_mean: f32(p.mean, [C]), running_var: f32(p.variance, [C]),
    num_batches_tracked: new Tensor('int64', [], BigInt64Array.of(0n)), momentum: 0.1, eps: 1e-5, track_running_stats: true,
  },
});
const conv = (className: string, weight: number[]): SubModule => ({ className, attributes: { training: false, weight: f32(weight, [C, C, 3, 3]), bias: null } });

const RESNET_CODE = `class M(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  conv1 : __torch__.Conv2dS2
  bn1 : __torch__.BatchNorm2d
  relu : __torch__.ReLU
  layer1 : __torch__.BasicBlock
  fc : __torch__.Linear
  def forward(self: __torch__.M,
    x: Tensor) -> Dict[str, Tensor]:
    x0 = (self.conv1).forward(x, )
    x1 = (self.bn1).forward(x0, )
    x2 = (self.relu).forward(x1, )
    x3 = torch.max_pool2d(x2, [3, 3], [2, 2], [1, 1], [1, 1], False)
    x4 = (self.layer1).forward(x3, )
    x5 = torch.adaptive_avg_pool2d(x4, [1, 1])
    x6 = torch.flatten(x5, 1)
    return {"logits": (self.fc).forward(x6, )}
class BasicBlock(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  conv1 : __torch__.Conv2d
  bn1 : __torch__.BatchNorm2d
  relu : __torch__.ReLU
  conv2 : __torch__.Conv2d
  bn2 : __torch__.BatchNorm2d
  downsample : NoneType
  def forward(self: __torch__.BasicBlock,
    x: Tensor) -> Tensor:
    conv1 = self.conv1
    out = (conv1).forward(x, )
    bn1 = self.bn1
    out0 = (bn1).forward(out, )
    relu = self.relu
    out1 = (relu).forward(out0, )
    conv2 = self.conv2
    out2 = (conv2).forward(out1, )
    bn2 = self.bn2
    out3 = (bn2).forward(out2, )
    out4 = torch.add_(out3, x)
    relu0 = self.relu
    return (relu0).forward(out4, )
class Conv2dS2(Module):
  __parameters__ = ["weight", ]
  __buffers__ = []
  weight : Tensor
  bias : NoneType
  training : bool
  def forward(self: __torch__.Conv2dS2,
    input: Tensor) -> Tensor:
    weight = self.weight
    bias = self.bias
    return (self)._conv_forward(input, weight, bias, )
  def _conv_forward(self: __torch__.Conv2dS2,
    input: Tensor,
    weight: Tensor,
    bias: Optional[Tensor]) -> Tensor:
    _0 = torch.conv2d(input, weight, bias, [2, 2], [1, 1], [1, 1], 1)
    return _0
class Conv2d(Module):
  __parameters__ = ["weight", ]
  __buffers__ = []
  weight : Tensor
  bias : NoneType
  training : bool
  def forward(self: __torch__.Conv2d,
    input: Tensor) -> Tensor:
    weight = self.weight
    bias = self.bias
    return (self)._conv_forward(input, weight, bias, )
  def _conv_forward(self: __torch__.Conv2d,
    input: Tensor,
    weight: Tensor,
    bias: Optional[Tensor]) -> Tensor:
    _1 = torch.conv2d(input, weight, bias, [1, 1], [1, 1], [1, 1], 1)
    return _1
class BatchNorm2d(Module):
  __parameters__ = ["weight", "bias", ]
  __buffers__ = ["running_mean", "running_var", "num_batches_tracked", ]
  weight : Tensor
  bias : Tensor
  running_mean : Tensor
  running_var : Tensor
  num_batches_tracked : Tensor
  training : bool
  momentum : float
  eps : Final[float] = 1.0000000000000001e-05
  track_running_stats : Final[bool] = True
  def forward(self: __torch__.BatchNorm2d,
    input: Tensor) -> Tensor:
    _2 = (self)._check_input_dim(input, )
    _3 = self.momentum
    if torch.__is__(_3, None):
      exponential_average_factor = 0.
    else:
      exponential_average_factor = unchecked_cast(float, self.momentum)
    if self.training:
      _4 = True
    else:
      _4 = False
    if _4:
      num_batches_tracked = self.num_batches_tracked
      _5 = torch.add_(num_batches_tracked, 1)
    else:
      pass
    if self.training:
      bn_training = True
    else:
      bn_training = False
    running_mean = self.running_mean
    running_var = self.running_var
    weight = self.weight
    bias = self.bias
    _6 = __torch__.batch_norm(input, running_mean, running_var, weight, bias, bn_training, exponential_average_factor, 1.0000000000000001e-05, )
    return _6
  def _check_input_dim(self: __torch__.BatchNorm2d,
    input: Tensor) -> NoneType:
    if torch.ne(torch.dim(input), 4):
      ops.prim.RaiseException("ValueError: expected 4D input (got {}D input)")
    else:
      pass
    return None
class ReLU(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  inplace : Final[bool] = True
  def forward(self: __torch__.ReLU,
    input: Tensor) -> Tensor:
    return __torch__.relu(input, True, )
class Linear(Module):
  __parameters__ = ["weight", "bias", ]
  __buffers__ = []
  weight : Tensor
  bias : Tensor
  training : bool
  def forward(self: __torch__.Linear,
    input: Tensor) -> Tensor:
    weight = self.weight
    bias = self.bias
    return torch.linear(input, weight, bias)
def batch_norm(input: Tensor,
    running_mean: Optional[Tensor],
    running_var: Optional[Tensor],
    weight: Optional[Tensor]=None,
    bias: Optional[Tensor]=None,
    training: bool=False,
    momentum: float=0.10000000000000001,
    eps: float=1.0000000000000001e-05) -> Tensor:
    if training:
      ops.prim.RaiseException("not in eval mode")
    else:
      pass
    _7 = torch.batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, True)
    return _7
def relu(input: Tensor,
    inplace: bool=False) -> Tensor:
    if inplace:
      result = torch.relu_(input)
    else:
      result = torch.relu(input)
    return result
`;

describe('scripted model families', () => {
  it('a scripted ResNet (stride-2 stem, BN, in-place ReLU, max pool, a BasicBlock with its residual add_, avg pool, fc)', async () => {
    const [w1, w2, w3] = [values(36, 1), values(36, 2), values(36, 3)];
    const [bn0, bn1, bn2] = [bnParams(4), bnParams(8), bnParams(12)];
    const fcW = values(6, 5), fcB = values(3, 6, 0.1);
    const reluModule: SubModule = { className: 'ReLU', attributes: { training: false, inplace: true } };
    const attributes: Record<string, Attribute> = {
      training: false,
      conv1: conv('Conv2dS2', w1), bn1: bnModule(bn0), relu: reluModule,
      layer1: { className: 'BasicBlock', attributes: { training: false, conv1: conv('Conv2d', w2), bn1: bnModule(bn1), relu: reluModule, conv2: conv('Conv2d', w3), bn2: bnModule(bn2), downsample: null } },
      fc: { className: 'Linear', attributes: { training: false, weight: f32(fcW, [3, C]), bias: f32(fcB, [3]) } },
    };
    const model = lowerCode(RESNET_CODE, [['x', 'float32', 4]], [['logits', 'float32', 2]], attributes);
    const x = values(C * 36, 7, 1);
    // The reference: the same network in plain loops.
    let [h, oh, ow] = conv2d(x, C, 6, 6, w1, C, 2);
    h = relu(batchNorm(h, C, bn0));
    [h, oh, ow] = maxPool(h, C, oh, ow);
    const identity = h;
    let [b] = conv2d(h, C, oh, ow, w2, C, 1);
    b = relu(batchNorm(b, C, bn1));
    [b] = conv2d(b, C, oh, ow, w3, C, 1);
    b = relu(batchNorm(b, C, bn2).map((v, i) => v + identity[i]!));
    const pooled = [0, 1].map((k) => b.slice(k * oh * ow, (k + 1) * oh * ow).reduce((s, v) => s + v, 0) / (oh * ow));
    const logits = [0, 1, 2].map((o) => fcB[o]! + pooled[0]! * fcW[o * 2]! + pooled[1]! * fcW[o * 2 + 1]!);
    await expectClose(model, { x: f32(x, [1, C, 6, 6]) }, { logits });
  });

  it('a scripted GRU (torch.gru over _flat_weights, batch_first, zero initial state from torch.zeros)', async () => {
    const [I, H, B, T] = [2, 3, 2, 3];
    const wih = values(3 * H * I, 1), whh = values(3 * H * H, 2), bih = values(3 * H, 3, 0.2), bhh = values(3 * H, 4, 0.2);
    const code = `class M(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _flat_weights : List[Tensor]
  def forward(self: __torch__.M,
    x: Tensor) -> Dict[str, Tensor]:
    max_batch_size = torch.size(x, 0)
    hx = torch.zeros([1, max_batch_size, 3], dtype=6, layout=None, device=torch.device("cpu"), pin_memory=None)
    _flat_weights = self._flat_weights
    _0 = torch.gru(x, hx, _flat_weights, True, 1, 0., False, False, True)
    output, hidden, = _0
    return {"seq": output, "h": hidden}
`;
    const model = lowerCode(code, [['x', 'float32', 3]], [['seq', 'float32', 3], ['h', 'float32', 3]], {
      training: false, _flat_weights: [f32(wih, [3 * H, I]), f32(whh, [3 * H, H]), f32(bih, [3 * H]), f32(bhh, [3 * H])],
    });
    const x = values(B * T * I, 9, 1);
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const seq: number[] = new Array(B * T * H).fill(0);
    const last: number[] = [];
    for (let bi = 0; bi < B; bi++) {
      let hs = new Array<number>(H).fill(0);
      for (let t = 0; t < T; t++) {
        const xt = x.slice((bi * T + t) * I, (bi * T + t + 1) * I);
        // Gate rows in torch's order r, z, n: W_i* x + b_i* and W_h* h + b_h*.
        const gi = Array.from({ length: 3 * H }, (_, r) => bih[r]! + xt.reduce((s, v, k) => s + v * wih[r * I + k]!, 0));
        const gh = Array.from({ length: 3 * H }, (_, r) => bhh[r]! + hs.reduce((s, v, k) => s + v * whh[r * H + k]!, 0));
        hs = hs.map((hp, j) => {
          const r = sigmoid(gi[j]! + gh[j]!), z = sigmoid(gi[H + j]! + gh[H + j]!);
          const n = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
          return (1 - z) * n + z * hp;
        });
        hs.forEach((v, j) => (seq[(bi * T + t) * H + j] = v));
      }
      last.push(...hs);
    }
    await expectClose(model, { x: f32(x, [B, T, I]) }, { seq, h: last });
  });

  it('an operator without a lowering still fails at load, naming the op and the line', () => {
    expect(() => lowerForward(['_0 = torch.relu(x)', '_1 = torch.polygamma(1, _0)', 'return {"out": _1}'], [['x', 'float32', 1]], [['out', 'float32', 1]]))
      .toThrow(expect.objectContaining({ code: 'OP_UNSUPPORTED', message: 'operator aten::polygamma has no lowering to ONNX (TorchScript __torch__.M.forward:5)' }));
  });
});
