// The LDAP client's encoding (BER, RFC 4515 filters) and its bounds, against scripted servers
// that misbehave in ways a real slapd will not: silence, oversized or malformed responses,
// too many entries, disconnection notices.

import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ber, BerReader, berMessageLength, BerTag, BerDecodeError } from '../src/ldap-ber.ts';
import { encodeLdapFilter, LdapFilterError, LDAP_FILTER_DEPTH_MAX } from '../src/ldap-filter.ts';
import { ldapErr2String, START_TLS_OID } from '../src/ldap-client.ts';
import { ldapAuthenticate } from '../src/ldap-auth.ts';
import type { LdapPlan } from '../src/ldap.ts';

const hex = (b: Buffer) => b.toString('hex');

describe('BER', () => {
  it('[LDAP7] integers are minimal two\'s complement; lengths switch to the long form at 128', () => {
    expect([0, 127, 128, 256, -1, -129, 0x7fffffff].map((n) => hex(ber.integer(n)))).toEqual([
      '020100', '02017f', '02020080', '02020100', '0201ff', '0202ff7f', '02047fffffff',
    ]);
    expect(hex(ber.octetString('x'.repeat(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(ber.octetString('x'.repeat(300))).slice(0, 8)).toBe('0482012c');
    expect(hex(ber.constructed(BerTag.application(0), ber.integer(3), ber.octetString('cn=a'), ber.octetString('pw', BerTag.contextPrimitive(0)))))
      .toBe('600d020103040463 6e3d61 80027077'.replace(/ /g, ''));
  });

  it('[LDAP7] decoding is strict: no indefinite or over-long lengths, nothing beyond the limit, no truncation', () => {
    expect(berMessageLength(Buffer.from([0x30]), 100)).toBeNull();
    expect(berMessageLength(Buffer.from([0x30, 0x05, 1, 2]), 100)).toBeNull();
    expect(berMessageLength(Buffer.from([0x30, 0x02, 1, 2, 9]), 100)).toBe(4);
    expect(() => berMessageLength(Buffer.from([0x30, 0x80]), 100)).toThrow(BerDecodeError);
    expect(() => berMessageLength(Buffer.from([0x30, 0x85, 0, 0, 0, 0, 1]), 100)).toThrow(BerDecodeError);
    expect(() => berMessageLength(Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), 1000)).toThrow(/exceeds the limit of 1000/);
    expect(() => berMessageLength(Buffer.from([0x1f, 0x01, 0]), 100)).toThrow(BerDecodeError);
    expect(() => new BerReader(Buffer.from([0x04, 0x05, 0x61])).readString()).toThrow(/truncated/);
    expect(() => new BerReader(Buffer.from([0x02, 0x00])).readInteger()).toThrow(BerDecodeError);
    expect(() => new BerReader(Buffer.from([0x04, 0x00])).readInteger()).toThrow(/expected BER tag 0x2/);
  });
});

describe('LDAP filters', () => {
  it('[LDAP8] equality, presence, substrings, and/or/not, ordering, approx and extensible matches encode as RFC 4511', () => {
    expect(hex(encodeLdapFilter('(uid=bob)'))).toBe('a30a0403756964' + '0403626f62');
    expect(hex(encodeLdapFilter('uid=bob'))).toBe(hex(encodeLdapFilter('(uid=bob)')));
    expect(hex(encodeLdapFilter('(cn=*)'))).toBe('8702636e');
    expect(hex(encodeLdapFilter('(cn=a*b*)'))).toBe('a40c0402636e' + '3006' + '800161' + '810162');
    expect(hex(encodeLdapFilter('(cn=*b*c)'))).toBe('a40c0402636e' + '3006' + '810162' + '820163');
    expect(hex(encodeLdapFilter('(&)'))).toBe('a000');
    expect(hex(encodeLdapFilter('(!(a=b))'))).toBe('a208' + 'a30604016104' + '0162');
    expect(hex(encodeLdapFilter('(|(a>=1)(a<=2)(a~=3))'))).toBe('a118' + 'a506040161040131' + 'a606040161040132' + 'a806040161040133');
    expect(hex(encodeLdapFilter('(cn:dn:2.5.13.2:=x)'))).toBe('a914' + '8108322e352e31332e32' + '8202636e' + '830178' + '8401ff');
  });

  it('[LDAP8] value escapes: \\XX bytes and the old single-character escapes', () => {
    expect(hex(encodeLdapFilter('(cn=a\\2a\\29\\c3\\a9)'))).toBe(hex(encodeLdapFilter('(cn=a\\*\\)é)')));
    expect(hex(encodeLdapFilter('(cn=a\\2a)'))).toBe('a3080402636e' + '0402612a');
  });

  it('[LDAP8] malformed filters are refused', () => {
    const deep = '(!'.repeat(LDAP_FILTER_DEPTH_MAX + 1) + '(a=b)' + ')'.repeat(LDAP_FILTER_DEPTH_MAX + 1);
    for (const bad of ['(uid=bob', '(uid=a\\zz)', '(uid=a\\2)', '((uid=a))', '(=x)', '(a=b)(c=d)', '(a>=b*)', '(a=b**c)', '(a b=c)', '(:=x)', '(a=(b)', deep]) {
      expect(() => encodeLdapFilter(bad), bad).toThrow(LdapFilterError);
    }
  });

  it('[LDAP1] result codes read as OpenLDAP\'s ldap_err2string', () => {
    expect([0, 4, 32, 49, -1, -4, -5, -7, -11, 999].map(ldapErr2String)).toEqual([
      'Success', 'Size limit exceeded', 'No such object', 'Invalid credentials', "Can't contact LDAP server",
      'Decoding error', 'Timed out', 'Bad search filter', 'Connect error', 'Unknown error',
    ]);
  });
});

// ---- scripted servers ----

interface Received {
  messageId: number;
  opTag: number;
  op: Buffer;
}

type Script = (m: Received, socket: net.Socket) => void;

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => {
    s.close(() => r());
    (s as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  })));
});

