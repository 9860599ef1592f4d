import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';

describe('crc32', () => {
  // Check values: the CRC-32 catalogue's "check" for CRC-32/ISO-HDLC is 0xCBF43926 over "123456789".
  it('gives the catalogue check value for "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('is 0 for no bytes', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  // zlib.crc32('The quick brown fox jumps over the lazy dog') = 0x414FA339
  it('matches zlib for a sentence', () => {
    expect(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
});
