import { describe, expect, it } from 'vitest';
import { crc32c, crc32cFinal, crc32cInit, crc32cUpdate } from '../src/index.ts';

describe('crc32c', () => {
  it('[CRC1] matches the RFC 3720 B.4 test vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('[CRC1] matches the check value of "123456789" and of the empty input', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('[CRC2] the incremental form (INIT, COMP…, FIN) equals the one-shot form, over sub-ranges too', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff);
    let crc = crc32cInit();
    crc = crc32cUpdate(crc, data, 0, 3);
    crc = crc32cUpdate(crc, data, 3, 500);
    crc = crc32cUpdate(crc, data.subarray(503));
    expect(crc32cFinal(crc)).toBe(crc32c(data));
    expect(crc32cFinal(crc32cUpdate(crc32cInit(), data, 10, 20))).toBe(crc32c(data.subarray(10, 30)));
  });

  it('[CRC2] crc32c(b, crc32c(a)) continues crc32c(a)', () => {
    const a = new TextEncoder().encode('12345');
    const b = new TextEncoder().encode('6789');
    expect(crc32c(b, crc32c(a))).toBe(0xe3069283);
  });

  it('[CRC3] results are unsigned 32-bit integers', () => {
    const v = crc32c(new Uint8Array(32)); // 0x8A9136AA: high bit set
    expect(v).toBeGreaterThan(0x7fffffff);
    expect(Number.isInteger(v)).toBe(true);
    expect(crc32cUpdate(0xffffffff, new Uint8Array(0))).toBe(0xffffffff);
  });

  it('[ERR5] refuses a range outside the buffer (a bug in the caller)', () => {
    expect(() => crc32cUpdate(crc32cInit(), new Uint8Array(4), 2, 3)).toThrow(/outside/);
  });
});
