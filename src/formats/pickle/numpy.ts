import { NeuropodError } from '../../api/errors.js';
import { allocate, DTYPES, type DType } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { itemsOf, type Buildable, type PickleGlobal, type PickleValue } from './values.js';

/** numpy kind+size codes (`np.dtype('<f4').str` without the byte order) to engine dtypes. */
const NUMPY_DTYPES: Record<string, DType> = {
  f2: 'float16', f4: 'float32', f8: 'float64',
  i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
  u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64',
  b1: 'bool',
};

/** A numpy dtype as pickled: `numpy.dtype(descr, align, copy)`, then BUILD with (version, byteorder, ...). */
export class NumpyDType implements Buildable {
  byteOrder = '=';
  constructor(readonly descr: string) {}

  setState(state: PickleValue): void {
    const items = itemsOf(state);
    if (items && typeof items[1] === 'string') this.byteOrder = items[1];
  }

  get littleEndian(): boolean {
    return this.byteOrder !== '>';
  }
}

/** `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')` then BUILD with (version, shape, dtype, fortran, data). */
export class NumpyArray implements Buildable {
  private built: Tensor | undefined;

  setState(state: PickleValue): void {
    const items = itemsOf(state);
    if (!items) throw new NeuropodError('MODEL_INVALID', 'a numpy array pickle has no state tuple');
    const [shape, dtype, fortran, data] = items.length === 5 ? items.slice(1) : items;
    if (!(dtype instanceof NumpyDType)) throw new NeuropodError('MODEL_INVALID', 'a numpy array pickle has no dtype');
    const dims = (itemsOf(shape!) ?? []).map(Number);
    this.built = decodeArray(dims, dtype, fortran === true || fortran === 1n, data!);
  }

  get tensor(): Tensor {
    if (!this.built) throw new NeuropodError('MODEL_INVALID', 'a numpy array pickle was never given its state');
    return this.built;
  }
}

function rawBytes(data: PickleValue): Uint8Array {
  if (data instanceof Uint8Array) return data;
  // Python 2 pickles carry the buffer as a str; each char is one byte.
  if (typeof data === 'string') return Uint8Array.from(data, (c) => c.charCodeAt(0));
  throw new NeuropodError('MODEL_INVALID', 'a numpy array pickle has no raw data');
}

function decodeArray(shape: number[], dtype: NumpyDType, fortran: boolean, data: PickleValue): Tensor {
  const descr = dtype.descr.replace(/^[<>|=]/, '');
  const size = shape.reduce((a, b) => a * b, 1);
  let flat: Tensor;
  if (descr.startsWith('U')) flat = new Tensor('string', [size], fixedWidthStrings(rawBytes(data), Number(descr.slice(1)), 4, dtype.littleEndian));
  else if (descr.startsWith('S')) flat = new Tensor('string', [size], fixedWidthStrings(rawBytes(data), Number(descr.slice(1)), 1, true));
  else if (descr.startsWith('O')) flat = new Tensor('string', [size], (itemsOf(data) ?? []).map((v) => String(v)));
  else {
    const type = NUMPY_DTYPES[descr];
    if (!type) throw new NeuropodError('MODEL_INVALID', `numpy dtype '${dtype.descr}' is not one this reader decodes`);
    flat = new Tensor(type, [size], numericData(type, rawBytes(data), size, dtype.littleEndian));
  }
  return fortran && shape.length > 1 ? fromFortranOrder(flat, shape) : new Tensor(flat.dtype, shape, flat.data);
}

function numericData(type: DType, bytes: Uint8Array, size: number, littleEndian: boolean) {
  const width = DTYPES[type].rawBytes;
  const copy = bytes.slice(0, size * width);
  if (!littleEndian && width > 1) for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
  const ctor = DTYPES[type].array!;
  return new ctor(copy.buffer, 0, size);
}

/** numpy 'U' (UTF-32) and 'S' (bytes) arrays: fixed-width cells padded with NULs. */
function fixedWidthStrings(bytes: Uint8Array, chars: number, unit: 1 | 4, littleEndian: boolean): string[] {
  const cell = chars * unit;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  for (let at = 0; at + cell <= bytes.length && cell > 0; at += cell) {
    const codes: number[] = [];
    for (let i = 0; i < chars; i++) {
      const code = unit === 4 ? view.getUint32(at + i * 4, littleEndian) : bytes[at + i]!;
      if (code === 0) break;
      codes.push(code);
    }
    out.push(unit === 4 ? String.fromCodePoint(...codes) : new TextDecoder().decode(Uint8Array.from(codes)));
  }
  return out;
}

/** Column-major data to the engine's row-major order. */
function fromFortranOrder(flat: Tensor, shape: number[]): Tensor {
  const out = allocate(flat.dtype, flat.size);
  const index = new Array<number>(shape.length).fill(0);
  for (let rowMajor = 0; rowMajor < flat.size; rowMajor++) {
    let colMajor = 0;
    for (let d = shape.length - 1; d >= 0; d--) colMajor = colMajor * shape[d]! + index[d]!;
    (out as unknown[])[rowMajor] = (flat.data as unknown as unknown[])[colMajor];
    for (let d = shape.length - 1; d >= 0 && ++index[d]! === shape[d]; d--) index[d] = 0;
  }
  return new Tensor(flat.dtype, shape, out);
}

/** The `reduce` hook for numpy globals; undefined for anything else. */
export function reduceNumpy(callable: PickleGlobal, args: readonly PickleValue[]): PickleValue | undefined {
  const name = callable.qualifiedName;
  if (name === 'numpy.dtype') return new NumpyDType(String(args[0]));
  // Python 3 pickles bytes at protocols 0-2 as _codecs.encode(text, 'latin1'): one char a byte.
  if (name === '_codecs.encode' && typeof args[0] === 'string' && /^latin[-_]?1$/i.test(String(args[1]))) return Uint8Array.from(args[0], (c) => c.charCodeAt(0));
  if (/^numpy\.(_?core\.)?multiarray\._reconstruct$/.test(name)) return new NumpyArray();
  // numpy >= 1.24 pickles (protocol 5) as _frombuffer(bytes, dtype, shape, order).
  if (/^numpy\.(_?core\.)?numeric\._frombuffer$/.test(name)) {
    const [data, dtype, shape, order] = args;
    if (dtype instanceof NumpyDType) return decodeArray((itemsOf(shape!) ?? []).map(Number), dtype, order === 'F', data!);
  }
  if (name === 'numpy.core.multiarray.scalar' || name === 'numpy._core.multiarray.scalar') {
    const [dtype, data] = args;
    if (dtype instanceof NumpyDType) return decodeArray([], dtype, false, data!);
  }
  return undefined;
}
