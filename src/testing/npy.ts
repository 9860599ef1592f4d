import { NeuropodError } from '../api/errors.js';
import { DTYPES, type DType } from '../tensor/dtype.js';
import { sizeOf, Tensor } from '../tensor/tensor.js';

/**
 * NumPy's .npy format (numpy.lib.format, NEP 1): magic `\x93NUMPY`, version, header length (2 bytes in v1,
 * 4 in v2/v3), a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }` padded with
 * spaces and '\n' so the data starts aligned, then the data in C order.
 */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const ALIGN = 64;

/** NumPy type characters (kind + item size) by dtype; strings are written as fixed-width UTF-32 ('U'). */
const DESCR: Partial<Record<DType, string>> = {
  float16: 'f2', float32: 'f4', float64: 'f8',
  int8: 'i1', int16: 'i2', int32: 'i4', int64: 'i8',
  uint8: 'u1', uint16: 'u2', uint32: 'u4', uint64: 'u8',
  bool: 'b1',
};
const BY_DESCR = new Map(Object.entries(DESCR).map(([dtype, d]) => [d, dtype as DType]));

function npyError(source: string, what: string): NeuropodError {
  return new NeuropodError('TENSOR_INVALID', `${source} is not a readable .npy file: ${what}`);
}

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
}

export function readNpy(bytes: Uint8Array, source = '.npy'): Tensor {
  const header = readHeader(bytes, source);
  if (header.fortranOrder) throw npyError(source, 'it is in Fortran order; save it in C order (np.ascontiguousarray) to read it here');
  const order = header.descr[0]!;
  if (!'<>|='.includes(order)) throw npyError(source, `descr '${header.descr}' has no byte-order mark`);
  const type = header.descr.slice(1);
  const size = sizeOf(header.shape);
  const body = bytes.subarray(header.dataOffset);
  if (type[0] === 'U' || type[0] === 'S') return stringTensor(body, type, order, header.shape, size, source);
  const dtype = BY_DESCR.get(type);
  if (!dtype) throw npyError(source, `dtype '${header.descr}' is not one this reader knows (${[...BY_DESCR.keys()].join(', ')}, U, S)`);
  const width = DTYPES[dtype].rawBytes;
  if (body.length < size * width) throw npyError(source, `shape (${header.shape.join(', ')}) needs ${size * width} data bytes, the file has ${body.length}`);
  // A fresh copy: the data may sit at any offset of a shared buffer (Node's pooled Buffer) and typed arrays need alignment.
  const raw = new Uint8Array(size * width);
  raw.set(body.subarray(0, size * width));
  if (order === '>' && width > 1) swapBytes(raw, width);
  const Ctor = DTYPES[dtype].array!;
  return new Tensor(dtype, header.shape, new Ctor(raw.buffer, 0, size));
}

function readHeader(bytes: Uint8Array, source: string): Header {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw npyError(source, 'it does not start with \\x93NUMPY');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw npyError(source, `format version ${major}.${bytes[7]} is unknown (1, 2 and 3 are)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lengthBytes;
  if (start + length > bytes.length) throw npyError(source, 'its header is truncated');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + length));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) throw npyError(source, `its header is not a dict of descr, fortran_order and shape: ${text.trim()}`);
  const dims = shape.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw npyError(source, `its shape (${shape}) is not a tuple of sizes`);
  return { descr, fortranOrder: fortran === 'True', shape: dims, dataOffset: start + length };
}

/** 'U<n>' holds n UTF-32 code units an element, 'S<n>' n bytes; both are padded with NULs. */
function stringTensor(body: Uint8Array, type: string, order: string, shape: number[], size: number, source: string): Tensor {
  const n = Number(type.slice(1));
  const unit = type[0] === 'U' ? 4 : 1;
  if (!Number.isInteger(n)) throw npyError(source, `string dtype '${type}' has no width`);
  if (body.length < size * n * unit) throw npyError(source, `shape (${shape.join(', ')}) needs ${size * n * unit} data bytes, the file has ${body.length}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const strings: string[] = [];
  for (let i = 0; i < size; i++) {
    const at = i * n * unit;
    if (unit === 1) {
      const cell = body.subarray(at, at + n);
      const end = cell.indexOf(0);
      strings.push(new TextDecoder().decode(end < 0 ? cell : cell.subarray(0, end)));
      continue;
    }
    let s = '';
    for (let k = 0; k < n; k++) {
      const cp = view.getUint32(at + k * 4, order !== '>');
      if (cp === 0) break;
      s += String.fromCodePoint(cp);
    }
    strings.push(s);
  }
  return new Tensor('string', shape, strings);
}

function swapBytes(raw: Uint8Array, width: number): void {
  for (let i = 0; i < raw.length; i += width) raw.subarray(i, i + width).reverse();
}

/** Writes a little-endian, C-order .npy (version 1.0; 2.0 when the header outgrows 65535 bytes). */
export function writeNpy(t: Tensor): Uint8Array {
  const { descr, data } = t.dtype === 'string' ? stringData(t.strings) : numericData(t);
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const version = dict.length + 11 > 0xffff ? 2 : 1;
  const prefix = 6 + 2 + (version === 1 ? 2 : 4);
  const padded = dict.padEnd(Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(prefix + padded.length + data.length);
  out.set(MAGIC);
  out[6] = version;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  for (let i = 0; i < padded.length; i++) out[prefix + i] = padded.charCodeAt(i);
  out.set(data, prefix + padded.length);
  return out;
}

function numericData(t: Tensor): { descr: string; data: Uint8Array } {
  const code = DESCR[t.dtype];
  if (!code) throw new NeuropodError('TENSOR_INVALID', `writeNpy(): NumPy has no dtype for ${t.dtype}`);
  const a = t.numeric;
  return { descr: (code.endsWith('1') ? '|' : '<') + code, data: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
}

function stringData(strings: string[]): { descr: string; data: Uint8Array } {
  const points = strings.map((s) => Array.from(s, (c) => c.codePointAt(0)!));
  const n = Math.max(1, ...points.map((p) => p.length));
  const data = new Uint8Array(strings.length * n * 4);
  const view = new DataView(data.buffer);
  points.forEach((p, i) => p.forEach((cp, k) => view.setUint32((i * n + k) * 4, cp, true)));
  return { descr: `<U${n}`, data };
}
