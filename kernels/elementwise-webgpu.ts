/**
 * WebGPU elementwise ops, generated: each op is one WGSL expression dropped into shaders/elementwise/{unary,
 * binary}.wgsl, and every unary op can also ride on another kernel's output as its epilogue (Conv + Clip in one
 * dispatch). f32 only for now; other dtypes run on the reference.
 */
import type { AttributeReader } from '../src/graph/attributes.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { allFloat32, gpuInput, hostInput, NO_EPILOGUE, type Epilogue, type GpuKernelContext, type GpuKernelDef, type GpuNodeContext, type InputInfo } from '../src/backends/webgpu/gpu-kernel.js';
import type { GpuTensor } from '../src/backends/webgpu/gpu-tensor.js';
import { linearGroups, shaderSource, UniformWriter } from '../src/backends/webgpu/shader-source.js';
import { toNumbers } from './elements.js';

const FLT_MAX = 3.4028234663852886e38;

/** A unary op: WGSL of `v` (the element) and `p` (up to four parameters from attributes or host inputs). */
interface UnaryRow {
  op: string;
  since?: number;
  expr: string;
  params?: (attrs: AttributeReader, host: (i: number) => Tensor | undefined) => number[];
  /** Inputs besides x read on the host (Clip's bounds from opset 11). */
  hostInputs?: number[];
}

const scalarOf = (t: Tensor | undefined, fallback: number): number => (t && t.size > 0 ? toNumbers(t)[0]! : fallback);

const UNARY: UnaryRow[] = [
  { op: 'Relu', expr: 'max(v, 0.0)' },
  { op: 'LeakyRelu', expr: 'select(v * p.x, v, v >= 0.0)', params: (a) => [a.float('alpha', 0.01)] },
  { op: 'Elu', expr: 'select(p.x * (exp(v) - 1.0), v, v >= 0.0)', params: (a) => [a.float('alpha', 1)] },
  { op: 'Selu', expr: 'p.y * select(p.x * (exp(v) - 1.0), v, v > 0.0)', params: (a) => [a.float('alpha', 1.67326319217681884765625), a.float('gamma', 1.05070102214813232421875)] },
  { op: 'Sigmoid', expr: 'sigmoid_f32(v)' },
  { op: 'HardSigmoid', expr: 'clamp(p.x * v + p.y, 0.0, 1.0)', params: (a) => [a.float('alpha', 0.2), a.float('beta', 0.5)] },
  { op: 'HardSwish', expr: 'v * clamp(v / 6.0 + 0.5, 0.0, 1.0)' },
  { op: 'Softplus', expr: 'select(log(1.0 + exp(v)), v + log(1.0 + exp(-v)), v > 0.0)' },
  { op: 'Softsign', expr: 'v / (1.0 + abs(v))' },
  { op: 'Tanh', expr: 'tanh_f32(v)' },
  { op: 'Gelu', expr: 'select(0.5 * v * (1.0 + erf_f32(v * 0.7071067811865476)), 0.5 * v * (1.0 + tanh_f32(0.7978845608028654 * (v + 0.044715 * v * v * v))), p.x == 1.0)', params: (a) => [a.string('approximate', 'none') === 'tanh' ? 1 : 0] },
  { op: 'Erf', expr: 'erf_f32(v)' },
  { op: 'Exp', expr: 'exp(v)' },
  { op: 'Log', expr: 'log_f32(v)' },
  { op: 'Sqrt', expr: 'sqrt(v)' },
  { op: 'Abs', expr: 'abs(v)' },
  { op: 'Neg', expr: '-v' },
  { op: 'Reciprocal', expr: '1.0 / v' },
  { op: 'Floor', expr: 'floor(v)' },
  { op: 'Ceil', expr: 'ceil(v)' },
  { op: 'Round', expr: 'round(v)' },
  { op: 'Sign', expr: 'sign(v)' },
  { op: 'Sin', expr: 'sin(v)' },
  { op: 'Cos', expr: 'cos(v)' },
  { op: 'Clip', expr: 'min(max(v, p.x), p.y)', params: (a) => [a.float('min', -FLT_MAX), a.float('max', FLT_MAX)] },
  { op: 'Clip', since: 11, expr: 'min(max(v, p.x), p.y)', hostInputs: [1, 2], params: (_, host) => [scalarOf(host(1), -FLT_MAX), scalarOf(host(2), FLT_MAX)] },
];

