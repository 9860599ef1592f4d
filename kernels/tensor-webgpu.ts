/**
 * WebGPU shape and layout ops. Reshape-like ops are views (no dispatch): their output shape comes from running the
 * reference kernel on a data-less stand-in, so both backends share one reading of the spec. Transpose, Slice,
 * Concat and Expand are one strided copy (shaders/tensor/strided-copy.wgsl) over 32-bit words of any dtype.
 */
import { NeuropodError } from '../src/api/errors.js';
import { gpuInput, hostInput, type GpuInput, type GpuKernelContext, type GpuKernelDef, type InputInfo } from '../src/backends/webgpu/gpu-kernel.js';
import { GPU_DTYPES, type GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { linearGroups, shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { Tensor } from '../src/tensor/tensor.js';
import { broadcastShape, broadcastStrides } from './elementwise-webgpu.js';
import { toIndices } from './elements.js';
import { normalizeAxis, stridesOf } from './indexing.js';
import { referenceKernels } from './index.js';
import type { KernelContext } from './registry.js';
import { sliceRange } from './slice.js';

const COPY = () => shaderSource('tensor/strided-copy');

/** Float data may be uploaded for the op; other dtypes are taken only where they already live on the GPU. */
const movable = (t: InputInfo | undefined) => !!t && GPU_DTYPES.has(t.dtype) && (t.dtype === 'float32' || t.onGpu);

/**
 * The same box with adjacent dims merged where both sides step through them as one (a Concat part along axis 1
 * of a batch-1 tensor is one run), so the shader does less index arithmetic per element.
 */
export function coalesceBox(shape: readonly number[], a: readonly number[], b: readonly number[]): { shape: number[]; a: number[]; b: number[] } {
  const out = { shape: [] as number[], a: [] as number[], b: [] as number[] };
  shape.forEach((d, i) => {
    if (d === 1) return;
    const last = out.shape.length - 1;
    if (last >= 0 && out.a[last] === a[i]! * d && out.b[last] === b[i]! * d) {
      out.shape[last]! *= d;
      out.a[last] = a[i]!;
      out.b[last] = b[i]!;
    } else {
      out.shape.push(d);
      out.a.push(a[i]!);
      out.b.push(b[i]!);
    }
  });
  return out;
}

/** Copies the box `shape` from `src` (offset + strides) to `dst` (offset + strides). */
export function stridedCopy(ctx: GpuKernelContext, src: GpuTensor, dst: GpuTensor, shape: readonly number[], from: { offset: number; strides: readonly number[] }, to: { offset: number; strides: readonly number[] }): void {
  const count = shape.reduce((n, d) => n * d, 1);
  const box = coalesceBox(shape, from.strides, to.strides);
  const u = new UniformWriter().u32(count, box.shape.length).i32(from.offset, to.offset).dims8(box.shape).dims8(box.a, 'i').dims8(box.b, 'i');
  ctx.run.dispatch({ shader: COPY(), uniforms: u.bytes(), buffers: [src, dst], workgroups: linearGroups(count) });
}

/** The reference kernel's context for a shape-only call (these ops have no subgraphs). */
function referenceContext(ctx: GpuKernelContext): KernelContext {
  return { node: ctx.node, attrs: ctx.attrs, opset: ctx.opset, runSubgraph: () => [] };
}

function viewKernel(op: string, since?: number): GpuKernelDef {
  const hostInputs = op === 'Identity' || op === 'Flatten' ? [] : [1];
  return {
    op,
    since,
    hostInputs,
    accepts: (inputs) => !!inputs[0]?.onGpu,
    shaders: () => [],
    encode(inputs, ctx) {
      const x = gpuInput(inputs, 0, op);
      const reference = referenceKernels.find(ctx.node.domain, op, ctx.opset)!;
      const standIn = new Tensor(x.dtype, x.shape, new Float32Array(0));
      const args = inputs.map((v, i) => (i === 0 ? standIn : v instanceof Tensor ? v : undefined));
      const shape = (reference.run(args, referenceContext(ctx))[0] as Tensor).shape;
      return [x.view(shape)];
    },
  };
}

/** Shape and Size read the GPU tensor's shape, never its data. */
const shapeKernels: GpuKernelDef[] = ['Shape', 'Size'].map((op) => ({
  op,
  accepts: (inputs) => !!inputs[0]?.onGpu,
  shaders: () => [],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, op);
    const reference = referenceKernels.find(ctx.node.domain, op, ctx.opset)!;
    return reference.run([new Tensor(x.dtype, x.shape, new Float32Array(0))], referenceContext(ctx)) as Tensor[];
  },
}));

