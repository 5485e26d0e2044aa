import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AVC_THRESHOLD, Avc } from '../src/avc.ts';
import type { AccessDecision, PolicyProvider, ProviderStatus } from '../src/provider.ts';

/** A provider whose answers depend on the seqno, so a stale cache entry would be visible. */
class VersionedProvider implements PolicyProvider {
  seqno = 0;
  async status(): Promise<ProviderStatus> {
    return { seqno: this.seqno, enforcing: true, denyUnknown: true };
  }
  answer(s: string, t: string, c: number): number {
    return (s.length * 31 + t.length * 7 + c + this.seqno * 1009) >>> 0;
  }
  async computeAccess(s: string, t: string, c: number): Promise<AccessDecision> {
    return { allowed: this.answer(s, t, c), auditallow: 0, auditdeny: 0xffffffff, permissive: false };
  }
  async computeCreate(s: string): Promise<string> {
    return s;
  }
  async checkContext(): Promise<boolean> {
    return true;
  }
  async unlabeledContext(): Promise<string> {
    return 'u:object_r:unlabeled_t:s0';
  }
}

const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('lookup' as const), s: fc.integer({ min: 0, max: 40 }), t: fc.integer({ min: 0, max: 20 }), c: fc.integer({ min: 8, max: 17 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reload' as const) }) },
);

describe('AVC model', () => {
  it('[SE16] [SE17] never exceeds its bound and never answers from a previous policy', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 600 }), async (ops) => {
        const p = new VersionedProvider();
        const avc = new Avc(p);
        await avc.sync();
        for (const o of ops) {
          if (o.kind === 'reload') {
            p.seqno++;
            continue;
          }
          await avc.sync();
          const s = `u:r:s${'x'.repeat(o.s)}_t:s0`;
          const t = `u:object_r:t${'y'.repeat(o.t)}_t:s0`;
          const e = await avc.lookup(s, t, o.c);
          expect(e.allowed).toBe(p.answer(s, t, o.c));
          expect(avc.size).toBeLessThanOrEqual(AVC_THRESHOLD);
        }
      }),
      { numRuns: 40 },
    );
  });
});
