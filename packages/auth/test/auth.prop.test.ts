import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Oid } from '@palisade/common';
import { formatAclItem, parseAclItem, type AclItem } from '../src/acl.ts';
import { formatAddress, parseNumericHost, addressInRange, maskOfLength } from '../src/address.ts';
import { tokenizeAuthFile } from '../src/config-file.ts';
import { ScramServer } from '../src/scram.ts';
import { scramVerifier, scramSaltedPassword, scramKeys, hmacSha256, sha256 } from '../src/verifier.ts';
import { aclUpdate } from '../src/grant.ts';
import { RoleGraph } from '../src/roles.ts';
import { memoryReader } from './memory-reader.ts';

describe('round trips', () => {
  it('[P1] aclitem text parses back to the same item for any role names and privileges', () => {
    fc.assert(fc.property(
      fc.array(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('\0')), { minLength: 2, maxLength: 2 }),
      fc.integer({ min: 0, max: (1 << 14) - 1 }), fc.integer({ min: 0, max: (1 << 14) - 1 }), fc.boolean(),
      ([a, b], privs, opts, isPublic) => {
        fc.pre(a !== b);
        const ids = new Map<string, Oid>([[a!, 101 as Oid], [b!, 102 as Oid]]);
        const names = { nameOf: (i: Oid) => [...ids].find(([, v]) => v === i)?.[0], idOf: (n: string) => ids.get(n) };
        const item: AclItem = { grantee: (isPublic ? 0 : 101) as Oid, grantor: 102 as Oid, privs, grantOptions: opts & privs };
        expect(parseAclItem(formatAclItem(item, names), names, 10 as Oid)).toEqual(item);
      },
    ));
  });

  it('[A6] numeric addresses print and parse back; an address is in its own /n network', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 128 }), (text, bits) => {
      const a = parseNumericHost(text)!;
      expect(a).not.toBeNull();
      expect(parseNumericHost(formatAddress(a))).toEqual(a);
      const mask = maskOfLength(Math.min(bits, a.family === 4 ? 32 : 128), a.family);
      expect(addressInRange(a, a, mask)).toBe(true);
    }));
  });

  it('[A2] any name written quoted (with "" for quotes) tokenizes back to itself, never as a keyword', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.string({ maxLength: 10 }).filter((s) => !/[\n\r\\]/.test(s)), { minLength: 1, maxLength: 4 }), async (names) => {
      const field = names.map((n) => `"${n.replace(/"/g, '""')}"`).join(',');
      const lines = await tokenizeAuthFile(memoryReader({ '/x/pg_hba.conf': `local ${field} all trust\n` }), '/x/pg_hba.conf');
      expect(lines[0]!.fields[1]!.map((t) => [t.text, t.quoted])).toEqual(names.map((n) => [n, true]));
    }), { numRuns: 200 });
  });
});

describe('SCRAM', () => {
  it('[A30][A31] a correct client proof always succeeds and a wrong password always fails', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), fc.base64String({ minLength: 4, maxLength: 24 }).filter((s) => /^[A-Za-z0-9+/]+$/.test(s)), (password, other, nonce) => {
      const verifier = scramVerifier(password, { iterations: 2 });
      const attempt = (pw: string) => {
        const server = new ScramServer({ user: 'u', verifier, mockNonce: new Uint8Array(32), channelBinding: null });
        const first = server.handleInitial('SCRAM-SHA-256', `n,,n=,r=${nonce}`).serverMessage;
        const parts = Object.fromEntries(first.split(',').map((kv) => [kv[0], kv.slice(2)]));
        const salted = scramSaltedPassword(pw, Buffer.from(parts.s!, 'base64'), Number(parts.i));
        const { clientKey, storedKey } = scramKeys(salted);
        const without = `c=biws,r=${parts.r}`;
        const sig = hmacSha256(storedKey, `n=,r=${nonce},${first},${without}`);
        const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64');
        const r = server.handleFinal(`${without},p=${proof}`);
        return r.done && r.ok;
      };
      expect(attempt(password)).toBe(true);
      if (sha256(password).toString() !== sha256(other).toString()) expect(attempt(other)).toBe(false);
    }), { numRuns: 30 });
  });
});

describe('ACL model', () => {
  it('[P10] any sequence of grants and cascading revokes leaves no grant whose grantor lacks the grant option', () => {
    const roles = new RoleGraph();
    for (let i = 0; i < 4; i++) roles.addRole((100 + i) as Oid, `r${i}`);
    const owner = 100 as Oid;
    const op = fc.record({ grantor: fc.integer({ min: 100, max: 103 }), grantee: fc.integer({ min: 101, max: 103 }), add: fc.boolean(), opt: fc.boolean(), privs: fc.integer({ min: 1, max: 3 }) });
    fc.assert(fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
      let acl: AclItem[] = [];
      for (const o of ops) {
        if (o.grantor === o.grantee) continue;
        const holds = o.grantor === 100 || acl.some((i) => i.grantee === o.grantor && (i.grantOptions & o.privs) === o.privs);
        if (o.add && !holds) continue;
        try {
          acl = aclUpdate(acl, { grantee: o.grantee as Oid, grantor: o.grantor as Oid, privs: o.add ? o.privs : o.privs, grantOptions: o.opt || !o.add ? o.privs : 0 }, o.add ? 'add' : 'del', owner, 'cascade', roles);
        } catch {
          // circular grant refused: the ACL is unchanged
        }
      }
      for (const item of acl) {
        if (item.grantor === owner) continue;
        const grantorOptions = acl.filter((i) => i.grantee === item.grantor).reduce((m, i) => m | i.grantOptions, 0);
        expect(item.privs & ~grantorOptions).toBe(0);
      }
    }));
  });
});
