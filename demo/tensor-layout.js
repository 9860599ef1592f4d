/**
 * Where a spec or a tensor keeps its image axes. A tensor is image-shaped when it is rank 3 or 4 (batch first)
 * with 1, 3 or 4 channels on the first or last non-batch axis and H, W that are free or at least 8.
 */
const CHANNELS = new Set([1, 3, 4]);
const IMAGE_DTYPES = new Set(['float32', 'float64', 'uint8']);

/** @returns {{ layout: 'NCHW' | 'NHWC', batched: boolean, c: number|null, h: number|null, w: number|null } | null} */
export function imageLayout(shape, dtype) {
  if (!IMAGE_DTYPES.has(dtype) || (shape.length !== 3 && shape.length !== 4)) return null;
  const batched = shape.length === 4;
  const dims = batched ? shape.slice(1) : shape;
  const size = (d) => (typeof d === 'number' ? d : null);
  const spatial = (d) => size(d) === null || size(d) >= 8;
  const [a, b, c] = dims.map(size);
  if (a !== null && CHANNELS.has(a) && spatial(dims[1]) && spatial(dims[2]) && !(c !== null && CHANNELS.has(c))) {
    return { layout: 'NCHW', batched, c: a, h: b, w: c };
  }
  if (c !== null && CHANNELS.has(c) && spatial(dims[0]) && spatial(dims[1])) return { layout: 'NHWC', batched, c, h: a, w: b };
  return null;
}

/** Index of pixel (y, x) channel k in a flat image tensor of this layout. */
export function pixelIndex(layout, h, w, channels, y, x, k) {
  return layout === 'NCHW' ? k * h * w + y * w + x : (y * w + x) * channels + k;
}

/** The shape of a one-image tensor for this layout and size. */
export function imageShape(found, h, w) {
  const inner = found.layout === 'NCHW' ? [found.c, h, w] : [h, w, found.c];
  return found.batched ? [1, ...inner] : inner;
}

/** A spec dim written as Neuropod does: a size, a symbol, or null for any. */
export function formatDim(d) {
  return d === null || d === undefined ? 'null' : typeof d === 'string' ? JSON.stringify(d) : String(d);
}

export function formatShape(shape) {
  return `[${shape.map(formatDim).join(', ')}]`;
}
