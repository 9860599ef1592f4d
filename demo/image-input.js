import { tensor } from '../dist/index.js';
import { imageShape, pixelIndex } from './tensor-layout.js';

/** Free spatial dims (null or a symbol) take the picture's own size, capped so a photo stays a sane tensor. */
const MAX_FREE_SIDE = 512;

/** How float pixels are scaled: 0..1, 0..255 or -1..1. uint8 inputs always take 0..255. */
export const FLOAT_RANGES = { '0..1': [0, 1], '0..255': [0, 255], '-1..1': [-1, 1] };

export async function decodeImage(blob) {
  return createImageBitmap(blob);
}

/** Side lengths the tensor will have: the spec's fixed dims, else the picture's (capped). */
export function targetSize(found, picture) {
  const scale = Math.min(1, MAX_FREE_SIDE / Math.max(picture.width, picture.height));
  return { h: found.h ?? Math.max(1, Math.round(picture.height * scale)), w: found.w ?? Math.max(1, Math.round(picture.width * scale)) };
}

/** RGBA pixels of the picture resized (stretched) to w x h. */
export function rgbaPixels(picture, w, h) {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(picture, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h).data;
}

/**
 * An image tensor from RGBA pixels. One channel is Rec. 601 luma; four keep alpha. `invert` flips values first
 * (MNIST wants a white digit on black).
 */
export function imageTensor(rgba, found, { h, w, dtype, range = '0..1', invert = false }) {
  const channels = found.c;
  const data = new (dtype === 'uint8' ? Uint8Array : dtype === 'float64' ? Float64Array : Float32Array)(h * w * channels);
  const [lo, hi] = dtype === 'uint8' ? [0, 255] : FLOAT_RANGES[range];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 4;
      const values = channels === 1 ? [0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2]] : [rgba[p], rgba[p + 1], rgba[p + 2], rgba[p + 3]];
      for (let k = 0; k < channels; k++) {
        const v = (invert && k < 3 ? 255 - values[k] : values[k]) / 255;
        const scaled = lo + v * (hi - lo);
        data[pixelIndex(found.layout, h, w, channels, y, x, k)] = dtype === 'uint8' ? Math.round(scaled) : scaled;
      }
    }
  }
  return tensor(data, imageShape(found, h, w), dtype);
}

/** Draws one image of an image tensor (the first of a batch) on a canvas, scaling values to 0..255. */
export function drawImageTensor(canvas, t, found) {
  const [h, w] = found.layout === 'NCHW' ? t.shape.slice(-2) : t.shape.slice(-3, -1);
  const channels = found.layout === 'NCHW' ? t.shape.at(-3) : t.shape.at(-1);
  const toByte = byteScale(t);
  const pixels = new ImageData(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const at = (k) => toByte(Number(t.data[pixelIndex(found.layout, h, w, channels, y, x, k)]));
      const p = (y * w + x) * 4;
      const rgb = channels === 1 ? [at(0), at(0), at(0)] : [at(0), at(1), at(2)];
      pixels.data.set([...rgb, channels === 4 ? at(3) : 255], p);
    }
  }
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').putImageData(pixels, 0, 0);
}

/** uint8 as is; floats by their range: within 0..1 scaled up, otherwise min..max stretched. */
function byteScale(t) {
  if (t.dtype === 'uint8') return (v) => v;
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min >= 0 && max <= 1) return (v) => Math.round(v * 255);
  if (min >= 0 && max <= 255) return (v) => Math.round(v);
  const span = max - min || 1;
  return (v) => Math.round(((v - min) / span) * 255);
}
