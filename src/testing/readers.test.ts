import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor/tensor.js';
import { decodeTensorFrame, encodeTensorFrame } from '../serve/tensor-frame.js';
import { readJsonTensors, tensorFromJson, tensorToJson } from './json-tensors.js';
import { readNpz } from './npz.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));

// numpy 2.4.6: b = io.BytesIO(); np.savez(b, logits=np.array([[1.5, -2.25], [0, 3]], dtype=np.float32),
// ids=np.array([1, -2, 2**40], dtype=np.int64)) (zip64 local headers, STORED).
const SAVEZ = hex(
  '504b03042d000000000000002100730833e9ffffffffffffffff0a0014006c6f676974732e6e70790100100090000000000000009000000000000000934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f000010c00000000000004040504b03042d000000000000002100a0c5bebfffffffffffffffff070014006964732e6e70790100100098000000000000009800000000000000934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0100000000000000feffffffffffffff0000000000010000504b01022d032d000000000000002100730833e990000000900000000a00000000000000000000008001000000006c6f676974732e6e7079504b01022d032d000000000000002100a0c5bebf98000000980000000700000000000000000000008001cc0000006964732e6e7079504b050600000000020002006d0000009d0100000000',
);
// numpy 2.4.6: np.savez_compressed(b, np.array(['ab', 'c'])) (DEFLATE, positional name arr_0).
const SAVEZ_COMPRESSED = hex(
  '504b03042d00000008000000210094ed3db7ffffffffffffffff090014006172725f302e6e70790100100090000000000000004e000000000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e136aa4aea3a09e965f54529498179f5f94920a12774bcc294e058a17672416a402f91a463a9a3a0ab50a1400ae4406068624204e66800000504b01022d032d00000008000000210094ed3db74e000000900000000900000000000000000000008001000000006172725f302e6e7079504b0506000000000100010037000000890000000000',
);

describe('readNpz', () => {
  it('reads numpy.savez arrays by name', () => {
    const { logits, ids } = readNpz(SAVEZ);
    expect([logits!.dtype, logits!.shape, [...logits!.numeric]]).toEqual(['float32', [2, 2], [1.5, -2.25, 0, 3]]);
    expect([ids!.dtype, ids!.shape, [...ids!.numeric]]).toEqual(['int64', [3], [1n, -2n, 2n ** 40n]]);
  });

  it('reads numpy.savez_compressed (DEFLATE) with its positional name arr_0', () => {
    const { arr_0 } = readNpz(SAVEZ_COMPRESSED);
    expect([arr_0!.dtype, arr_0!.shape, arr_0!.data]).toEqual(['string', [2], ['ab', 'c']]);
  });

  it('says a file that is not a zip is not an .npz', () => {
    expect(() => readNpz(new Uint8Array([1, 2, 3]), 'x.npz')).toThrow(/x\.npz is not a readable \.npz file/);
  });
});

describe('JSON tensors', () => {
  it('reads int64 as numbers or decimal strings, special floats as strings, nested data as tolist() writes it', () => {
    const t = readJsonTensors('{"ids": {"dtype": "int64", "shape": [3], "data": [1, "-9007199254740993", "42"]}, "x": {"dtype": "float32", "shape": [2, 2], "data": [[1, "NaN"], ["-Infinity", 0.5]]}}');
    expect([...t.ids!.numeric]).toEqual([1n, -9007199254740993n, 42n]);
    expect([...t.x!.numeric]).toEqual([1, NaN, -Infinity, 0.5]);
  });

  it('writes int64 as numbers within 2^53, otherwise every value as a decimal string', () => {
    expect(tensorToJson(tensor(BigInt64Array.from([1n, -2n]), [2])).data).toEqual([1, -2]);
    expect(tensorToJson(tensor(BigInt64Array.from([1n, 2n ** 60n]), [2])).data).toEqual(['1', '1152921504606846976']);
    expect(tensorToJson(tensor(Float32Array.from([NaN, Infinity, 2]), [3])).data).toEqual(['NaN', 'Infinity', 2]);
    expect(tensorToJson(tensor(['a'], [1], 'string'))).toEqual({ dtype: 'string', shape: [1], data: ['a'] });
  });

  it('rejects a value that does not fit its dtype, naming the tensor and the element', () => {
    expect(() => tensorFromJson({ dtype: 'uint8', shape: [2], data: [1, 256] }, "input 'x'")).toThrow("input 'x' element 1: 256 is out of the uint8 range [0, 255]");
    expect(() => tensorFromJson({ dtype: 'int64', shape: [1], data: [1.5] }, "input 'x'")).toThrow(/input 'x' element 0: 1.5 is not an integer/);
    expect(() => tensorFromJson({ dtype: 'float32', shape: [3], data: [1, 2] }, "input 'x'")).toThrow("input 'x': shape [3] needs 3 values, data has 2");
    expect(() => tensorFromJson({ dtype: 'complex', shape: [], data: [] }, "input 'x'")).toThrow(/dtype "complex" is not a dtype/);
  });
});

describe('tensor frames', () => {
  it('round-trips numeric, int64, bool and string tensors', () => {
    const tensors = {
      x: tensor(Float32Array.from([1, 2, 3]), [3]),
      ids: tensor(BigInt64Array.from([2n ** 62n]), [1, 1]),
      mask: tensor(Uint8Array.from([1, 0]), [2], 'bool'),
      words: tensor(['héllo', ''], [2], 'string'),
    };
    const back = decodeTensorFrame(encodeTensorFrame(tensors));
    expect(Object.fromEntries(Object.entries(back).map(([k, t]) => [k, [t.dtype, t.shape, Array.from(t.data as ArrayLike<unknown>)]]))).toEqual({
      x: ['float32', [3], [1, 2, 3]],
      ids: ['int64', [1, 1], [2n ** 62n]],
      mask: ['bool', [2], [1, 0]],
      words: ['string', [2], ['héllo', '']],
    });
  });

  it('lays the header and each tensor out as documented: magic, length, JSON, payload at 8-byte offsets', () => {
    const frame = encodeTensorFrame({ a: tensor(Uint8Array.from([7]), [1]), b: tensor(Float32Array.from([1]), [1]) });
    const headerLength = new DataView(frame.buffer).getUint32(4, true);
    expect(new TextDecoder().decode(frame.subarray(0, 4))).toBe('NPT1');
    expect(JSON.parse(new TextDecoder().decode(frame.subarray(8, 8 + headerLength)))).toEqual({
      tensors: { a: { dtype: 'uint8', shape: [1], offset: 0, length: 1 }, b: { dtype: 'float32', shape: [1], offset: 8, length: 4 } },
    });
    const payload = Math.ceil((8 + headerLength) / 8) * 8;
    expect(frame[payload]).toBe(7);
    expect(new Float32Array(frame.buffer.slice(payload + 8, payload + 12))[0]).toBe(1);
  });

  it('rejects a frame without the magic and a tensor whose bytes lie outside the payload', () => {
    expect(() => decodeTensorFrame(new Uint8Array(16), 'the body')).toThrow('the body is not a readable tensor frame (application/x-neuropod-tensors): it does not start with "NPT1"');
    const frame = encodeTensorFrame({ x: tensor(Float32Array.from([1, 2]), [2]) });
    expect(() => decodeTensorFrame(frame.subarray(0, frame.length - 4), 'the body')).toThrow(/the body tensor 'x': bytes 0\.\.0\+8 are outside the payload \(4 bytes\)/);
  });
});
