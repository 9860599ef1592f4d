/** WebGPU Softmax / LogSoftmax and LayerNormalization (f32), one workgroup a row. */
import { allFloat32, gpuInput, type GpuKernelDef } from '../src/backends/webgpu/gpu-kernel.js';
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

export const normalizationWebGpuKernels: GpuKernelDef[] = [softmaxKernel('Softmax', 1), softmaxKernel('Softmax', 13), softmaxKernel('LogSoftmax', 1), softmaxKernel('LogSoftmax', 13), layerNorm];
