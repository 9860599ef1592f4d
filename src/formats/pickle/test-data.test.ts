import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedOrSkip, sharedPath } from '../../testing/shared-fixtures.js';
import { readNeuropodTestData } from './test-data.js';

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));
}

// pickle.dumps(d, protocol=5) by Python 3.11 + numpy 2.4.6 of
// {'test_input': {'s': np.array(['ab','céd']), 'f': np.asfortranarray(np.arange(6, dtype='>i4').reshape(2,3)),
//                 'o': np.array(['x','yz'], dtype=object)}, 'test_output': {'b': np.array([True, False])}}
const PROTOCOL_5 = hex(
  '800595d4010000000000007d94288c0a746573745f696e707574947d94288c0173948c136e756d70792e5f636f72652e6e756d65726963948c0b5f66726f6d6275666665729493942896180000000000000061000000620000000000000063000000e900000064000000948c056e756d7079948c0564747970659493948c02553394898887945294284b038c013c944e4e4e4b0c4b044b087494624b0285948c014394749452948c01669468062896180000000000000000000000000000030000000100000004000000020000000594680a8c02693494898887945294284b038c013e944e4e4e4affffffff4affffffff4b007494624b024b0386948c014694749452948c016f948c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e73747275637494939468088c076e6461727261799493944b0085944301629487945294284b014b028594680a8c024f3894898887945294284b038c017c944e4e4e4affffffff4affffffff4b3f749462895d94288c0178948c02797a9465749462758c0b746573745f6f7574707574947d948c016294680628960200000000000000010094680a8c02623194898887945294284b03682d4e4e4e4affffffff4affffffff4b007494624b02859468117494529473752e',
);

describe('readNeuropodTestData', () => {
  it('decodes numpy 2 protocol-5 arrays: unicode, big-endian Fortran-order ints, object strings, bools', () => {
    const { inputs, outputs } = readNeuropodTestData(PROTOCOL_5);
    expect(inputs.s!.dtype).toBe('string');
    expect(inputs.s!.data).toEqual(['ab', 'céd']);
    expect(inputs.f!.dtype).toBe('int32');
    expect(inputs.f!.shape).toEqual([2, 3]);
    expect([...inputs.f!.numeric]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(inputs.o!.data).toEqual(['x', 'yz']);
    expect(outputs.b!.dtype).toBe('bool');
    expect([...outputs.b!.numeric]).toEqual([1, 0]);
  });

  it.runIf(sharedOrSkip('Neuropod test_data.pkl'))('reads the Python 2 protocol-0 test_data.pkl Neuropod wrote', () => {
    const bytes = readFileSync(sharedPath('models/neuropod/torchscript_addition_model_single_output/test_data.pkl'));
    const { inputs, outputs } = readNeuropodTestData(bytes);
    // Values as Python 3 pickle.load(..., encoding='latin1') + numpy print them.
    expect(inputs.x!.dtype).toBe('float32');
    expect([...inputs.x!.numeric]).toEqual([0, 1, 2, 3, 4]);
    expect([...inputs.y!.numeric]).toEqual([0, 1, 2, 3, 4]);
    expect(outputs.out!.dtype).toBe('int64');
    expect([...outputs.out!.numeric]).toEqual([0n, 2n, 4n, 6n, 8n]);
  });
});