/** A TCP server on 127.0.0.1 answering each LDAP message with `script`; `log` collects what it received. */
async function scriptedServer(script: Script, log: Received[] = []): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf[0] !== BerTag.SEQUENCE) return; // not LDAP (a TLS ClientHello): stay silent
      for (;;) {
        const n = berMessageLength(buf, 1 << 20);
        if (n === null) return;
        const top = new BerReader(buf.subarray(0, n)).readConstructed(BerTag.SEQUENCE);
        buf = buf.subarray(n);
        const messageId = top.readInteger();
        const el = top.read();
        const m = { messageId, opTag: el.tag, op: el.content };
        log.push(m);
        script(m, socket);
      }
    });
  });
  Object.assign(server, { closeAllConnections: () => { for (const s of sockets) s.destroy(); } });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as net.AddressInfo).port;
}

const reply = (socket: net.Socket, messageId: number, opTag: number, ...parts: Buffer[]) =>
  socket.write(ber.sequence(ber.integer(messageId), ber.constructed(opTag, ...parts)));
const result = (code: number, diag = '') => [ber.enumerated(code), ber.octetString(''), ber.octetString(diag)];
const BIND_RESPONSE = BerTag.application(1);
const SEARCH_ENTRY = BerTag.application(4);
const SEARCH_DONE = BerTag.application(5);

function plan(port: number, over: Partial<LdapPlan> = {}): LdapPlan {
  return {
    serverUris: [`ldap://127.0.0.1:${port}`], servers: [{ host: '127.0.0.1', port }], serverName: '127.0.0.1', scheme: 'ldap', port,
    startTls: false, mode: 'simple-bind', prefix: 'uid=', suffix: ',dc=x', scope: 2, ...over,
  };
}

function logOf(r: Awaited<ReturnType<typeof ldapAuthenticate>>): [string, string | undefined] {
  if (r.ok) throw new Error('expected a failure');
  expect(r.clientError.message).toBe('LDAP authentication failed for user "alice"');
  return [r.logDetail, r.logDiagnostics];
}

