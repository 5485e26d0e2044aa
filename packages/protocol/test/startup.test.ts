import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { MessageFramer, needsNegotiation, parseStartupPacket, type StartupPacket } from '../src/index.ts';

function firstPacket(bytes: Uint8Array): StartupPacket {
  const f = new MessageFramer(true);
  f.push(bytes);
  const frame = f.next();
  if (!frame || frame.kind !== 'startup') throw new Error('no startup frame');
  return parseStartupPacket(frame.body);
}

/** A startup packet with an arbitrary version code and raw parameter bytes. */
function rawStartup(code: number, params: string): Uint8Array {
  const body = Buffer.concat([Buffer.alloc(4), Buffer.from(params, 'latin1')]);
  body.writeInt32BE(code, 0);
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length + 4);
  return Buffer.concat([len, body]);
}

describe('startup packets', () => {
  it('[PR4] parses the parameters node-postgres sends; database defaults to the user', () => {
    const p = firstPacket(serialize.startup({ user: 'alice', client_encoding: 'UTF8', application_name: 'app' }));
    expect(p.kind).toBe('startup');
    if (p.kind !== 'startup') return;
    expect([p.user, p.database, p.protocolMajor, p.protocolMinor, p.replication]).toEqual(['alice', 'alice', 3, 0, 'none']);
    expect(p.parameters.get('application_name')).toBe('app');
    expect(needsNegotiation(p)).toBe(false);
  });

  it('[PR3] recognizes SSLRequest, GSSENCRequest and CancelRequest', () => {
    expect(firstPacket(serialize.requestSsl())).toEqual({ kind: 'ssl-request' });
    expect(firstPacket(rawStartup((1234 << 16) | 5680, ''))).toEqual({ kind: 'gssenc-request' });
    expect(firstPacket(serialize.cancel(4242, -17))).toEqual({ kind: 'cancel-request', processId: 4242, secretKey: -17 });
  });

  it('[PR1] refuses startup lengths outside 8..10000 before buffering them', () => {
    const f = new MessageFramer(true);
    f.push(Uint8Array.of(0x7f, 0xff, 0xff, 0xff));
    expect(() => f.next()).toThrow('invalid length of startup packet');
    const g = new MessageFramer(true);
    g.push(Uint8Array.of(0, 0, 0, 4));
    expect(() => g.next()).toThrow('invalid length of startup packet');
  });

  it('[PR2] refuses protocol 2 and 4 with PostgreSQL message', () => {
    expect(() => firstPacket(rawStartup(2 << 16, 'user\0a\0\0'))).toThrow('unsupported frontend protocol 2.0: server supports 3.0 to 3.0');
    expect(() => firstPacket(rawStartup(4 << 16, 'user\0a\0\0'))).toThrow('unsupported frontend protocol 4.0: server supports 3.0 to 3.0');
  });

  it('[PR4] requires the terminator and a user name', () => {
    expect(() => firstPacket(rawStartup(3 << 16, 'user\0a'))).toThrow('invalid startup packet layout: expected terminator as last byte');
    expect(() => firstPacket(rawStartup(3 << 16, 'database\0d\0\0'))).toThrow('no PostgreSQL user name specified in startup packet');
    expect(() => firstPacket(rawStartup(3 << 16, 'user\0a\0replication\0maybe\0\0'))).toThrow('invalid value for parameter "replication": "maybe"');
  });

  it('[PR5] newer minor versions and _pq_ options call for NegotiateProtocolVersion', () => {
    const p = firstPacket(rawStartup((3 << 16) | 2, 'user\0a\0_pq_.compression\0on\0\0'));
    expect(p.kind === 'startup' && needsNegotiation(p)).toBe(true);
    expect(p.kind === 'startup' && p.protocolOptions).toEqual(['_pq_.compression']);
  });
});
