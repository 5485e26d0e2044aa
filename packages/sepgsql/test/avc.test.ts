import { describe, expect, it } from 'vitest';
import { AVC_NUM_SLOTS, AVC_THRESHOLD, Avc, avcHash } from '../src/avc.ts';
import { SEPG_CLASS } from '../src/classes.ts';
import type { AccessDecision, PolicyProvider, ProviderStatus } from '../src/provider.ts';

/** A provider with canned answers that counts calls. */
class CountingProvider implements PolicyProvider {
  seqno = 1;
  enforcing = true;
  computed = 0;
  created = 0;
  valid = (c: string): boolean => !c.includes('bogus');
  async status(): Promise<ProviderStatus> {
    return { seqno: this.seqno, enforcing: this.enforcing, denyUnknown: true };
  }
  async computeAccess(_s: string, t: string): Promise<AccessDecision> {
    this.computed++;
    return { allowed: t.includes('unlabeled') ? 0 : 0b1, auditallow: 0, auditdeny: 0xffffffff, permissive: false };
  }
  async computeCreate(s: string, t: string): Promise<string> {
    this.created++;
    return t.includes('trusted') ? 'u:r:dba_t:s0' : s;
  }
  async checkContext(c: string): Promise<boolean> {
    return this.valid(c);
  }
  async unlabeledContext(): Promise<string> {
    return 'system_u:object_r:unlabeled_t:s0';
  }
}

describe('userspace AVC', () => {
  it('[SE15] [S36] caches by (scontext, tcontext, tclass) with 512 buckets', async () => {
    const p = new CountingProvider();
    const avc = new Avc(p);
    await avc.sync();
    const a = await avc.lookup('u:r:a_t:s0', 'u:object_r:t_t:s0', SEPG_CLASS.db_table);
    const b = await avc.lookup('u:r:a_t:s0', 'u:object_r:t_t:s0', SEPG_CLASS.db_table);
    expect(b).toBe(a);
    await avc.lookup('u:r:a_t:s0', 'u:object_r:t_t:s0', SEPG_CLASS.db_column);
    expect(p.computed).toBe(2);
    expect(avc.stats).toMatchObject({ hits: 1, misses: 2 });
    expect(AVC_NUM_SLOTS).toBe(512);
    expect(avcHash('a', 'b', 3)).toBe(avcHash('a', 'b', 3));
  });

  it('[SE16] [S37] reclaims above 384 entries down below 368, keeping entries referenced since the last sweep', async () => {
    const p = new CountingProvider();
    const avc = new Avc(p);
    await avc.sync();
    for (let i = 0; i < AVC_THRESHOLD; i++) await avc.lookup(`u:r:s${i}_t:s0`, 'u:object_r:t_t:s0', SEPG_CLASS.db_table);
    expect(avc.size).toBe(384);
    // All entries are hot after insertion: the first sweep cools them, the next drops them.
    await avc.lookup('u:r:new_t:s0', 'u:object_r:t_t:s0', SEPG_CLASS.db_table);
    expect(avc.size).toBeLessThan(368 + 1);
    expect(avc.size).toBeGreaterThan(300);
    expect(avc.stats.reclaimed).toBe(384 + 1 - avc.size);
    // The newest entry survived the reclaim.
    expect(avc.probe('u:r:new_t:s0', 'u:object_r:t_t:s0', SEPG_CLASS.db_table)).toBeDefined();
    for (let i = 0; i < 800; i++) {
      await avc.lookup(`u:r:x${i}_t:s0`, 'u:object_r:t_t:s0', SEPG_CLASS.db_table);
      expect(avc.size).toBeLessThanOrEqual(AVC_THRESHOLD);
    }
  });

  it('[SE17] [S38] a seqno change flushes the whole cache', async () => {
    const p = new CountingProvider();
    const avc = new Avc(p);
    expect(await avc.sync()).toBe(false);
    expect(await avc.sync()).toBe(true);
    await avc.lookup('u:r:a_t:s0', 'u:object_r:t_t:s0', SEPG_CLASS.db_table);
    p.seqno++;
    expect(await avc.sync()).toBe(false);
    expect(avc.size).toBe(0);
    await avc.lookup('u:r:a_t:s0', 'u:object_r:t_t:s0', SEPG_CLASS.db_table);
    expect(p.computed).toBe(2);
  });

  it('[SE18] [S39] an invalid target context is evaluated as unlabeled and the validity is cached', async () => {
    const p = new CountingProvider();
    const avc = new Avc(p);
    await avc.sync();
    const e = await avc.lookup('u:r:a_t:s0', 'u:object_r:bogus_t:s0', SEPG_CLASS.db_table);
    expect(e.tcontextIsValid).toBe(false);
    expect(e.allowed).toBe(0);
    expect(e.tcontext).toBe('u:object_r:bogus_t:s0');
  });

  it('[SE19] [S18] [S36] db_procedure entries carry the trusted-procedure label', async () => {
    const p = new CountingProvider();
    const avc = new Avc(p);
    await avc.sync();
    expect((await avc.lookup('u:r:a_t:s0', 'u:object_r:trusted_t:s0', SEPG_CLASS.db_procedure)).ncontext).toBe('u:r:dba_t:s0');
    expect((await avc.lookup('u:r:a_t:s0', 'u:object_r:plain_t:s0', SEPG_CLASS.db_procedure)).ncontext).toBeUndefined();
    expect((await avc.lookup('u:r:a_t:s0', 'u:object_r:plain_t:s0', SEPG_CLASS.db_table)).ncontext).toBeUndefined();
    expect(p.created).toBe(2);
  });
});
