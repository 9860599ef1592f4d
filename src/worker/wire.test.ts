import { describe, expect, it } from 'vitest';
import { NeuropodError } from '../api/errors.js';
import { tensor } from '../tensor/tensor.js';
import { errorFromWire, errorToWire, reply, takeOwnership, tensorsFromWire, tensorsToWire, unwrap } from './wire.js';

describe('tensors crossing to the engine Worker', () => {
  it("copies by default: the caller's tensors keep their data, the copies are what gets transferred", () => {
    const x = tensor(new Float32Array([1, 2, 3]), [3]);
    const wire = takeOwnership(tensorsToWire([['x', x]], 'copy'));
    expect(Array.from(x.data as Float32Array)).toEqual([1, 2, 3]);
    expect(wire.transfer).toHaveLength(1);
    expect(wire.transfer[0]).not.toBe(x.numeric.buffer);
    expect(tensorsFromWire(wire.tensors).map(([n, t]) => [n, t.dtype, t.shape, Array.from(t.numeric as Float32Array)])).toEqual([['x', 'float32', [3], [1, 2, 3]]]);
  });

  it("moves the caller's buffers with 'move', at call time, each shared buffer once", () => {
    const buffer = new ArrayBuffer(16);
    const a = tensor(new Float32Array(buffer, 0, 2), [2]);
    const b = tensor(new Float32Array(buffer, 8, 2), [2]);
    (b.data as Float32Array).set([5, 6]);
    const wire = takeOwnership(tensorsToWire([['a', a], ['b', b]], 'move'));
    expect(buffer.byteLength).toBe(0);
    expect(wire.transfer).toHaveLength(1);
    const [, bb] = tensorsFromWire(wire.tensors)[1]!;
    expect([Array.from(bb.numeric as Float32Array), (bb.data as Float32Array).byteOffset]).toEqual([[5, 6], 8]);
  });

  it('copies what the predicate keeps (a weight) and moves the rest', () => {
    const weight = tensor(new Float32Array([1, 2]), [2]);
    const fresh = tensor(new Int32Array([7]), [1]);
    const wire = takeOwnership(tensorsToWire([['w', weight], ['f', fresh]], (b) => b !== weight.numeric.buffer));
    expect([weight.numeric.byteLength, fresh.numeric.byteLength]).toEqual([8, 0]);
    expect(tensorsFromWire(wire.tensors).map(([, t]) => Array.from(t.numeric as ArrayLike<number>))).toEqual([[1, 2], [7]]);
  });

  it('never transfers shared memory, and copies strings', () => {
    const shared = tensor(new Float32Array(new SharedArrayBuffer(8)), [2]);
    const words = tensor(['a', 'b'], [2], 'string');
    const wire = tensorsToWire([['s', shared], ['w', words]], 'move');
    expect(wire.transfer.every((b) => b instanceof ArrayBuffer)).toBe(true);
    expect(wire.tensors[1]![1].data).toEqual(['a', 'b']);
    expect(wire.tensors[1]![1].data).not.toBe(words.data);
  });
});

describe('errors crossing back from the engine Worker', () => {
  it('keeps a NeuropodError its code and message', async () => {
    const answer = await reply(() => {
      throw new NeuropodError('SPEC_DTYPE', "Neuropod Error: Tensor 'x' in the input spec is expected to be of type FLOAT_TENSOR, but was of type INT32_TENSOR");
    });
    const e = (() => {
      try {
        unwrap(structuredClone(answer));
      } catch (e) {
        return e;
      }
    })();
    expect(e).toBeInstanceOf(NeuropodError);
    expect(e).toMatchObject({ code: 'SPEC_DTYPE', message: "Neuropod Error: Tensor 'x' in the input spec is expected to be of type FLOAT_TENSOR, but was of type INT32_TENSOR" });
  });

  it('keeps another error its name and message, and does not invent a code', () => {
    const e = errorFromWire(errorToWire(new TypeError('x is not a function')));
    expect([e instanceof NeuropodError, e.name, e.message]).toEqual([false, 'TypeError', 'x is not a function']);
    expect(errorFromWire({ name: 'NeuropodError', message: 'm', code: 'NOT_A_CODE' })).not.toBeInstanceOf(NeuropodError);
  });
});
