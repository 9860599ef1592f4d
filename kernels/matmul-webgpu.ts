/** WebGPU MatMul and Gemm (f32) on one tiled shader (shaders/matmul/matmul.wgsl), and a GEMV one for M = 1. */
import { NeuropodError } from '../src/api/errors.js';
import { allFloat32, gpuInput, type GpuKernelContext, type GpuKernelDef, type GpuNodeContext, type InputInfo } from '../src/backends/webgpu/gpu-kernel.js';
import type { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { WGSL } from '../src/backends/webgpu/wgsl.generated.js';
import { broadcastShape, broadcastStrides } from './elementwise-webgpu.js';

export const matmulSource = (ctx: GpuNodeContext, vec4 = false) =>
  shaderSource('matmul/matmul', { EPILOGUE: ctx.epilogue.wgsl, OPERAND: vec4 ? 'vec4<f32>' : 'f32', LOAD_TILES: WGSL[vec4 ? 'matmul/load-vec4' : 'matmul/load-scalar'] });
const source = matmulSource;
const gemvSource = (ctx: GpuNodeContext) => shaderSource('matmul/gemv', { EPILOGUE: ctx.epilogue.wgsl });

interface Gemm {
  a: GpuTensor;
  b: GpuTensor;
  bias?: GpuTensor;
  M: number;
  N: number;
  K: number;
  /** Element strides of A over (m, k) and of B over (k, n). */
  aStrides: [number, number];
  bStrides: [number, number];
  biasStrides?: [number, number];
  alpha?: number;
  beta?: number;
  /** Batch dims of the output (at most 4) and each operand's stride along them (0 where it broadcasts). */
  batch?: { shape: number[]; a: number[]; b: number[] };
}

/** Both operands row-major with K and N multiples of 4 (and so every batch offset): the vec4 loads apply. */
function vec4Loads(g: Gemm): boolean {
  const rowMajor = g.aStrides[0] === g.K && g.aStrides[1] === 1 && g.bStrides[0] === g.N && g.bStrides[1] === 1;
  return rowMajor && g.K % 4 === 0 && g.N % 4 === 0 && [...(g.batch?.a ?? []), ...(g.batch?.b ?? [])].every((s) => s % 4 === 0);
}

/** Records one (batched) GEMM into `y`. */
export function dispatchGemm(g: Gemm, y: GpuTensor, ctx: GpuKernelContext): void {
  const batch = g.batch ?? { shape: [], a: [], b: [] };
  const pad = (v: number[], fill: number) => [...new Array<number>(4 - v.length).fill(fill), ...v];
  const w = new UniformWriter()
    .f32(...ctx.epilogue.params)
    .u32(g.M, g.N, g.K, g.bias ? 1 : 0)
    .u32(...g.aStrides)
    .u32(...g.bStrides)
    .u32(...(g.biasStrides ?? [0, 0]))
    .f32(g.alpha ?? 1, g.beta ?? 1)
    .u32(...pad(batch.shape, 1))
    .u32(...pad(batch.a, 0))
    .u32(...pad(batch.b, 0));
  const batches = batch.shape.reduce((n, d) => n * d, 1);
  const buffers = [g.a, g.b, g.bias ?? g.a, y];
  // One row would leave 63 of a tile's 64 rows idle: the GEMV kernel gives each output column a thread.
  if (g.M === 1) ctx.run.dispatch({ shader: gemvSource(ctx), uniforms: w.bytes(), buffers, workgroups: [Math.ceil(g.N / 64), 1, batches] });
  else ctx.run.dispatch({ shader: source(ctx, vec4Loads(g)), uniforms: w.bytes(), buffers, workgroups: [Math.ceil(g.N / 64), Math.ceil(g.M / 64), batches] });
}

function matmulShape(a: readonly number[], b: readonly number[]): { batch: number[]; out: number[] } | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  const a2 = a.length === 1 ? [1, a[0]!] : a, b2 = b.length === 1 ? [b[0]!, 1] : b;
  if (a2[a2.length - 1] !== b2[b2.length - 2]) return undefined;
  const batch = broadcastShape(a2.slice(0, -2), b2.slice(0, -2));
  if (!batch || batch.length > 4) return undefined;
  const out = [...batch, ...(a.length === 1 ? [] : [a2[a2.length - 2]!]), ...(b.length === 1 ? [] : [b2[b2.length - 1]!])];
  return { batch, out };
}

