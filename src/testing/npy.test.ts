import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor/tensor.js';
import { readNpy, writeNpy } from './npy.js';

/** Files written by numpy 2.4.6 (`np.save`, or `np.lib.format.write_array(f, a, version=...)`), base64. */
const NUMPY: Record<string, string> = {
  f32: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AAAAQAAAQEAAAIBA',
  i32be: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAB/////gAAAAM=',
  f64be: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/+AAAAAAAAL/QAAAAAAAA',
  u16: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPHUyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAP//',
  i64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr////////f/wUAAAAAAAAA',
  u64: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPHU4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr//////////w==',
  i8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGkxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqAfw==',
  u8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoA/w==',
  i16: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGkyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIArU/g==',
  u32: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPHU0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAKGvu',
  bool: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=',
  f16: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPADAADg=',
  str: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPFU2JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAphAAAAcAAAAHAAAABsAAAAZQAAAAAAAABiAAAAYQAAAG4AAABhAAAAbgAAAGEAAADlZQAALGcAAAAAAAAAAAAAAAAAAAAAAAA=',
  bytes: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfFMzJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAphYgBjZGU=',
  scalar: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAOBA',
  fortran: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AABAQAAAAEAAAIBA',
  empty: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=',
  v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8aTQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAgAAAA==',
  v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8aTQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAAAAgAAAA==',
};
const bytesOf = (name: string): Uint8Array => new Uint8Array(Buffer.from(NUMPY[name]!, 'base64'));
const read = (name: string) => readNpy(bytesOf(name), `${name}.npy`);

describe('readNpy', () => {
  it.each([
    ['f32', 'float32', [2, 2], [1, 2, 3, 4]],
    ['i32be', 'int32', [3], [1, -2, 3]],
    ['f64be', 'float64', [2], [1.5, -0.25]],
    ['u16', 'uint16', [1, 2], [1, 65535]],
    ['i64', 'int64', [2], [-9007199254740993n, 5n]],
    ['u64', 'uint64', [1], [18446744073709551615n]],
    ['i8', 'int8', [2], [-128, 127]],
    ['u8', 'uint8', [2], [0, 255]],
    ['i16', 'int16', [1], [-300]],
    ['u32', 'uint32', [1], [4000000000]],
    ['bool', 'bool', [3], [1, 0, 1]],
    ['f16', 'float16', [3], [0x3c00, 0xc000, 0x3800]],
    ['scalar', 'float32', [], [7]],
    ['empty', 'float32', [0, 3], []],
    ['v2', 'int32', [2], [1, 2]],
    ['v3', 'int32', [2], [1, 2]],
  ])('reads numpy %s as %s %j', (name, dtype, shape, values) => {
    const t = read(name);
    expect(t.dtype).toBe(dtype);
    expect(t.shape).toEqual(shape);
    expect(Array.from(t.numeric as ArrayLike<number | bigint>)).toEqual(values);
  });

  it('reads from a Node Buffer that is a view at an odd offset of a larger buffer', () => {
    const file = bytesOf('f32');
    const pool = Buffer.alloc(file.length + 3, 0xee);
    pool.set(file, 3);
    const t = readNpy(pool.subarray(3), 'pooled.npy');
    expect(Array.from(t.numeric as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it('reads fixed-width unicode strings', () => {
    const t = read('str');
    expect(t.dtype).toBe('string');
    expect(t.strings).toEqual(['apple', 'banana', '日本']);
  });

  it('reads byte strings', () => {
    expect(read('bytes').strings).toEqual(['ab', 'cde']);
  });

  it('rejects Fortran order with a clear error', () => {
    expect(() => read('fortran')).toThrowError(expect.objectContaining({ code: 'TENSOR_INVALID', message: 'fortran.npy is not a readable .npy file: it is in Fortran order; save it in C order (np.ascontiguousarray) to read it here' }));
  });

  it('rejects a file that is not .npy', () => {
    expect(() => readNpy(new TextEncoder().encode('hello world'), 'x.npy')).toThrowError('x.npy is not a readable .npy file: it does not start with \\x93NUMPY');
  });

  it('rejects data shorter than the shape needs', () => {
    const b = bytesOf('f32');
    expect(() => readNpy(b.subarray(0, b.length - 1), 'cut.npy')).toThrowError('cut.npy is not a readable .npy file: shape (2, 2) needs 16 data bytes, the file has 15');
  });
});

describe('writeNpy', () => {
  it.each([
    ['f32', tensor(new Float32Array([1, 2, 3, 4]), [2, 2])],
    ['u16', tensor(new Uint16Array([1, 65535]), [1, 2])],
    ['i64', tensor(new BigInt64Array([-9007199254740993n, 5n]), [2])],
    ['u8', tensor(new Uint8Array([0, 255]), [2])],
    ['bool', tensor([true, false, true], [3], 'bool')],
    ['f16', tensor(new Uint16Array([0x3c00, 0xc000, 0x3800]), [3], 'float16')],
    ['str', tensor(['apple', 'banana', '日本'], [3], 'string')],
    ['scalar', tensor(new Float32Array([7]), [])],
    ['empty', tensor(new Float32Array(0), [0, 3])],
  ])('writes the bytes numpy writes for %s', (name, t) => {
    expect(Buffer.from(writeNpy(t)).toString('base64')).toBe(NUMPY[name]);
  });

  it('round-trips every Neuropod numeric dtype', () => {
    for (const t of [
      tensor(new Float64Array([0.1, -2]), [2]), tensor(new Int8Array([-1]), [1]), tensor(new Int16Array([-2]), [1]),
      tensor(new Int32Array([-3]), [1]), tensor(new Uint32Array([3]), [1]), tensor(new BigUint64Array([2n ** 64n - 1n]), [1]),
    ]) {
      const back = readNpy(writeNpy(t));
      expect([back.dtype, back.shape, Array.from(back.numeric as ArrayLike<number | bigint>)]).toEqual([t.dtype, t.shape, Array.from(t.numeric as ArrayLike<number | bigint>)]);
    }
  });
});
