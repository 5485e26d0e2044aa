import { beforeAll, describe, expect, it } from 'vitest';
import { oid } from '@palisade/common';
import { describeEffectivePolicies, ensureParser, policyFromSql, type Policy, type RoleId } from '../src/index.ts';

const OWNER = oid(16390);
const ALICE = oid(16391);
const relation = { id: oid(16400), name: 't', ownerId: OWNER, rowSecurity: true, forceRowSecurity: false, isSystemCatalog: false };
const hasPrivsOfRole = (user: RoleId, role: RoleId): boolean => user === role;
let policies: Policy[] = [];

describe('describeEffectivePolicies', () => {
  beforeAll(async () => {
    await ensureParser();
    policies = [
      policyFromSql({ name: 'sel', relationId: relation.id, command: 'select', using: 'a = 1' }),
      policyFromSql({ name: 'ins', relationId: relation.id, command: 'insert', withCheck: 'b = 2' }),
      policyFromSql({ name: 'r', relationId: relation.id, permissive: false, using: 'c = 3' }),
    ];
  });

  it('[RLS22] SELECT: the combined USING, no WITH CHECK', () => {
    expect(describeEffectivePolicies({ relation, policies, role: ALICE, hasPrivsOfRole, command: 'select' }))
      .toEqual({ status: 'enabled', bypassReason: null, using: '((c = 3) AND (a = 1))', withCheck: null, policyNames: ['sel', 'r'] });
  });

  it('[RLS22] INSERT: no USING, the combined WITH CHECK (restrictive USING standing in)', () => {
    expect(describeEffectivePolicies({ relation, policies, role: ALICE, hasPrivsOfRole, command: 'insert' }))
      .toEqual({ status: 'enabled', bypassReason: null, using: null, withCheck: '((b = 2) AND (c = 3))', policyNames: ['ins', 'r'] });
  });

  it('[RLS22][R2] UPDATE with no permissive policy reads as default deny', () => {
    expect(describeEffectivePolicies({ relation, policies, role: ALICE, hasPrivsOfRole, command: 'update' }))
      .toMatchObject({ using: 'false', withCheck: 'false', policyNames: ['r'] });
  });

  it('[RLS22][R3] reports a bypass instead of policies', () => {
    expect(describeEffectivePolicies({ relation, policies, role: OWNER, hasPrivsOfRole, command: 'select', enable: { isSuperuser: false, hasBypassRls: false } }))
      .toEqual({ status: 'none-env', bypassReason: 'owner', using: null, withCheck: null, policyNames: [] });
  });
});