/** Binary ops: WGSL of `a` and `b`, broadcast numpy-style. */
const BINARY: { op: string; expr: string }[] = [
  { op: 'Add', expr: 'a + b' },
  { op: 'Sub', expr: 'a - b' },
  { op: 'Mul', expr: 'a * b' },
  { op: 'Div', expr: 'a / b' },
  { op: 'Pow', expr: 'pow_f32(a, b)' },
  { op: 'PRelu', expr: 'select(a * b, a, a >= 0.0)' },
];

function epilogueOf(expr: string): string {
  return `fn epilogue(v: f32, act: vec4<f32>) -> f32 {\n  let p = act;\n  return ${expr};\n}`;
}

/**
 * The epilogue that applies unary `node` to a producer's output, or undefined when `node` is not a fusable
 * activation or its parameters are not constants (`constant(i)` gives input i when known at planning).
 */
export function activationEpilogue(ctx: GpuNodeContext, constant: (i: number) => Tensor | undefined): Epilogue | undefined {
  const row = unaryRow(ctx.node.opType, ctx.opset);
  if (!row || ctx.node.domain !== '') return undefined;
  const host = row.hostInputs ?? [];
  if (host.some((i) => (ctx.node.inputs[i] ?? '') !== '' && constant(i) === undefined)) return undefined;
  const params = row.params?.(ctx.attrs, constant) ?? [];
  return { wgsl: epilogueOf(row.expr), params };
}

function unaryRow(op: string, opset: number): UnaryRow | undefined {
  return UNARY.filter((r) => r.op === op && (r.since ?? 1) <= opset).sort((a, b) => (b.since ?? 1) - (a.since ?? 1))[0];
}

function unaryKernel(row: UnaryRow): GpuKernelDef {
  const source = (ctx: GpuNodeContext) => shaderSource('elementwise/unary', { EXPR: row.expr, EPILOGUE: ctx.epilogue.wgsl });
  return {
    op: row.op,
    since: row.since,
    hostInputs: row.hostInputs,
    fusesEpilogue: true,
    accepts: (inputs) => allFloat32(inputs, [0]),
    shaders: (ctx) => [source(ctx)],
    encode(inputs, ctx) {
      const x = gpuInput(inputs, 0, row.op);
      const y = ctx.run.output('float32', x.shape);
      const p = row.params?.(ctx.attrs, (i) => hostInput(inputs, i)) ?? [];
      const uniforms = new UniformWriter().f32(...ctx.epilogue.params).f32(...p).u32(x.size).bytes();
      ctx.run.dispatch({ shader: source(ctx), uniforms, buffers: [x, y], workgroups: linearGroups(x.size) });
      return [y];
    },
  };
}

/** numpy broadcasting of two shapes, or undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1, db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element strides of `shape` read as `out` (right-aligned), 0 along broadcast dims. */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = out.length - shape.length + i;
    strides[o] = shape[i] === 1 && out[o] !== 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

function binaryAccepts(inputs: readonly (InputInfo | undefined)[]): boolean {
  if (inputs.length !== 2 || !inputs[0] || !inputs[1] || !allFloat32(inputs, [0, 1])) return false;
  const out = broadcastShape(inputs[0].shape, inputs[1].shape);
  return out !== undefined && out.length <= 8;
}

const binarySource = (expr: string, epilogue: Epilogue) => shaderSource('elementwise/binary', { EXPR: expr, EPILOGUE: epilogue.wgsl });

