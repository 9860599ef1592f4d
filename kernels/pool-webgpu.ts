/** WebGPU pooling, f32: MaxPool / AveragePool over 1 to 3 spatial dims (ceil_mode, dilations, pads), global pools. */
import { allFloat32, gpuInput, type GpuKernelDef, type GpuNodeContext, type InputInfo } from '../src/backends/webgpu/gpu-kernel.js';
import { linearGroups, shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { readWindowAttrs, slideWindow, window3 } from './window.js';

const spatial = (inputs: readonly (InputInfo | undefined)[]) => (inputs[0]?.shape.length ?? 0) >= 3 && (inputs[0]?.shape.length ?? 0) <= 5;

function windowPool(op: 'MaxPool' | 'AveragePool'): GpuKernelDef {
  return {
    op,
    // MaxPool's Indices output stays on the reference.
    accepts: (inputs, ctx: GpuNodeContext) => allFloat32(inputs, [0]) && spatial(inputs) && (ctx.node.outputs[1] ?? '') === '',
    shaders: () => [shaderSource('pool/pool')],
    encode(inputs, ctx) {
      const x = gpuInput(inputs, 0, op);
      const attrs = readWindowAttrs(ctx.attrs, x.rank - 2);
      const image = x.shape.slice(2), { grid, padsBegin, padsEnd } = slideWindow(image, attrs);
      const g = window3(image, grid, attrs, padsBegin, padsEnd);
      const y = ctx.run.output('float32', [x.shape[0]!, x.shape[1]!, ...grid]);
      const mode = op === 'MaxPool' ? 0 : ctx.attrs.int('count_include_pad', 0) === 1 ? 2 : 1;
      const u = new UniformWriter().u32(y.size).u32(...g.image).u32(...g.grid).u32(...g.kernel).u32(...g.strides).u32(...g.dilations).i32(...g.padsBegin).i32(...g.padsEnd, mode);
      ctx.run.dispatch({ shader: shaderSource('pool/pool'), uniforms: u.bytes(), buffers: [x, y], workgroups: linearGroups(y.size) });
      return [y];
    },
  };
}

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool'): GpuKernelDef {
  return {
    op,
    accepts: (inputs) => allFloat32(inputs, [0]) && spatial(inputs),
    shaders: () => [shaderSource('pool/global')],
    encode(inputs, ctx) {
      const x = gpuInput(inputs, 0, op);
      const planes = x.shape[0]! * x.shape[1]!;
      const y = ctx.run.output('float32', [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)]);
      const u = new UniformWriter().u32(planes, x.size / Math.max(1, planes), op === 'GlobalMaxPool' ? 1 : 0);
      ctx.run.dispatch({ shader: shaderSource('pool/global'), uniforms: u.bytes(), buffers: [x, y], workgroups: linearGroups(planes, 1) });
      return [y];
    },
  };
}

export const poolWebGpuKernels: GpuKernelDef[] = [windowPool('MaxPool'), windowPool('AveragePool'), globalPool('GlobalAveragePool'), globalPool('GlobalMaxPool')];
