/** Channels-first (NCHW...) and channels-last (NHWC...) layouts of one tensor, for ops that take either. */

/** NC[spatial] <-> N[spatial]C: `toLast` reads channels-first `shape` and writes channels-last, else the reverse. */
export function moveChannels(v: Float64Array, shape: readonly number[], toLast: boolean): Float64Array {
  const [n, c] = toLast ? [shape[0]!, shape[1]!] : [shape[0]!, shape[shape.length - 1]!];
  const spatial = v.length / (n * c);
  const out = new Float64Array(v.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let s = 0; s < spatial; s++) {
        const first = (b * c + ch) * spatial + s;
        const last = (b * spatial + s) * c + ch;
        if (toLast) out[last] = v[first]!;
        else out[first] = v[last]!;
      }
    }
  }
  return out;
}