/** Records y = epilogue(expr(a, b)) with broadcasting and returns y. */
function encodeBinary(expr: string, a: GpuTensor, b: GpuTensor, epilogue: Epilogue, ctx: GpuKernelContext): GpuTensor {
  const out = broadcastShape(a.shape, b.shape)!;
  const y = ctx.run.output('float32', out);
  const same = a.shape.length === out.length && b.shape.length === out.length && a.size === y.size && b.size === y.size;
  const w = new UniformWriter().f32(...epilogue.params).u32(y.size, same ? 0 : out.length, same ? 1 : 0);
  w.dims8(same ? [] : out).dims8(same ? [] : broadcastStrides(a.shape, out)).dims8(same ? [] : broadcastStrides(b.shape, out));
  ctx.run.dispatch({ shader: binarySource(expr, epilogue), uniforms: w.bytes(), buffers: [a, b, y], workgroups: linearGroups(y.size) });
  return y;
}

function binaryKernel(row: { op: string; expr: string }): GpuKernelDef {
  return {
    op: row.op,
    fusesEpilogue: true,
    accepts: binaryAccepts,
    shaders: (ctx) => [binarySource(row.expr, ctx.epilogue)],
    encode: (inputs, ctx) => [encodeBinary(row.expr, gpuInput(inputs, 0, row.op), gpuInput(inputs, 1, row.op), ctx.epilogue, ctx)],
  };
}

/** Sum, Mean, Max, Min of one or more inputs (all broadcast together): a chain of binary dispatches. */
function variadicKernel(op: string, expr: string, mean = false): GpuKernelDef {
  const scale = (n: number): Epilogue => ({ wgsl: epilogueOf('v * p.x'), params: [1 / n] });
  return {
    op,
    fusesEpilogue: !mean,
    accepts(inputs) {
      if (inputs.length === 0 || inputs.some((t) => !t) || !allFloat32(inputs, inputs.map((_, i) => i))) return false;
      const out = inputs.reduce<number[] | undefined>((shape, t) => shape && broadcastShape(shape, t!.shape), []);
      return out !== undefined && out.length <= 8;
    },
    shaders: (ctx) => [binarySource(expr, ctx.epilogue), binarySource(expr, NO_EPILOGUE), ...(mean ? [binarySource(expr, scale(2))] : [])],
    encode(inputs, ctx) {
      const parts = inputs.map((_, i) => gpuInput(inputs, i, op));
      if (parts.length === 1) {
        const x = parts[0]!, y = ctx.run.output('float32', x.shape);
        const source = shaderSource('elementwise/unary', { EXPR: 'v', EPILOGUE: ctx.epilogue.wgsl });
        ctx.run.dispatch({ shader: source, uniforms: new UniformWriter().f32(...ctx.epilogue.params).f32().u32(x.size).bytes(), buffers: [x, y], workgroups: linearGroups(x.size) });
        return [y];
      }
      let acc = parts[0]!;
      for (let i = 1; i < parts.length; i++) {
        const last = i === parts.length - 1;
        const y = encodeBinary(expr, acc, parts[i]!, last ? (mean ? scale(parts.length) : ctx.epilogue) : NO_EPILOGUE, ctx);
        if (i > 1) acc.storage.release();
        acc = y;
      }
      return [acc];
    },
  };
}

/** Comparisons of f32 operands giving bool (u32 words on the GPU). */
const COMPARISONS: { op: string; expr: string }[] = [
  { op: 'Equal', expr: 'a == b' },
  { op: 'Less', expr: 'a < b' },
  { op: 'LessOrEqual', expr: 'a <= b' },
  { op: 'Greater', expr: 'a > b' },
  { op: 'GreaterOrEqual', expr: 'a >= b' },
];

