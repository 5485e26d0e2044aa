import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeFileSystem } from '@palisade/common';
import { describe, expect, it } from 'vitest';
import { SEPG_CLASSES } from '../src/classes.ts';
import { Policy } from '../src/policy.ts';
import { SelinuxfsProvider, encodeObjectName, selinuxfsPresent } from '../src/selinuxfs-provider.ts';
import { UserspacePolicyProvider } from '../src/userspace-provider.ts';
import { type FakeKernel, FakeSelinuxfs, writeSelinuxfsTree, writeStatus } from './fake-selinuxfs.ts';
import { compilePolicy, pick, prng, tempDir } from './helpers.ts';

function setup(name: string, policyPath: string, options: { status?: boolean } = {}) {
  const policy = Policy.load(fs.readFileSync(policyPath), policyPath);
  const kernel: FakeKernel = { policy, enforcing: true, sequence: 2, policyload: 1, calls: {} };
  const mount = path.join(tempDir(), name);
  writeSelinuxfsTree(mount, kernel, options);
  const fakeFs = new FakeSelinuxfs(mount, kernel);
  const logs: string[] = [];
  const provider = new SelinuxfsProvider(fakeFs, { mount, log: (m) => logs.push(m) });
  return { policy, kernel, mount, fakeFs, provider, logs };
}

describe('selinuxfs kernel provider (fake selinuxfs tree)', () => {
  it('[SE13] decisions through the access/create transactions equal the userspace provider\'s', async () => {
    const policyPath = compilePolicy('sepgsql-regtest.conf');
    const { provider, policy, fakeFs, mount } = setup('regtest', policyPath);
    expect(await selinuxfsPresent(fakeFs, mount)).toBe(true);
    expect(await selinuxfsPresent(fakeFs, path.join(mount, 'nope'))).toBe(false);
    const userspace = new UserspacePolicyProvider(policy);
    const rand = prng(99);
    const subjects = ['user', 'dba', 'superuser', 'pool', 'permissive'].map((d) => `unconfined_u:unconfined_r:sepgsql_regtest_${d}_t:s0`);
    subjects[1] = 'unconfined_u:sepgsql_dba_r:sepgsql_regtest_dba_t:s0';
    const objects = ['table', 'ro_table', 'secret_table', 'proc_exec', 'regtest_trusted_proc_exec', 'schema', 'db'].map((t) => `system_u:object_r:sepgsql_${t}_t:s0`);
    for (let i = 0; i < 200; i++) {
      const s = pick(rand, subjects);
      const t = pick(rand, objects);
      const cls = pick(rand, SEPG_CLASSES).code;
      expect(await provider.computeAccess(s, t, cls)).toEqual(await userspace.computeAccess(s, t, cls));
      expect(await provider.computeCreate(s, t, cls, i % 3 === 0 ? 'pg_temp' : undefined)).toBe(await userspace.computeCreate(s, t, cls, i % 3 === 0 ? 'pg_temp' : undefined));
    }
    await expect(provider.computeAccess('nobody_u:r:t:s0', objects[0]!, 10)).rejects.toMatchObject({
      code: 'XX000', message: `SELinux could not compute av_decision: scontext=nobody_u:r:t:s0 tcontext=${objects[0]} tclass=db_table: EINVAL`,
    });
    expect(await provider.checkContext('system_u:object_r:sepgsql_table_t:s0')).toBe(true);
    expect(await provider.checkContext('system_u:object_r:no_such_t:s0')).toBe(false);
    expect(await provider.unlabeledContext()).toBe('system_u:object_r:unlabeled_t:s0');
  });

  it('[SE13] [S7] the permissive flag of a permissive domain comes through the access answer', async () => {
    const { provider } = setup('permissive', compilePolicy('sepgsql-regtest.conf'));
    const d = await provider.computeAccess('unconfined_u:unconfined_r:sepgsql_regtest_permissive_t:s0', 'system_u:object_r:sepgsql_secret_table_t:s0', 10);
    expect(d.permissive).toBe(true);
  });

  it('[SE13] [S3] a class the kernel does not know follows deny_unknown without a transaction', async () => {
    const cil = compilePolicy('sepgsql-unknown.cil', { edit: (s) => s.replace('(handleunknown deny)', '(handleunknown allow)'), tag: 'allow' });
    const { provider, kernel } = setup('unknown', cil);
    const d = await provider.computeAccess('system_u:system_r:client_t', 'system_u:object_r:table_t', 15);
    expect(d.allowed).toBe(0xffffffff);
    expect(kernel.calls.access ?? 0).toBe(0);
    const mappings = await provider.classMappings();
    expect(mappings[15]!.policyClass).toBeUndefined();
    expect(mappings[10]!.permBits[11]).toBe(0);
  });

  it('[SE14] [S38] the status page reports reloads and enforcing changes; the class map is re-read after a reload', async () => {
    const { provider, kernel, mount } = setup('status', compilePolicy('sepgsql-regtest.conf'));
    const a = await provider.status();
    expect(a).toEqual({ seqno: 2, enforcing: true, denyUnknown: true });
    kernel.enforcing = false;
    kernel.sequence = 4;
    writeStatus(mount, kernel);
    expect(await provider.status()).toEqual({ seqno: 4, enforcing: false, denyUnknown: true });
    // A torn read (odd sequence) is retried; a page that never settles is an error.
    kernel.sequence = 5;
    writeStatus(mount, kernel);
    await expect(provider.status()).rejects.toThrow(/status page is being updated continuously/);
  });

  it('[SE14] [S38] without a status page the provider logs the fallback and polls enforce', async () => {
    const { provider, kernel, mount, logs } = setup('fallback', compilePolicy('sepgsql-regtest.conf'), { status: false });
    const a = await provider.status();
    expect(logs).toEqual(['SELinux: kernel status page uses fallback mode']);
    expect(a.enforcing).toBe(true);
    kernel.enforcing = false;
    fs.writeFileSync(path.join(mount, 'enforce'), '0');
    const b = await provider.status();
    expect(b.enforcing).toBe(false);
    expect(b.seqno).not.toBe(a.seqno);
    expect(logs.length).toBe(1);
  });

  it('[SE13] object names are encoded for the create transaction as libselinux does (space as +, others %XX)', () => {
    expect(encodeObjectName('pg_temp')).toBe('pg_temp');
    expect(encodeObjectName('a b%c\n')).toBe('a+b%25c%0A');
    expect(encodeObjectName('x-y.z_w~v+')).toBe('x-y.z_w~v%2B');
    expect(encodeObjectName('é')).toBe('%C3%A9');
    expect(new NodeFileSystem()).toBeInstanceOf(NodeFileSystem);
  });
});
