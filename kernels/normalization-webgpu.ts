/** WebGPU Softmax / LogSoftmax and LayerNormalization (f32), one workgroup a row; inference BatchNormalization. */
import { allFloat32, gpuInput, hostInput, type GpuKernelDef } from '../src/backends/webgpu/gpu-kernel.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { linearGroups, shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { normalizeAxis } from './indexing.js';

const product = (dims: readonly number[]) => dims.reduce((n, d) => n * d, 1);

/** Softmax-13 works along one axis; before 13 the input is read as 2-D [outer, rest] split at `axis` (default 1). */
function softmaxKernel(op: 'Softmax' | 'LogSoftmax', since: number): GpuKernelDef {
  return {
    op,
    since,
    accepts: (inputs) => allFloat32(inputs, [0]) && (inputs[0]?.shape.length ?? 0) >= 1,
    shaders: () => [shaderSource('normalization/softmax')],
    encode(inputs, ctx) {
      const x = gpuInput(inputs, 0, op);
      const axis = normalizeAxis(ctx.attrs.int('axis', since >= 13 ? -1 : 1), x.rank);
      const [len, inner] = since >= 13 ? [x.shape[axis]!, product(x.shape.slice(axis + 1))] : [product(x.shape.slice(axis)), 1];
      const rows = len === 0 ? 0 : x.size / len;
      const y = ctx.run.output('float32', x.shape);
      const u = new UniformWriter().u32(rows, len, inner, op === 'LogSoftmax' ? 1 : 0);
      ctx.run.dispatch({ shader: shaderSource('normalization/softmax'), uniforms: u.bytes(), buffers: [x, y], workgroups: linearGroups(rows, 1) });
      return [y];
    },
  };
}

/**
 * LayerNormalization-17 with scale (and bias) holding the normalized dims' values, and its Mean / InvStdDev
 * outputs (f32 stash); other broadcasts stay on the reference.
 */
const layerNorm: GpuKernelDef = {
  op: 'LayerNormalization',
  since: 17,
  accepts(inputs, ctx) {
    const [x, scale, bias] = inputs;
    if (!x || !scale || !allFloat32(inputs, [0, 1, 2]) || ctx.attrs.int('stash_type', 1) !== 1) return false;
    const len = product(x.shape.slice(normalizeAxis(ctx.attrs.int('axis', -1), x.shape.length)));
    return product(scale.shape) === len && (!bias || product(bias.shape) === len);
  },
  shaders: () => [shaderSource('normalization/layernorm')],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'LayerNormalization'), scale = gpuInput(inputs, 1, 'LayerNormalization');
    const bias = inputs[2] as GpuTensor | undefined;
    const axis = normalizeAxis(ctx.attrs.int('axis', -1), x.rank);
    const len = product(x.shape.slice(axis));
    const rows = len === 0 ? 0 : x.size / len;
    const y = ctx.run.output('float32', x.shape);
    const statsShape = x.shape.map((d, i) => (i < axis ? d : 1));
    const mean = ctx.run.output('float32', statsShape), invStd = ctx.run.output('float32', statsShape);
    const u = new UniformWriter().u32(rows, len, bias ? 1 : 0).f32(ctx.attrs.float('epsilon', 1e-5));
    ctx.run.dispatch({ shader: shaderSource('normalization/layernorm'), uniforms: u.bytes(), buffers: [x, scale, bias ?? scale, y, mean, invStd], workgroups: linearGroups(rows, 1) });
    return [y, mean, invStd];
  },
};


/** Inference BatchNormalization (spatial), folded into a per-channel scale and shift; fuses an activation. */
const batchNorm: GpuKernelDef = {
  op: 'BatchNormalization',
  hostInputs: [1, 2, 3, 4],
  fusesEpilogue: true,
  accepts(inputs, ctx) {
    const x = inputs[0];
    if (!x || x.shape.length < 2 || !allFloat32(inputs, [0, 1, 2, 3, 4]) || ctx.attrs.int('training_mode', 0) !== 0 || ctx.attrs.int('spatial', 1) !== 1) return false;
    return [1, 2, 3, 4].every((i) => inputs[i] && product(inputs[i]!.shape) === x.shape[1]) && ctx.node.outputs.slice(1).every((o) => o === '');
  },
  shaders: (ctx) => [shaderSource('normalization/channel-affine', { EPILOGUE: ctx.epilogue.wgsl })],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'BatchNormalization');
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => hostInput(inputs, i)!.numeric as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const eps = ctx.attrs.float('epsilon', 1e-5), channels = x.shape[1]!;
    const ab = new Float32Array(2 * channels);
    for (let c = 0; c < channels; c++) {
      const a = scale[c]! / Math.sqrt(variance[c]! + eps);
      ab[2 * c] = a;
      ab[2 * c + 1] = bias[c]! - mean[c]! * a;
    }
    const folded = ctx.run.upload(new Tensor('float32', [2 * channels], ab));
    const y = ctx.run.output('float32', x.shape);
    const u = new UniformWriter().f32(...ctx.epilogue.params).u32(x.size, channels, product(x.shape.slice(2)));
    ctx.run.dispatch({ shader: shaderSource('normalization/channel-affine', { EPILOGUE: ctx.epilogue.wgsl }), uniforms: u.bytes(), buffers: [x, folded, y], workgroups: linearGroups(x.size) });
    folded.storage.release();
    return [y];
  },
};

export const normalizationWebGpuKernels: GpuKernelDef[] = [softmaxKernel('Softmax', 1), softmaxKernel('Softmax', 13), softmaxKernel('LogSoftmax', 1), softmaxKernel('LogSoftmax', 13), layerNorm, batchNorm];