describe('LDAP client bounds against scripted servers', () => {
  it('[LDAP3][LDAP7] sends a v3 simple bind, then Unbind, then closes', async () => {
    const log: Received[] = [];
    const port = await scriptedServer((m, s) => { if (m.opTag === BerTag.application(0)) reply(s, m.messageId, BIND_RESPONSE, ...result(0)); }, log);
    expect(await ldapAuthenticate(plan(port), 'alice', 'pw')).toEqual({ ok: true, identity: 'uid=alice,dc=x' });
    await new Promise((r) => setTimeout(r, 50));
    expect(log.map((m) => m.opTag)).toEqual([BerTag.application(0), BerTag.applicationPrimitive(2)]);
    const bind = new BerReader(log[0]!.op);
    expect([bind.readInteger(), bind.readString(), bind.readString(BerTag.contextPrimitive(0))]).toEqual([3, 'uid=alice,dc=x', 'pw']);
  });

  it('[LDAP7] a server that never answers is "Timed out" after operationTimeoutMs', async () => {
    const port = await scriptedServer(() => {});
    expect(logOf(await ldapAuthenticate(plan(port), 'alice', 'pw', { operationTimeoutMs: 200 })))
      .toEqual(['LDAP login failed for user "uid=alice,dc=x" on server "127.0.0.1": Timed out', 'LDAP diagnostics: no response within 200 ms']);
  });

  it('[LDAP7] a TLS handshake that never completes is "Can\'t contact LDAP server" after connectTimeoutMs', async () => {
    const port = await scriptedServer(() => {});
    expect(logOf(await ldapAuthenticate(plan(port, { scheme: 'ldaps' }), 'alice', 'pw', { connectTimeoutMs: 200 })))
      .toEqual(['LDAP login failed for user "uid=alice,dc=x" on server "127.0.0.1": Can\'t contact LDAP server', 'LDAP diagnostics: connection timed out after 200 ms']);
  });

  it('[LDAP7] an oversized, malformed or misaddressed response is a decoding error', async () => {
    const huge = await scriptedServer((_m, s) => s.write(Buffer.from([0x30, 0x84, 0x00, 0x10, 0x00, 0x00])));
    expect(logOf(await ldapAuthenticate(plan(huge), 'alice', 'pw', { messageSizeMaxBytes: 4096 }))[0])
      .toBe('LDAP login failed for user "uid=alice,dc=x" on server "127.0.0.1": Decoding error');
    const garbage = await scriptedServer((m, s) => s.write(ber.sequence(ber.integer(m.messageId), ber.octetString('no'))));
    expect(logOf(await ldapAuthenticate(plan(garbage), 'alice', 'pw'))[0]).toBe('LDAP login failed for user "uid=alice,dc=x" on server "127.0.0.1": Decoding error');
    const wrongId = await scriptedServer((m, s) => reply(s, m.messageId + 7, BIND_RESPONSE, ...result(0)));
    expect(logOf(await ldapAuthenticate(plan(wrongId), 'alice', 'pw'))[0]).toBe('LDAP login failed for user "uid=alice,dc=x" on server "127.0.0.1": Decoding error');
  });

  it('[LDAP7] a disconnection notice or a closed connection is "Can\'t contact LDAP server"', async () => {
    const notice = await scriptedServer((_m, s) => reply(s, 0, BerTag.application(24), ...result(52, 'shutting down'), ber.octetString('1.3.6.1.4.1.1466.20036', BerTag.contextPrimitive(10))));
    expect(logOf(await ldapAuthenticate(plan(notice), 'alice', 'pw'))).toEqual([
      'LDAP login failed for user "uid=alice,dc=x" on server "127.0.0.1": Can\'t contact LDAP server', 'LDAP diagnostics: shutting down',
    ]);
    const hangup = await scriptedServer((_m, s) => s.destroy());
    expect(logOf(await ldapAuthenticate(plan(hangup), 'alice', 'pw'))[0]).toBe('LDAP login failed for user "uid=alice,dc=x" on server "127.0.0.1": Can\'t contact LDAP server');
  });

  it('[LDAP4][LDAP7] search+bind asks for no attributes and at most searchEntriesMax entries, and stops reading beyond them', async () => {
    const log: Received[] = [];
    const port = await scriptedServer((m, s) => {
      if (m.opTag === BerTag.application(0)) reply(s, m.messageId, BIND_RESPONSE, ...result(0));
      if (m.opTag === BerTag.application(3)) {
        for (let i = 0; i < 50; i++) reply(s, m.messageId, SEARCH_ENTRY, ber.octetString(`uid=alice${i},dc=x`), ber.sequence());
        reply(s, m.messageId, SEARCH_DONE, ...result(0));
      }
    }, log);
    const p = plan(port, { mode: 'search-bind', baseDn: 'dc=x', scope: 1, bindDn: 'cn=r', bindPasswd: 'rp' });
    expect(logOf(await ldapAuthenticate(p, 'alice', 'pw', { searchEntriesMax: 3 }))).toEqual([
      'could not search LDAP for filter "(uid=alice)" on server "127.0.0.1": Size limit exceeded', 'LDAP diagnostics: more than 3 search results',
    ]);
    const search = new BerReader(log.find((m) => m.opTag === BerTag.application(3))!.op);
    const fields = [search.readString(), search.readEnumerated(), search.readEnumerated(), search.readInteger(), search.readInteger()];
    expect(fields).toEqual(['dc=x', 1, 0, 3, 10]);
    search.read(BerTag.BOOLEAN);
    expect(hex(search.read().content)).toBe(hex(encodeLdapFilter('(uid=alice)')).slice(4));
    const attrs = search.readConstructed(BerTag.SEQUENCE);
    expect(attrs.readString()).toBe('1.1');
    const bind = new BerReader(log[0]!.op);
    expect([bind.readInteger(), bind.readString(), bind.readString(BerTag.contextPrimitive(0))]).toEqual([3, 'cn=r', 'rp']);
  });

  it('[LDAP6] a server refusing StartTLS is "could not start LDAP TLS session" with its result', async () => {
    const log: Received[] = [];
    const port = await scriptedServer((m, s) => reply(s, m.messageId, BerTag.application(24), ...result(2, 'unsupported extended operation')), log);
    expect(logOf(await ldapAuthenticate(plan(port, { startTls: true }), 'alice', 'pw'))).toEqual([
      'could not start LDAP TLS session: Protocol error', 'LDAP diagnostics: unsupported extended operation',
    ]);
    expect(new BerReader(log[0]!.op).readString(BerTag.contextPrimitive(0))).toBe(START_TLS_OID);
  });
});
