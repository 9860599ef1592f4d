/**
 * WebGPU ConvTranspose (f32), 1-3 spatial dims: groups, strides, dilations, pads, auto_pad, output_padding and
 * output_shape, with the output geometry from the reference's own `transposeGeometry` (conv.ts). One gather
 * dispatch (shaders/conv/transpose.wgsl); fuses an activation.
 */
import { NeuropodError } from '../src/api/errors.js';
import { allFloat32, gpuInput, type GpuKernelDef, type GpuNodeContext } from '../src/backends/webgpu/gpu-kernel.js';
import type { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { linearGroups, shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { transposeGeometry } from './conv.js';

const source = (ctx: GpuNodeContext) => shaderSource('conv/transpose', { EPILOGUE: ctx.epilogue.wgsl });

/** Spatial values padded to three with `fill` (1-D and 2-D run as 3-D with size-1 dims). */
const three = (v: readonly number[], fill: number) => [...v, ...new Array<number>(3 - v.length).fill(fill)];

const convTranspose: GpuKernelDef = {
  op: 'ConvTranspose',
  fusesEpilogue: true,
  accepts: (inputs) => {
    const [x, w, b] = inputs;
    return !!x && !!w && allFloat32(inputs, [0, 1, 2]) && x.shape.length >= 3 && x.shape.length <= 5 && w.shape.length === x.shape.length && (!b || b.shape.length === 1);
  },
  shaders: (ctx) => [source(ctx)],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'ConvTranspose'), w = gpuInput(inputs, 1, 'ConvTranspose');
    const bias = inputs[2] as GpuTensor | undefined;
    const [n, c] = x.shape as [number, number], [wc, mg] = w.shape as [number, number];
    const group = ctx.attrs.int('group', 1), cg = c / group, m = mg * group;
    if (wc !== c || !Number.isInteger(cg)) throw new NeuropodError('INFERENCE_FAILED', `ConvTranspose: weights [${w.shape}] do not fit ${c} input channels in ${group} groups`);
    if (bias && bias.size !== m) throw new NeuropodError('INFERENCE_FAILED', `ConvTranspose: bias [${bias.shape}] is not one value for each of ${m} output channels`);
    const input = x.shape.slice(2);
    const { image, padsBegin } = transposeGeometry(input, ctx, w.shape.slice(2));
    const { kernel, strides, dilations } = transposeGeometry(input, ctx, w.shape.slice(2)).w;
    const y = ctx.run.output('float32', [n, m, ...image]);
    const count = y.size;
    const u = new UniformWriter()
      .f32(...ctx.epilogue.params)
      .u32(n, c, m, group)
      .u32(count, mg, cg, bias ? 1 : 0)
      .u32(...three(input, 1))
      .u32(...three(image, 1))
      .u32(...three(kernel, 1))
      .u32(...three(strides, 1))
      .u32(...three(dilations, 1))
      .u32(...three(padsBegin, 0));
    ctx.run.dispatch({ shader: source(ctx), uniforms: u.bytes(), buffers: [x, w, bias ?? w, y], workgroups: linearGroups(count) });
    return [y];
  },
};

export const convTransposeWebGpuKernels: GpuKernelDef[] = [convTranspose];
