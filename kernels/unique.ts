/**
 * Unique (opset 11): the distinct elements (no axis: of the flattened input) or distinct slices along `axis`, with
 * the index of each one's first occurrence, the inverse map and the counts. `sorted` (default 1) orders them
 * ascending, slices lexicographically (numpy.unique); otherwise they keep first-occurrence order.
 */
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { tensorInput } from './elements.js';
import { compareValues, readValues } from './element-values.js';
import { int64Of } from './index-tuples.js';
import { normalizeAxis } from './indexing.js';
import { indexMap, takeByMap, withShape, type RawElement } from './layout.js';
import type { KernelDef } from './registry.js';

/** The slices of `x` along `axis`, each as its elements in row-major order. */
function slicesAlong(x: Tensor, axis: number): RawElement[][] {
  const values = readValues(x);
  const n = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  return Array.from({ length: n }, (_, i) => {
    const slice: RawElement[] = [];
    for (let o = 0; o < outer; o++) for (let r = 0; r < inner; r++) slice.push(values[(o * n + i) * inner + r]!);
    return slice;
  });
}

function compareSlices(a: readonly RawElement[], b: readonly RawElement[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareValues(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

const keyOf = (slice: readonly RawElement[]): string => slice.map((v) => `${typeof v}:${String(v === 0 ? 0 : v)}`).join('\u0000');

export const uniqueKernel: KernelDef = {
  op: 'Unique',
  run(inputs, ctx) {
    const input = tensorInput(inputs, 0, 'Unique');
    const axisAttr = ctx.attrs.int('axis');
    const x = axisAttr === undefined ? withShape(input, [input.size]) : input;
    const axis = axisAttr === undefined ? 0 : normalizeAxis(axisAttr, x.rank);
    const slices = slicesAlong(x, axis);
    const firstOf = new Map<string, number>();
    slices.forEach((s, i) => {
      const key = keyOf(s);
      if (!firstOf.has(key)) firstOf.set(key, i);
    });
    const firsts = [...firstOf.values()];
    if (ctx.attrs.int('sorted', 1) === 1) firsts.sort((a, b) => compareSlices(slices[a]!, slices[b]!) || a - b);
    const position = new Map(firsts.map((f, p) => [keyOf(slices[f]!), p]));
    const inverse = slices.map((s) => position.get(keyOf(s))!);
    const counts = firsts.map((_, p) => inverse.filter((q) => q === p).length);
    const outShape = [...x.shape];
    outShape[axis] = firsts.length;
    const strides = x.shape.map((_, d) => sizeOf(x.shape.slice(d + 1)));
    const y = takeByMap(x, indexMap(outShape, (idx) => idx.reduce((s, v, d) => s + (d === axis ? firsts[v]! : v) * strides[d]!, 0)), outShape);
    return [y, int64Of([firsts.length], firsts), int64Of([inverse.length], inverse), int64Of([counts.length], counts)];
  },
};