/** y = a OP b as a bool tensor, through compare.wgsl with `elem` operands (Not passes `a` as both). */
function encodeToBool(op: string, elem: 'f32' | 'u32', expr: string, unary: boolean): GpuKernelDef['encode'] {
  return (inputs, ctx) => {
    const a = gpuInput(inputs, 0, op), b = unary ? a : gpuInput(inputs, 1, op);
    const out = broadcastShape(a.shape, b.shape)!;
    const y = ctx.run.output('bool', out);
    const u = new UniformWriter().u32(y.size, out.length).dims8(out).dims8(broadcastStrides(a.shape, out)).dims8(broadcastStrides(b.shape, out));
    ctx.run.dispatch({ shader: shaderSource('elementwise/compare', { ELEM: elem, EXPR: expr }), uniforms: u.bytes(), buffers: [a, b, y], workgroups: linearGroups(y.size) });
    return [y];
  };
}

function compareKernel(row: { op: string; expr: string }): GpuKernelDef {
  return {
    op: row.op,
    accepts: binaryAccepts,
    shaders: () => [shaderSource('elementwise/compare', { ELEM: 'f32', EXPR: row.expr })],
    encode: encodeToBool(row.op, 'f32', row.expr, false),
  };
}

/**
 * And, Or, Xor (broadcasting) and Not on bool tensors. bools move to the GPU only where one already lives there
 * (a comparison's output); host bools stay with the reference. The words are 0 / 1, so the expressions test them.
 */
const LOGIC: { op: string; expr: string }[] = [
  { op: 'And', expr: '(a != 0u) && (b != 0u)' },
  { op: 'Or', expr: '(a != 0u) || (b != 0u)' },
  { op: 'Xor', expr: '(a != 0u) != (b != 0u)' },
  { op: 'Not', expr: 'a == 0u' },
];

function logicKernel(row: { op: string; expr: string }): GpuKernelDef {
  const unary = row.op === 'Not';
  return {
    op: row.op,
    accepts(inputs) {
      const [a, b] = inputs;
      if (!a || a.dtype !== 'bool' || a.shape.length > 8) return false;
      if (unary) return a.onGpu;
      return !!b && b.dtype === 'bool' && (a.onGpu || b.onGpu) && (broadcastShape(a.shape, b.shape)?.length ?? 9) <= 8;
    },
    shaders: () => [shaderSource('elementwise/compare', { ELEM: 'u32', EXPR: row.expr })],
    encode: encodeToBool(row.op, 'u32', row.expr, unary),
  };
}

/** Where(cond, a, b) with f32 values; the condition may come from a GPU comparison or the host. */
const where: GpuKernelDef = {
  op: 'Where',
  accepts(inputs) {
    const [c, a, b] = inputs;
    if (!c || !a || !b || c.dtype !== 'bool' || !allFloat32(inputs, [1, 2])) return false;
    const out = broadcastShape(c.shape, a.shape);
    return out !== undefined && (broadcastShape(out, b.shape)?.length ?? 9) <= 8;
  },
  shaders: () => [shaderSource('elementwise/where')],
  encode(inputs, ctx) {
    const [c, a, b] = [0, 1, 2].map((i) => gpuInput(inputs, i, 'Where')) as [GpuTensor, GpuTensor, GpuTensor];
    const out = broadcastShape(broadcastShape(c.shape, a.shape)!, b.shape)!;
    const y = ctx.run.output('float32', out);
    const u = new UniformWriter().u32(y.size, out.length).dims8(out).dims8(broadcastStrides(c.shape, out)).dims8(broadcastStrides(a.shape, out)).dims8(broadcastStrides(b.shape, out));
    ctx.run.dispatch({ shader: shaderSource('elementwise/where'), uniforms: u.bytes(), buffers: [c, a, b, y], workgroups: linearGroups(y.size) });
    return [y];
  },
};

export const elementwiseWebGpuKernels: GpuKernelDef[] = [
  ...COMPARISONS.map(compareKernel), ...LOGIC.map(logicKernel), where,
  ...UNARY.map(unaryKernel), ...BINARY.map(binaryKernel),
  variadicKernel('Sum', 'a + b'), variadicKernel('Mean', 'a + b', true), variadicKernel('Max', 'max(a, b)'), variadicKernel('Min', 'min(a, b)'),
];
