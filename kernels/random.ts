/**
 * Random generators (ONNX Operators.md): RandomNormal, RandomUniform, their *Like forms, Bernoulli, Multinomial.
 * With a `seed` attribute a node draws the same numbers on every run (xoshiro128** seeded through splitmix32);
 * without one it is seeded from Math.random. No runtime shares numpy's or onnxruntime's streams, so only shapes,
 * dtypes and distributions can be compared with theirs.
 */
import { NeuropodError } from '../src/api/errors.js';
import { dtypeFromOnnx, type DType } from '../src/tensor/dtype.js';
import { sizeOf, type Shape, type Tensor } from '../src/tensor/tensor.js';
import { fromNumbers, tensorInput, toNumbers } from './elements.js';
import type { ShapeFn, KernelContext, KernelDef } from './registry.js';
import { withShapes } from './shape-rules.js';

/** xoshiro128** (Blackman and Vigna): uniform floats in [0, 1). */
export class SeededRandom {
  private readonly s: Uint32Array;
  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = Uint32Array.of(next(), next(), next(), next());
  }

  private nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return (this.nextUint32() * 2 ** 21 + (this.nextUint32() >>> 11)) / 2 ** 53;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The node's generator: its float `seed` attribute read as bits, or a fresh seed. */
function generatorFor(ctx: KernelContext): SeededRandom {
  const seed = ctx.attrs.float('seed');
  if (seed === undefined) return new SeededRandom((Math.random() * 2 ** 32) >>> 0);
  const bits = new Uint32Array(Float32Array.of(seed).buffer);
  return new SeededRandom(bits[0]!);
}

function dtypeAttr(ctx: Pick<KernelContext, 'attrs' | 'node'>, fallback: DType): DType {
  const code = ctx.attrs.int('dtype');
  if (code === undefined) return fallback;
  const dtype = dtypeFromOnnx(code);
  if (!dtype) throw new NeuropodError('INFERENCE_FAILED', `${ctx.node.opType}: unknown dtype ${code}`);
  return dtype;
}

type Draw = (rng: SeededRandom, ctx: KernelContext) => number;

const DRAWS: Record<'Normal' | 'Uniform', Draw> = {
  Normal: (rng, ctx) => ctx.attrs.float('mean', 0) + ctx.attrs.float('scale', 1) * rng.normal(),
  Uniform: (rng, ctx) => {
    const low = ctx.attrs.float('low', 0);
    return low + (ctx.attrs.float('high', 1) - low) * rng.uniform();
  },
};

function fill(shape: Shape, dtype: DType, ctx: KernelContext, draw: Draw): Tensor {
  const rng = generatorFor(ctx);
  const values = Float64Array.from({ length: sizeOf(shape) }, () => draw(rng, ctx));
  return fromNumbers(dtype, shape, values);
}

function generators(kind: 'Normal' | 'Uniform'): KernelDef[] {
  const draw = DRAWS[kind];
  return [
    { op: `Random${kind}`, run: (_inputs, ctx) => [fill(ctx.attrs.require('shape', 'ints'), dtypeAttr(ctx, 'float32'), ctx, draw)] },
    {
      op: `Random${kind}Like`,
      run: (inputs, ctx) => {
        const x = tensorInput(inputs, 0, `Random${kind}Like`);
        return [fill(x.shape, dtypeAttr(ctx, x.dtype), ctx, draw)];
      },
    },
  ];
}

/** Bernoulli: 1 with the input's probability, else 0, in `dtype` (default: the input's). */
function bernoulli(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor {
  const p = tensorInput(inputs, 0, 'Bernoulli');
  const rng = generatorFor(ctx);
  const values = Array.from(toNumbers(p), (prob) => (rng.uniform() < prob ? 1 : 0));
  return fromNumbers(dtypeAttr(ctx, p.dtype), p.shape, values);
}

/** Multinomial: `sample_size` class indices per batch row, drawn from the row's unnormalized log-probabilities. */
function multinomial(inputs: Parameters<KernelDef['run']>[0], ctx: KernelContext): Tensor {
  const x = tensorInput(inputs, 0, 'Multinomial');
  const [batch, classes] = x.shape as [number, number];
  const samples = ctx.attrs.int('sample_size', 1);
  const logits = toNumbers(x);
  const rng = generatorFor(ctx);
  const out = new Float64Array(batch * samples);
  for (let b = 0; b < batch; b++) {
    const row = logits.subarray(b * classes, (b + 1) * classes);
    const max = Math.max(...row);
    const cumulative = Array.from(row, (v) => Math.exp(v - max));
    for (let c = 1; c < classes; c++) cumulative[c]! += cumulative[c - 1]!;
    for (let s = 0; s < samples; s++) {
      const u = rng.uniform() * cumulative[classes - 1]!;
      const picked = cumulative.findIndex((v) => u < v);
      out[b * samples + s] = picked < 0 ? classes - 1 : picked;
    }
  }
  return fromNumbers(dtypeAttr(ctx, 'int32'), [batch, samples], out);
}

/** Draws have known shapes even though their values are never computed at planning time. */
const like: ShapeFn = (inputs, ctx) => [{ dtype: inputs[0]?.dtype ? dtypeAttr(ctx, inputs[0].dtype) : undefined, dims: inputs[0]?.dims }];
const drawn: ShapeFn = (_inputs, ctx) => [{ dtype: dtypeAttr(ctx, 'float32'), dims: ctx.attrs.require('shape', 'ints') }];

const RANDOM_SHAPES = {
  RandomNormal: drawn, RandomUniform: drawn, RandomNormalLike: like, RandomUniformLike: like, Bernoulli: like,
  Multinomial: ((inputs, ctx) => [{ dtype: dtypeAttr(ctx, 'int32'), dims: [inputs[0]?.dims?.[0] ?? null, ctx.attrs.int('sample_size', 1)] }]) as ShapeFn,
};

export const randomKernels: KernelDef[] = withShapes([
  ...generators('Normal'),
  ...generators('Uniform'),
  { op: 'Bernoulli', run: (inputs, ctx) => [bernoulli(inputs, ctx)] },
  { op: 'Multinomial', run: (inputs, ctx) => [multinomial(inputs, ctx)] },
], RANDOM_SHAPES);