const transpose: GpuKernelDef = {
  op: 'Transpose',
  accepts: (inputs) => movable(inputs[0]) && inputs[0]!.shape.length <= 8,
  shaders: () => [COPY()],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'Transpose');
    const perm = ctx.attrs.ints('perm') ?? x.shape.map((_, i) => x.rank - 1 - i);
    const strides = stridesOf(x.shape);
    const shape = perm.map((p) => x.shape[p]!);
    const y = ctx.run.output(x.dtype, shape);
    stridedCopy(ctx, x, y, shape, { offset: 0, strides: perm.map((p) => strides[p]!) }, { offset: 0, strides: stridesOf(shape) });
    return [y];
  },
};

const concat: GpuKernelDef = {
  op: 'Concat',
  accepts: (inputs) => inputs.length > 0 && inputs.every((t) => movable(t) && t!.dtype === inputs[0]!.dtype && t!.shape.length <= 8),
  shaders: () => [COPY()],
  encode(inputs, ctx) {
    const parts = inputs.map((_, i) => gpuInput(inputs, i, 'Concat'));
    const axis = normalizeAxis(ctx.attrs.require('axis', 'int'), parts[0]!.rank);
    const shape = [...parts[0]!.shape];
    shape[axis] = parts.reduce((n, p) => n + p.shape[axis]!, 0);
    const y = ctx.run.output(parts[0]!.dtype, shape);
    const outStrides = stridesOf(shape);
    let at = 0;
    for (const p of parts) {
      if (p.rank !== shape.length || p.shape.some((d, i) => i !== axis && d !== shape[i])) {
        throw new NeuropodError('INFERENCE_FAILED', `Concat: input [${p.shape}] does not fit [${shape}] along axis ${axis}`);
      }
      stridedCopy(ctx, p, y, p.shape, { offset: 0, strides: stridesOf(p.shape) }, { offset: at * outStrides[axis]!, strides: outStrides });
      at += p.shape[axis]!;
    }
    return [y];
  },
};

function sliceLists(inputs: readonly GpuInput[], ctx: GpuKernelContext, rank: number): { starts: number[]; ends: number[]; axes: number[]; steps: number[] } {
  const fromInputs = ctx.opset >= 10;
  const list = (i: number, name: string) => (fromInputs ? (hostInput(inputs, i) ? toIndices(hostInput(inputs, i)!) : undefined) : ctx.attrs.ints(name));
  const starts = list(1, 'starts') ?? [];
  const ends = list(2, 'ends') ?? [];
  const axes = (list(3, 'axes') ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, rank));
  const steps = (fromInputs ? list(4, 'steps') : undefined) ?? starts.map(() => 1);
  return { starts, ends, axes, steps };
}

const slice: GpuKernelDef = {
  op: 'Slice',
  hostInputs: [1, 2, 3, 4],
  accepts: (inputs) => movable(inputs[0]) && inputs[0]!.shape.length <= 8,
  shaders: () => [COPY()],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'Slice');
    const { starts, ends, axes, steps } = sliceLists(inputs, ctx, x.rank);
    const strides = stridesOf(x.shape);
    const shape = [...x.shape], srcStrides = [...strides];
    let offset = 0;
    axes.forEach((a, i) => {
      const r = sliceRange(x.shape[a]!, starts[i]!, ends[i]!, steps[i]!);
      shape[a] = r.length;
      srcStrides[a] = strides[a]! * r.step;
      offset += r.start * strides[a]!;
    });
    const y = ctx.run.output(x.dtype, shape);
    stridedCopy(ctx, x, y, shape, { offset, strides: srcStrides }, { offset: 0, strides: stridesOf(shape) });
    return [y];
  },
};

