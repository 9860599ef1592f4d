import { unzlibSync, zlibSync } from 'fflate';
import { concatBytes } from '../archive/concat-bytes.js';
import { crc32 } from '../archive/crc32.js';

/**
 * 8-bit greyscale PNGs (colour type 0, no interlace) for fixtures: the demo's sample digit, and pictures the demo's
 * browser test uploads. Written with filter 0 on every row, so reading back only handles filter 0.
 */
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export function encodeGreyPng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  if (pixels.length !== width * height) throw new Error(`encodeGreyPng: ${pixels.length} pixels for ${width}x${height}`);
  const rows = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) rows.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // bit depth 8, grey, deflate, filter method 0, no interlace
  return concatBytes([Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr), chunk('IDAT', zlibSync(rows)), chunk('IEND', new Uint8Array(0))]);
}

/** The pixels of a PNG that encodeGreyPng wrote. */
export function decodeGreyPng(png: Uint8Array): { width: number; height: number; pixels: Uint8Array } {
  if (!SIGNATURE.every((b, i) => png[i] === b)) throw new Error('decodeGreyPng: not a PNG');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      if (data[8] !== 8 || data[9] !== 0 || data[12] !== 0) throw new Error('decodeGreyPng: only 8-bit grey, non-interlaced');
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const rows = unzlibSync(concatBytes(idat));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    if (rows[y * (width + 1)] !== 0) throw new Error(`decodeGreyPng: row ${y} uses filter ${rows[y * (width + 1)]}; only filter 0 is read`);
    pixels.set(rows.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, pixels };
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const body = concatBytes([new TextEncoder().encode(type), data]);
  const out = new Uint8Array(8 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(body, 4);
  view.setUint32(8 + data.length, crc32(body));
  return out;
}
