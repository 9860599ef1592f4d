/**
 * WebGPU Resize (f32): every mode, coordinate transform, nearest_mode, cubic_coeff_a, exclude_outside,
 * antialias, keep_aspect_ratio_policy and tf_crop_and_resize the reference takes, because the per-axis tap
 * tables come from the reference's own planning (resize.ts `planAxes`, resize-weights.ts `axisWeights`) and
 * the shader only sums taps (shaders/resize/resize.wgsl). roi, scales and sizes are read on the host.
 */
import type { Value } from '../src/graph/value.js';
import { gpuInput, type GpuKernelDef } from '../src/backends/webgpu/gpu-kernel.js';
import { linearGroups, shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { Tensor } from '../src/tensor/tensor.js';
import { stridesOf } from './indexing.js';
import { planAxes, resizeRequest } from './resize.js';
import { axisWeights } from './resize-weights.js';

const SOURCE = () => shaderSource('resize/resize');

const resize: GpuKernelDef = {
  op: 'Resize',
  hostInputs: [1, 2, 3],
  accepts: (inputs) => inputs[0]?.dtype === 'float32' && inputs[0].shape.length >= 1 && inputs[0].shape.length <= 8,
  shaders: () => [SOURCE()],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'Resize');
    const { req, opts, policy } = resizeRequest(inputs as unknown as (Value | undefined)[], x.rank, ctx);
    const plans = planAxes(x, req, policy);
    const taps: number[] = [], offs: number[] = [];
    const index: number[] = [], weight: number[] = [];
    let combos = 1;
    for (const p of plans) {
      // Linear and cubic leave an axis at scale 1 as it is (the reference and onnxruntime do, roi or not).
      const untouched = opts.mode !== 'nearest' && p.scale === 1 && p.inSize === p.outSize;
      const w = untouched ? undefined : axisWeights(p, opts);
      const identity = !w || (p.inSize === p.outSize && Array.from({ length: p.outSize }, (_, o) => o).every((o) => {
        if (w.outside[o]) return false;
        const row = Array.from({ length: w.taps }, (_, t) => t).filter((t) => w.weight[o * w.taps + t] !== 0);
        return row.length === 1 && w.weight[o * w.taps + row[0]!] === 1 && w.index[o * w.taps + row[0]!] === o;
      }));
      offs.push(index.length);
      if (identity) {
        taps.push(0);
        continue;
      }
      taps.push(w.taps);
      combos *= w.taps;
      for (let o = 0; o < p.outSize; o++) {
        for (let t = 0; t < w.taps; t++) {
          index.push(w.outside[o] && t === 0 ? -1 : w.index[o * w.taps + t]!);
          weight.push(w.weight[o * w.taps + t]!);
        }
      }
    }
    const outShape = plans.map((p) => p.outSize);
    const y = ctx.run.output('float32', outShape);
    const n = outShape.reduce((a, d) => a * d, 1);
    const idx = ctx.run.upload(new Tensor('int32', [Math.max(1, index.length)], Int32Array.from(index.length ? index : [0])));
    const wts = ctx.run.upload(new Tensor('float32', [Math.max(1, weight.length)], Float32Array.from(weight.length ? weight : [0])));
    const u = new UniformWriter()
      .u32(n, x.rank, combos)
      .dims8(outShape)
      .dims8(stridesOf(x.shape))
      .dims8(taps)
      .dims8(offs)
      .f32(opts.extrapolationValue);
    ctx.run.dispatch({ shader: SOURCE(), uniforms: u.bytes(), buffers: [x, idx, wts, y], workgroups: linearGroups(n) });
    idx.storage.release();
    wts.storage.release();
    return [y];
  },
};

export const resizeWebGpuKernels: GpuKernelDef[] = [resize];