const expand: GpuKernelDef = {
  op: 'Expand',
  hostInputs: [1],
  accepts: (inputs) => movable(inputs[0]),
  shaders: () => [COPY()],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'Expand');
    const target = toIndices(hostInput(inputs, 1)!);
    const shape = broadcastShape(x.shape, target);
    if (!shape || shape.length > 8) throw new NeuropodError('INFERENCE_FAILED', `Expand: [${x.shape}] does not broadcast to [${target}]`);
    const y = ctx.run.output(x.dtype, shape);
    stridedCopy(ctx, x, y, shape, { offset: 0, strides: broadcastStrides(x.shape, shape) }, { offset: 0, strides: stridesOf(shape) });
    return [y];
  },
};

const gather: GpuKernelDef = {
  op: 'Gather',
  hostInputs: [1],
  accepts: (inputs) => movable(inputs[0]) && !!inputs[1] && (inputs[1].dtype === 'int64' || inputs[1].dtype === 'int32'),
  shaders: () => [shaderSource('tensor/gather')],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'Gather'), indices = hostInput(inputs, 1)!;
    const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank);
    const dim = x.shape[axis]!;
    const flat = Int32Array.from(toIndices(indices), (i) => {
      if (i < -dim || i >= dim) throw new NeuropodError('INFERENCE_FAILED', `Gather: index ${i} is out of range for axis ${axis} of size ${dim}`);
      return i < 0 ? i + dim : i;
    });
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const y = ctx.run.output(x.dtype, shape);
    const idx = ctx.run.upload(new Tensor('int32', [flat.length], flat));
    const inner = x.shape.slice(axis + 1).reduce((n, d) => n * d, 1);
    const u = new UniformWriter().u32(y.size, flat.length, dim, inner);
    ctx.run.dispatch({ shader: shaderSource('tensor/gather'), uniforms: u.bytes(), buffers: [x, idx, y], workgroups: linearGroups(y.size) });
    idx.storage.release();
    return [y];
  },
};

/**
 * Split: the part sizes come from the reference kernel run on a stand-in that keeps only the split axis (so
 * split / num_outputs / equal parts read as it reads them), then one strided copy a part.
 */
const split: GpuKernelDef = {
  op: 'Split',
  hostInputs: [1],
  accepts: (inputs) => movable(inputs[0]) && inputs[0]!.shape.length <= 8,
  shaders: () => [COPY()],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'Split');
    const axis = normalizeAxis(ctx.attrs.int('axis', 0), x.rank);
    const dim = x.shape[axis]!;
    const standIn = new Tensor('float32', x.shape.map((d, i) => (i === axis ? d : 1)), new Float32Array(dim));
    const reference = referenceKernels.find(ctx.node.domain, 'Split', ctx.opset)!;
    const sizes = (reference.run([standIn, hostInput(inputs, 1)], referenceContext(ctx)) as Tensor[]).map((t) => t.shape[axis]!);
    const strides = stridesOf(x.shape);
    let at = 0;
    return sizes.map((len) => {
      const shape = x.shape.map((d, i) => (i === axis ? len : d));
      const y = ctx.run.output(x.dtype, shape);
      stridedCopy(ctx, x, y, shape, { offset: at * strides[axis]!, strides }, { offset: 0, strides: stridesOf(shape) });
      at += len;
      return y;
    });
  },
};

/**
 * Cast to float32, bool or int32 from f32 / int32 / uint32 / bool / uint8 words (to int64 stays on the
 * reference: its GPU words are 32-bit, and a float beyond 2^31 would not fit).
 */
const CAST_TARGETS: Record<number, { dtype: 'float32' | 'bool' | 'int32'; code: number }> = { 1: { dtype: 'float32', code: 0 }, 9: { dtype: 'bool', code: 1 }, 6: { dtype: 'int32', code: 2 } };

