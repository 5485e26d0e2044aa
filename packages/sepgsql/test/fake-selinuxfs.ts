// A fake selinuxfs for tests: a real directory tree holding the static files (enforce,
// deny_unknown, policyvers, status, class/*/index, class/*/perms/*, initial_contexts/unlabeled)
// and a FileSystem that serves the transaction files (access, create, context) by asking a
// Policy, as the kernel's security server would.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { type FileHandle, type FileSystem, NodeFileSystem, fsError } from '@palisade/common';
import type { Policy } from '../src/policy.ts';

export interface FakeKernel {
  policy: Policy;
  enforcing: boolean;
  /** status page sequence (even when stable). */
  sequence: number;
  policyload: number;
  /** Transactions served, by file. */
  calls: Record<string, number>;
}

/** Writes the static selinuxfs files for `kernel` under `mount`. */
export function writeSelinuxfsTree(mount: string, kernel: FakeKernel, options: { status?: boolean } = {}): void {
  fs.rmSync(mount, { recursive: true, force: true });
  fs.mkdirSync(path.join(mount, 'initial_contexts'), { recursive: true });
  const db = kernel.policy.db;
  fs.writeFileSync(path.join(mount, 'enforce'), kernel.enforcing ? '1' : '0');
  fs.writeFileSync(path.join(mount, 'deny_unknown'), db.handleUnknown === 'allow' ? '0' : '1');
  fs.writeFileSync(path.join(mount, 'policyvers'), String(db.version));
  fs.writeFileSync(path.join(mount, 'initial_contexts', 'unlabeled'), kernel.policy.contextToString(kernel.policy.initialContext()!) + '\0');
  for (const c of db.classes) {
    fs.mkdirSync(path.join(mount, 'class', c.name, 'perms'), { recursive: true });
    fs.writeFileSync(path.join(mount, 'class', c.name, 'index'), String(c.value));
    for (const [perm, value] of c.permissions) fs.writeFileSync(path.join(mount, 'class', c.name, 'perms', perm), String(value));
  }
  if (options.status !== false) writeStatus(mount, kernel);
  for (const t of ['access', 'create', 'context']) fs.writeFileSync(path.join(mount, t), '');
}

/** Rewrites the status page (version 1, sequence, enforcing, policyload, deny_unknown). */
export function writeStatus(mount: string, kernel: FakeKernel): void {
  const buf = Buffer.alloc(20);
  buf.writeUInt32LE(1, 0);
  buf.writeUInt32LE(kernel.sequence, 4);
  buf.writeUInt32LE(kernel.enforcing ? 1 : 0, 8);
  buf.writeUInt32LE(kernel.policyload, 12);
  buf.writeUInt32LE(kernel.policy.db.handleUnknown === 'allow' ? 0 : 1, 16);
  fs.writeFileSync(path.join(mount, 'status'), buf);
}

/** The kernel's decoding of the create transaction's name: `+` is a space, `%XX` a byte. */
function decodeName(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

class TransactionFile implements FileHandle {
  readonly path: string;
  #answer: Uint8Array = new Uint8Array(0);
  #serve: (request: string) => string;

  constructor(p: string, serve: (request: string) => string) {
    this.path = p;
    this.#serve = serve;
  }
  async write(buffer: Uint8Array, offset: number, length: number): Promise<void> {
    this.#answer = new TextEncoder().encode(this.#serve(new TextDecoder().decode(buffer.subarray(offset, offset + length))));
  }
  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const n = Math.max(0, Math.min(length, this.#answer.length - position));
    buffer.set(this.#answer.subarray(position, position + n), offset);
    return n;
  }
  async sync(): Promise<void> {}
  async truncate(): Promise<void> {}
  async size(): Promise<number> {
    return this.#answer.length;
  }
  async close(): Promise<void> {}
}

/** The FileSystem a SelinuxfsProvider under test uses. */
export class FakeSelinuxfs extends NodeFileSystem implements FileSystem {
  readonly mount: string;
  readonly kernel: FakeKernel;

  constructor(mount: string, kernel: FakeKernel) {
    super({ root: '/' });
    this.mount = mount;
    this.kernel = kernel;
  }

  override async open(p: string, options?: Parameters<FileSystem['open']>[1]): Promise<FileHandle> {
    const rel = path.relative(this.mount, p);
    if (rel === 'access' || rel === 'create' || rel === 'context') {
      this.kernel.calls[rel] = (this.kernel.calls[rel] ?? 0) + 1;
      return new TransactionFile(p, (req) => this.#serve(rel, req, p));
    }
    return super.open(p, options);
  }

  #ctx(text: string, p: string) {
    const pol = this.kernel.policy;
    const c = pol.contextFromString(text);
    if (c === undefined || !pol.isValidContext(c)) throw fsError('EINVAL', 'write', p);
    return c;
  }

  #serve(kind: string, req: string, p: string): string {
    const pol = this.kernel.policy;
    if (kind === 'context') {
      this.#ctx(req.replace(/\0$/, ''), p);
      return '';
    }
    const [s, t, cls, extra] = req.split(' ') as [string, string, string, string | undefined];
    const sc = this.#ctx(s, p);
    const tc = this.#ctx(t, p);
    const tclass = Number(cls);
    if (!(tclass >= 1 && tclass <= pol.db.classes.length)) throw fsError('EINVAL', 'write', p);
    if (kind === 'access') {
      const d = pol.computeAv(sc, tc, tclass);
      return `${d.allowed.toString(16)} ffffffff ${d.auditallow.toString(16)} ${d.auditdeny.toString(16)} ${this.kernel.sequence} ${d.permissive ? 1 : 0}`;
    }
    const r = pol.computeSid(sc, tc, tclass, 'transition', extra === undefined ? undefined : decodeName(extra));
    if (!r.valid && this.kernel.enforcing) throw fsError('EACCES', 'write', p);
    return `${pol.contextToString(r.context)}\0`;
  }
}