const matmul: GpuKernelDef = {
  op: 'MatMul',
  fusesEpilogue: true,
  accepts: (inputs: readonly (InputInfo | undefined)[]) => allFloat32(inputs, [0, 1]) && !!inputs[0] && !!inputs[1] && matmulShape(inputs[0].shape, inputs[1].shape) !== undefined,
  shaders: (ctx) => [source(ctx), source(ctx, true), gemvSource(ctx)],
  encode(inputs, ctx) {
    const a = gpuInput(inputs, 0, 'MatMul'), b = gpuInput(inputs, 1, 'MatMul');
    const { batch, out } = matmulShape(a.shape, b.shape)!;
    const a2 = a.rank === 1 ? [1, a.shape[0]!] : [...a.shape], b2 = b.rank === 1 ? [b.shape[0]!, 1] : [...b.shape];
    const M = a2[a2.length - 2]!, K = a2[a2.length - 1]!, N = b2[b2.length - 1]!;
    const y = ctx.run.output('float32', out);
    // A 2-D B is shared by every batch: A's batches are more rows of one GEMM (no 1-row tiles at [n, 1, K]).
    if (b2.length === 2) {
      dispatchGemm({ a, b, M: a.size / Math.max(1, K), N, K, aStrides: [K, 1], bStrides: [N, 1] }, y, ctx);
      return [y];
    }
    const batchStrides = (shape: number[]) => broadcastStrides(shape.slice(0, -2), batch).map((s) => s * shape[shape.length - 1]! * shape[shape.length - 2]!);
    dispatchGemm({ a, b, M, N, K, aStrides: [K, 1], bStrides: [N, 1], batch: { shape: batch, a: batchStrides(a2), b: batchStrides(b2) } }, y, ctx);
    return [y];
  },
};

const gemm: GpuKernelDef = {
  op: 'Gemm',
  fusesEpilogue: true,
  accepts: (inputs) => allFloat32(inputs, [0, 1, 2]) && inputs[0]?.shape.length === 2 && inputs[1]?.shape.length === 2 && (inputs[2]?.shape.length ?? 0) <= 2,
  shaders: (ctx) => [source(ctx), source(ctx, true), gemvSource(ctx)],
  encode(inputs, ctx) {
    const a = gpuInput(inputs, 0, 'Gemm'), b = gpuInput(inputs, 1, 'Gemm');
    const c = inputs[2] as GpuTensor | undefined;
    const transA = ctx.attrs.int('transA', 0) === 1, transB = ctx.attrs.int('transB', 0) === 1;
    const [M, K] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [Kb, N] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (K !== Kb) throw new NeuropodError('INFERENCE_FAILED', `Gemm: A [${a.shape}] and B [${b.shape}] do not multiply (transA ${+transA}, transB ${+transB})`);
    if (c && !broadcastShape(c.shape, [M, N])?.every((d, i) => d === [M, N][i])) throw new NeuropodError('INFERENCE_FAILED', `Gemm: C [${c.shape}] does not broadcast to [${M}, ${N}]`);
    const y = ctx.run.output('float32', [M, N]);
    const cs = c ? (broadcastStrides(c.shape, [M, N]) as [number, number]) : undefined;
    dispatchGemm({
      a, b, bias: c, M, N, K,
      aStrides: transA ? [1, M] : [K, 1],
      bStrides: transB ? [1, K] : [N, 1],
      biasStrides: cs,
      alpha: ctx.attrs.float('alpha', 1),
      beta: ctx.attrs.float('beta', 1),
    }, y, ctx);
    return [y];
  },
};

export const matmulWebGpuKernels: GpuKernelDef[] = [matmul, gemm];
