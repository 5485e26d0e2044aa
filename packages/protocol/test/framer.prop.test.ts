import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { MessageFramer, decodeFrontendMessage, type FrontendMessage } from '../src/index.ts';

const message = fc.oneof(
  fc.string().filter((s) => !s.includes('\0')).map((s) => serialize.query(s)),
  fc.array(fc.oneof(fc.constant(null), fc.string().filter((s) => !s.includes('\0'))), { maxLength: 5 }).map((values) => serialize.bind({ values })),
  fc.nat({ max: 1000 }).map((rows) => serialize.execute({ rows })),
  fc.uint8Array({ maxLength: 300 }).map((b) => serialize.copyData(Buffer.from(b))),
  fc.constant(serialize.sync()),
);

function decodeAll(stream: Uint8Array, cuts: number[]): FrontendMessage[] {
  const framer = new MessageFramer(false);
  const out: FrontendMessage[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c < stream.length).sort((a, b) => a - b), stream.length]) {
    framer.push(stream.subarray(at, cut));
    at = cut;
    for (let f = framer.next(); f; f = framer.next()) if (f.kind === 'message') out.push(decodeFrontendMessage(f.type, f.body));
  }
  expect(framer.pendingBytes).toBe(0);
  return out;
}

describe('framing', () => {
  it('[PR6] any split of a message stream into chunks yields the same messages', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 20 }), fc.array(fc.nat({ max: 5000 }), { maxLength: 30 }), (msgs, cuts) => {
        const stream = Buffer.concat(msgs);
        expect(decodeAll(stream, cuts)).toEqual(decodeAll(stream, []));
        expect(decodeAll(stream, []).length).toBe(msgs.length);
      }),
      { numRuns: 300 },
    );
  });

  it('[PR7] a length beyond the per-type limit is refused before its body arrives', () => {
    const f = new MessageFramer(false);
    // 'S' (Sync) claiming 1 MB: small-message limit is 10000 bytes.
    f.push(Uint8Array.of(0x53, 0x00, 0x10, 0x00, 0x00));
    expect(() => f.next()).toThrow('invalid message length');
    const g = new MessageFramer(false);
    g.push(Uint8Array.of(0x51, 0x00, 0x00, 0x00, 0x02));
    expect(() => g.next()).toThrow('invalid message length');
    const h = new MessageFramer(false);
    h.push(Uint8Array.of(0x01, 0x00, 0x00, 0x00, 0x04));
    expect(() => h.next()).toThrow('invalid frontend message type 1');
  });

  it('[PR9] random bytes never crash the decoder: only protocol violations', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const f = new MessageFramer(false);
        f.push(bytes);
        try {
          for (let fr = f.next(); fr; fr = f.next()) if (fr.kind === 'message') decodeFrontendMessage(fr.type, fr.body);
        } catch (e) {
          expect((e as { code?: string }).code).toBe('08P01');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
