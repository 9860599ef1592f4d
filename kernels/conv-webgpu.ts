/**
 * WebGPU Conv, f32, 1 to 3 spatial dims: an implicit GEMM (shaders/conv/conv.wgsl) when a group has enough
 * input channels to fill its K tiles, one output a thread (shaders/conv/direct.wgsl) for depthwise and other thin
 * groups, the plain tiled MatMul for 1x1 convs. Bias and a fused activation are applied as the output is written.
 */
import { NeuropodError } from '../src/api/errors.js';
import { allFloat32, gpuInput, type GpuKernelDef, type GpuNodeContext } from '../src/backends/webgpu/gpu-kernel.js';
import type { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { linearGroups, shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { dispatchGemm, matmulSource } from './matmul-webgpu.js';
import { readWindowAttrs, slideWindow, window3, type Window3 } from './window.js';

/** Below this many (channel, tap) terms a group's GEMM would be mostly padding (a 16-deep K step): direct wins. */
const DIRECT_BELOW_K = 16;

const gemmSource = (ctx: GpuNodeContext) => shaderSource('conv/conv', { EPILOGUE: ctx.epilogue.wgsl });
const directSource = (ctx: GpuNodeContext) => shaderSource('conv/direct', { EPILOGUE: ctx.epilogue.wgsl });

interface ConvGeometry {
  g: Window3;
  batch: number;
  channels: number;
  outChannels: number;
  group: number;
  outShape: number[];
}

function geometry(x: GpuTensor, w: GpuTensor, ctx: GpuNodeContext): ConvGeometry {
  const [batch, channels] = x.shape as [number, number];
  const outChannels = w.shape[0]!, group = ctx.attrs.int('group', 1);
  if (w.shape[1]! * group !== channels || outChannels % group !== 0) {
    throw new NeuropodError('INFERENCE_FAILED', `Conv: weights [${w.shape}] do not fit ${channels} input channels in ${group} groups`);
  }
  const attrs = readWindowAttrs(ctx.attrs, x.rank - 2, w.shape.slice(2));
  const image = x.shape.slice(2), { grid, padsBegin, padsEnd } = slideWindow(image, attrs);
  return { g: window3(image, grid, attrs, padsBegin, padsEnd), batch, channels, outChannels, group, outShape: [batch, outChannels, ...grid] };
}

function isPointwise(c: ConvGeometry): boolean {
  const { g } = c;
  const ones = (v: readonly number[]) => v.every((d) => d === 1);
  return c.group === 1 && ones(g.kernel) && ones(g.strides) && g.padsBegin.every((p) => p === 0) && g.padsEnd.every((p) => p === 0) && c.batch <= 65535;
}

function uniforms(c: ConvGeometry, ctx: GpuNodeContext, hasBias: boolean): Uint8Array {
  const { g } = c, taps = g.kernel[0] * g.kernel[1] * g.kernel[2];
  const icg = c.channels / c.group, positions = g.grid[0] * g.grid[1] * g.grid[2];
  return new UniformWriter()
    .f32(...ctx.epilogue.params)
    .u32(c.outChannels / c.group, positions, icg * taps, hasBias ? 1 : 0)
    .u32(...g.image, c.channels)
    .u32(...g.grid, c.group)
    .u32(...g.kernel, icg)
    .u32(...g.strides, c.outChannels)
    .u32(...g.dilations, taps)
    .i32(...g.padsBegin, c.batch)
    .bytes();
}

const conv: GpuKernelDef = {
  op: 'Conv',
  fusesEpilogue: true,
  accepts: (inputs) => allFloat32(inputs, [0, 1, 2]) && (inputs[0]?.shape.length ?? 0) >= 3 && (inputs[0]?.shape.length ?? 0) <= 5 && inputs[1]?.shape.length === inputs[0]?.shape.length,
  shaders: (ctx) => [gemmSource(ctx), directSource(ctx), matmulSource(ctx), matmulSource(ctx, true)],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'Conv'), w = gpuInput(inputs, 1, 'Conv');
    const bias = inputs[2] as GpuTensor | undefined;
    const c = geometry(x, w, ctx);
    const y = ctx.run.output('float32', c.outShape);
    const K = (c.channels / c.group) * c.g.kernel[0] * c.g.kernel[1] * c.g.kernel[2];
    const P = c.g.grid[0] * c.g.grid[1] * c.g.grid[2], M = c.outChannels / c.group;
    if (isPointwise(c)) {
      // 1x1, stride 1, no padding, one group: Y[n] = W [M, C] x X[n] [C, positions], the plain tiled GEMM.
      const batch = { shape: [c.batch], a: [0], b: [c.channels * P] };
      dispatchGemm({ a: w, b: x, bias, M, N: P, K, aStrides: [K, 1], bStrides: [P, 1], biasStrides: [1, 0], batch }, y, ctx);
      return [y];
    }
    const buffers = [x, w, bias ?? x, y];
    const u = uniforms(c, ctx, bias !== undefined);
    if (K < DIRECT_BELOW_K) ctx.run.dispatch({ shader: directSource(ctx), uniforms: u, buffers, workgroups: linearGroups(y.size) });
    else ctx.run.dispatch({ shader: gemmSource(ctx), uniforms: u, buffers, workgroups: [Math.ceil(P / 64), Math.ceil(M / 64), c.batch * c.group] });
    return [y];
  },
};

export const convWebGpuKernels: GpuKernelDef[] = [conv];
