/** WebGPU Reduce* (f32), one output a thread (shaders/reduce/reduce.wgsl). */
import { allFloat32, gpuInput, hostInput, type GpuKernelDef } from '../src/backends/webgpu/gpu-kernel.js';
import { linearGroups, shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { toIndices } from './elements.js';
import { normalizeAxis, stridesOf } from './indexing.js';

/** Mode numbers of reduce.wgsl, and the opset from which axes come as input 1 (ReduceSum moved first, at 13). */
const REDUCTIONS: { op: string; mode: number; axesInputSince: number }[] = [
  { op: 'ReduceSum', mode: 0, axesInputSince: 13 },
  { op: 'ReduceMean', mode: 1, axesInputSince: 18 },
  { op: 'ReduceMax', mode: 2, axesInputSince: 18 },
  { op: 'ReduceMin', mode: 3, axesInputSince: 18 },
  { op: 'ReduceProd', mode: 4, axesInputSince: 18 },
  { op: 'ReduceSumSquare', mode: 5, axesInputSince: 18 },
  { op: 'ReduceL1', mode: 6, axesInputSince: 18 },
  { op: 'ReduceL2', mode: 7, axesInputSince: 18 },
  { op: 'ReduceLogSum', mode: 8, axesInputSince: 18 },
  { op: 'ReduceLogSumExp', mode: 9, axesInputSince: 18 },
];

function reduceKernel(row: (typeof REDUCTIONS)[number]): GpuKernelDef {
  return {
    op: row.op,
    hostInputs: [1],
    accepts: (inputs) => allFloat32(inputs, [0]) && (inputs[0]?.shape.length ?? 9) <= 8,
    shaders: () => [shaderSource('reduce/reduce')],
    encode(inputs, ctx) {
      const x = gpuInput(inputs, 0, row.op);
      const given = ctx.opset >= row.axesInputSince ? (hostInput(inputs, 1) ? toIndices(hostInput(inputs, 1)!) : undefined) : ctx.attrs.ints('axes');
      const keep = ctx.attrs.int('keepdims', 1) === 1;
      if ((!given || given.length === 0) && ctx.attrs.int('noop_with_empty_axes', 0) === 1) return [x.view(x.shape)];
      const axes = new Set((given && given.length ? given : x.shape.map((_, i) => i)).map((a) => normalizeAxis(a, x.rank)));
      const strides = stridesOf(x.shape);
      const kept = x.shape.map((_, i) => i).filter((i) => !axes.has(i)), reduced = [...axes].sort((a, b) => a - b);
      const outShape = keep ? x.shape.map((d, i) => (axes.has(i) ? 1 : d)) : kept.map((i) => x.shape[i]!);
      const y = ctx.run.output('float32', outShape);
      const count = reduced.reduce((n, i) => n * x.shape[i]!, 1);
      const u = new UniformWriter().u32(y.size, kept.length, reduced.length, count).u32(row.mode, 0xff800000, 0x7f800000)
        .dims8(kept.map((i) => x.shape[i]!)).dims8(kept.map((i) => strides[i]!))
        .dims8(reduced.map((i) => x.shape[i]!)).dims8(reduced.map((i) => strides[i]!));
      ctx.run.dispatch({ shader: shaderSource('reduce/reduce'), uniforms: u.bytes(), buffers: [x, y], workgroups: linearGroups(y.size) });
      return [y];
    },
  };
}

export const reduceWebGpuKernels: GpuKernelDef[] = REDUCTIONS.map(reduceKernel);
