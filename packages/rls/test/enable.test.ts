// check_enable_rls: every combination of role kind, FORCE, RI check and row_security, against
// what PostgreSQL 15 does (the row_security = off errors were observed on a 15 server).

import { describe, expect, it } from 'vitest';
import { isPgError, oid } from '@palisade/common';
import { checkEnableRls, rowSecurityActive, type BypassReason, type CheckEnableRlsInput, type RlsStatus } from '../src/index.ts';

const OWNER = oid(16390);
const MEMBER = oid(16391); // inherits the owner's privileges
const OTHER = oid(16392);
const relation = { id: oid(16400), name: 'e', ownerId: OWNER, rowSecurity: true, forceRowSecurity: false, isSystemCatalog: false };
const hasPrivsOfRole = (user: typeof OWNER, role: typeof OWNER): boolean => user === role || (user === MEMBER && role === OWNER);

type Who = 'superuser' | 'bypassrls' | 'owner' | 'member' | 'other';
function input(who: Who, over: Partial<CheckEnableRlsInput> = {}): CheckEnableRlsInput {
  const userId = who === 'owner' ? OWNER : who === 'member' ? MEMBER : OTHER;
  return {
    relation, userId, hasPrivsOfRole, rowSecurityGuc: true,
    isSuperuser: who === 'superuser', hasBypassRls: who === 'bypassrls', ...over,
  };
}

function outcome(i: CheckEnableRlsInput): [RlsStatus, BypassReason | null] | string {
  try {
    const r = checkEnableRls(i);
    return [r.status, r.bypassReason];
  } catch (e) {
    if (!isPgError(e)) throw e;
    return `${e.code} ${e.message}${e.hint === undefined ? '' : ` HINT: ${e.hint}`}`;
  }
}

const ERROR = '42501 query would be affected by row-level security policy for table "e"';
const OWNER_ERROR = `${ERROR} HINT: To disable the policy for the table's owner, use ALTER TABLE NO FORCE ROW LEVEL SECURITY.`;

// [who, force, riCheck, row_security, expected]
const table: Array<[Who, boolean, boolean, boolean, ReturnType<typeof outcome>]> = [
  ['superuser', false, false, true, ['none-env', 'superuser']],
  ['superuser', true, false, false, ['none-env', 'superuser']],
  ['bypassrls', true, false, true, ['none-env', 'bypassrls']],
  ['bypassrls', false, false, false, ['none-env', 'bypassrls']],
  ['owner', false, false, true, ['none-env', 'owner']],
  ['owner', false, false, false, ['none-env', 'owner']],
  ['owner', true, false, true, ['enabled', null]],
  ['owner', true, false, false, OWNER_ERROR],
  ['owner', true, true, true, ['none-env', 'ri-check']],
  ['owner', true, true, false, ['none-env', 'ri-check']],
  ['member', false, false, true, ['none-env', 'owner']],
  ['member', true, false, false, OWNER_ERROR],
  ['other', false, false, true, ['enabled', null]],
  ['other', false, false, false, ERROR],
  ['other', true, true, true, ['enabled', null]],
];

describe('checkEnableRls', () => {
  for (const [who, force, riCheck, guc, expected] of table) {
    it(`[R3][R4] ${who}, ${force ? 'FORCE' : 'no FORCE'}${riCheck ? ', RI check' : ''}, row_security ${guc ? 'on' : 'off'}`, () => {
      expect(outcome(input(who, { relation: { ...relation, forceRowSecurity: force }, isRiCheck: riCheck, rowSecurityGuc: guc }))).toEqual(expected);
    });
  }

  it('[R1] RLS not enabled, system catalogs and built-in OIDs: none, whoever asks', () => {
    expect(outcome(input('other', { relation: { ...relation, rowSecurity: false }, rowSecurityGuc: false }))).toEqual(['none', null]);
    expect(outcome(input('other', { relation: { ...relation, isSystemCatalog: true } }))).toEqual(['none', null]);
    expect(outcome(input('other', { relation: { ...relation, id: oid(1259) } }))).toEqual(['none', null]);
  });

  it('[R4] row_security_active reports whether policies apply, without raising', () => {
    expect(rowSecurityActive(input('other', { rowSecurityGuc: false }))).toBe(true);
    expect(rowSecurityActive(input('owner'))).toBe(false);
    expect(rowSecurityActive(input('owner', { relation: { ...relation, forceRowSecurity: true } }))).toBe(true);
  });
});