const cast: GpuKernelDef = {
  op: 'Cast',
  accepts(inputs, ctx) {
    const to = ctx.attrs.int('to', 0), from = inputs[0];
    const sources = ['float32', 'int32', 'uint32', 'bool', 'uint8'];
    return !!from && CAST_TARGETS[to] !== undefined && sources.includes(from.dtype) && (from.dtype === 'float32' || from.onGpu);
  },
  shaders: () => [shaderSource('elementwise/cast')],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'Cast');
    const target = CAST_TARGETS[ctx.attrs.int('to', 0)]!;
    const kind = x.dtype === 'float32' ? 0 : x.dtype === 'int32' ? 1 : 2;
    const y = ctx.run.output(target.dtype, x.shape);
    ctx.run.dispatch({ shader: shaderSource('elementwise/cast'), uniforms: new UniformWriter().u32(x.size, kind, target.code).bytes(), buffers: [x, y], workgroups: linearGroups(x.size) });
    return [y];
  },
};

const PAD_MODES: Record<string, number> = { constant: 0, reflect: 1, edge: 2, wrap: 3 };

/** Pad (f32), every mode, pads and value as attributes before opset 11 and inputs from then (axes from 18). */
const pad: GpuKernelDef = {
  op: 'Pad',
  hostInputs: [1, 2, 3],
  accepts: (inputs, ctx) => inputs[0]?.dtype === 'float32' && inputs[0].shape.length <= 8 && ctx.attrs.string('mode', 'constant') in PAD_MODES,
  shaders: () => [shaderSource('tensor/pad')],
  encode(inputs, ctx) {
    const x = gpuInput(inputs, 0, 'Pad');
    const pads = ctx.opset >= 11 ? toIndices(hostInput(inputs, 1)!) : (ctx.attrs.ints('pads') ?? ctx.attrs.require('paddings', 'ints'));
    const value = hostInput(inputs, 2);
    const fill = ctx.opset >= 11 ? (value && value.size > 0 ? Number(value.numeric[0]) : 0) : ctx.attrs.float('value', 0);
    const axesTensor = ctx.opset >= 18 ? hostInput(inputs, 3) : undefined;
    const axes = axesTensor ? toIndices(axesTensor).map((a) => normalizeAxis(a, x.rank)) : x.shape.map((_, i) => i);
    if (pads.length !== 2 * axes.length) throw new NeuropodError('INFERENCE_FAILED', `Pad: ${pads.length} pads for ${axes.length} axes`);
    const begin = new Array<number>(x.rank).fill(0), end = new Array<number>(x.rank).fill(0);
    axes.forEach((a, i) => {
      begin[a] = pads[i]!;
      end[a] = pads[i + axes.length]!;
    });
    const lo = begin.map((b) => Math.max(0, -b));
    const kept = x.shape.map((d, i) => d - lo[i]! - Math.max(0, -end[i]!));
    const before = begin.map((b) => Math.max(0, b));
    const shape = kept.map((k, i) => k + before[i]! + Math.max(0, end[i]!));
    const mode = PAD_MODES[ctx.attrs.string('mode', 'constant')]!;
    if (mode !== 0 && kept.some((k, i) => k === 0 && shape[i]! > 0)) throw new NeuropodError('INFERENCE_FAILED', `Pad: ${ctx.attrs.string('mode', 'constant')} padding needs a non-empty axis`);
    const y = ctx.run.output('float32', shape);
    const u = new UniformWriter().u32(y.size, shape.length, mode).f32(fill).dims8(shape).dims8(before, 'i').dims8(kept, 'i').dims8(lo, 'i').dims8(stridesOf(x.shape));
    ctx.run.dispatch({ shader: shaderSource('tensor/pad'), uniforms: u.bytes(), buffers: [x, y], workgroups: linearGroups(y.size) });
    return [y];
  },
};

export const tensorWebGpuKernels: GpuKernelDef[] = [
  split, cast, pad,
  viewKernel('Reshape'), viewKernel('Flatten'), viewKernel('Squeeze'), viewKernel('Unsqueeze'), viewKernel('Identity'),
  ...shapeKernels, transpose, concat, slice, expand, gather,
];
