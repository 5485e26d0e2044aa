// SelinuxfsProvider: the kernel as security server, through the documented selinuxfs files
// (Documentation/ABI/.../sysfs-fs-selinux, libselinux's compute_av.c / compute_create.c):
//   status          the kernel status page: u32 version, sequence, enforcing, policyload, deny_unknown
//   access          transaction: "scon tcon class requested(hex, 0 as sepgsql asks)" → "allowed decided auditallow auditdeny seqno flags"
//   create          transaction: "scon tcon class [objname]" → new context
//   context         write a context: succeeds iff it is valid in the loaded policy
//   enforce, deny_unknown, policyvers, class/<name>/index, class/<name>/perms/<perm>,
//   initial_contexts/unlabeled
// Entry points: SelinuxfsProvider, selinuxfsPresent.

import { type FileSystem, PgError, SqlState } from '@palisade/common';
import { SEPG_CLASSES, classInfo } from './classes.ts';
import {
  type AccessDecision, type ClassMapping, type PolicyProvider, type ProviderStatus, computeAvFailed, computeCreateFailed,
  translateDecision,
} from './provider.ts';

/** Where selinuxfs is mounted on Linux. */
export const SELINUXFS_MOUNT = '/sys/fs/selinux';
/** Longest transaction answer read (the kernel's transaction buffer is one page). */
export const TRANSACTION_BYTES_MAX = 4096;
/** Retries of a torn status-page read (odd sequence: the kernel is updating it). */
export const STATUS_READ_RETRIES_MAX = 16;
const AVD_FLAGS_PERMISSIVE = 0x0001;

/** Options of {@link SelinuxfsProvider}. */
export interface SelinuxfsProviderOptions {
  /** Mount point (default /sys/fs/selinux). */
  mount?: string;
  /** Receives operational messages (e.g. the status-page fallback notice, S38). */
  log?: (message: string) => void;
}

/** True if an SELinux file system is mounted at `mount` (the `enforce` file exists). */
export async function selinuxfsPresent(fs: FileSystem, mount = SELINUXFS_MOUNT): Promise<boolean> {
  return fs.exists(`${mount}/enforce`);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * libselinux's object-name encoding for the create transaction (the kernel decodes it): ASCII
 * letters, digits and `-._~` as they are, space as `+`, every other byte as `%XX`.
 */
export function encodeObjectName(name: string): string {
  let out = '';
  for (const byte of encoder.encode(name)) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(ch)) out += ch;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A PolicyProvider that asks the running kernel. */
export class SelinuxfsProvider implements PolicyProvider {
  readonly mount: string;
  #fs: FileSystem;
  #log: (message: string) => void;
  #fallback = false;
  #fallbackSeqno = 0;
  #fallbackLast: string | undefined;
  /** Class mappings, valid for one policy load. */
  #mappings = new Map<number, ClassMapping>();
  #mappingsLoad = -1;

  constructor(fs: FileSystem, options: SelinuxfsProviderOptions = {}) {
    this.#fs = fs;
    this.mount = options.mount ?? SELINUXFS_MOUNT;
    this.#log = options.log ?? (() => {});
  }

  async status(): Promise<ProviderStatus> {
    const s = await this.#readStatus();
    if (s.policyload !== this.#mappingsLoad) {
      this.#mappings.clear();
      this.#mappingsLoad = s.policyload;
    }
    return { seqno: s.seqno, enforcing: s.enforcing, denyUnknown: s.denyUnknown };
  }

  async #readStatus(): Promise<{ seqno: number; enforcing: boolean; denyUnknown: boolean; policyload: number }> {
    if (!this.#fallback) {
      try {
        const h = await this.#fs.open(`${this.mount}/status`, { readOnly: true });
        try {
          const buf = new Uint8Array(20);
          for (let attempt = 0; attempt < STATUS_READ_RETRIES_MAX; attempt++) {
            const n = await h.read(buf, 0, 20, 0);
            if (n < 20) throw new Error('short status page');
            const v = new DataView(buf.buffer);
            const sequence = v.getUint32(4, true);
            if (sequence % 2 === 1) continue; // the kernel is mid-update
            return { seqno: sequence, enforcing: v.getUint32(8, true) !== 0, policyload: v.getUint32(12, true), denyUnknown: v.getUint32(16, true) !== 0 };
          }
          throw new PgError(SqlState.INTERNAL_ERROR, 'SELinux: kernel status page is being updated continuously');
        } finally {
          await h.close();
        }
      } catch (err) {
        if (err instanceof PgError) throw err;
        this.#fallback = true;
        this.#log('SELinux: kernel status page uses fallback mode');
      }
    }
    // Fallback: poll enforce, deny_unknown and policyvers and bump our own sequence when one changes.
    const enforce = (await this.#readText('enforce')).trim();
    const deny = (await this.#readText('deny_unknown').catch(() => '1')).trim();
    const vers = (await this.#readText('policyvers').catch(() => '')).trim();
    const key = `${enforce}/${deny}/${vers}`;
    if (key !== this.#fallbackLast) {
      this.#fallbackLast = key;
      this.#fallbackSeqno++;
    }
    return { seqno: this.#fallbackSeqno, enforcing: enforce === '1', denyUnknown: deny !== '0', policyload: this.#fallbackSeqno };
  }

  async #readText(rel: string): Promise<string> {
    return decoder.decode(await this.#fs.readFile(`${this.mount}/${rel}`));
  }

  async #mapping(tclass: number): Promise<ClassMapping> {
    const hit = this.#mappings.get(tclass);
    if (hit) return hit;
    const info = classInfo(tclass);
    let policyClass: number | undefined;
    try {
      policyClass = parseDecimal(await this.#readText(`class/${info.name}/index`));
    } catch {
      policyClass = undefined;
    }
    const permBits: number[] = [];
    for (const perm of info.permissions) {
      let bit = 0;
      if (policyClass !== undefined) {
        try {
          const v = parseDecimal(await this.#readText(`class/${info.name}/perms/${perm}`));
          if (v !== undefined && v >= 1 && v <= 32) bit = (1 << (v - 1)) >>> 0;
        } catch {
          bit = 0;
        }
      }
      permBits.push(bit);
    }
    const m: ClassMapping = { policyClass, permBits };
    this.#mappings.set(tclass, m);
    return m;
  }

  async #transaction(rel: string, request: string): Promise<string> {
    const h = await this.#fs.open(`${this.mount}/${rel}`);
    try {
      const req = encoder.encode(request);
      await h.write(req, 0, req.length, 0);
      const buf = new Uint8Array(TRANSACTION_BYTES_MAX);
      const n = await h.read(buf, 0, buf.length, 0);
      let end = n;
      const nul = buf.subarray(0, n).indexOf(0);
      if (nul >= 0) end = nul;
      return decoder.decode(buf.subarray(0, end));
    } finally {
      await h.close();
    }
  }

  async computeAccess(scontext: string, tcontext: string, tclass: number): Promise<AccessDecision> {
    const st = await this.status();
    const mapping = await this.#mapping(tclass);
    if (mapping.policyClass === undefined) {
      return translateDecision(mapping, st.denyUnknown, () => ({ allowed: 0, auditallow: 0, auditdeny: 0, permissive: false }));
    }
    let answer: string;
    try {
      answer = await this.#transaction('access', `${scontext} ${tcontext} ${mapping.policyClass} 0`);
    } catch (err) {
      throw computeAvFailed(scontext, tcontext, tclass, (err as NodeJS.ErrnoException).code ?? String(err));
    }
    const f = answer.trim().split(/\s+/);
    if (f.length < 4) throw computeAvFailed(scontext, tcontext, tclass, `malformed answer "${answer}"`);
    const allowed = parseInt(f[0]!, 16) >>> 0;
    const auditallow = parseInt(f[2]!, 16) >>> 0;
    const auditdeny = parseInt(f[3]!, 16) >>> 0;
    const flags = f.length >= 6 ? parseInt(f[5]!, 16) : 0;
    return translateDecision(mapping, st.denyUnknown, () => ({ allowed, auditallow, auditdeny, permissive: (flags & AVD_FLAGS_PERMISSIVE) !== 0 }));
  }

  async computeCreate(scontext: string, tcontext: string, tclass: number, objname?: string): Promise<string> {
    await this.status();
    const mapping = await this.#mapping(tclass);
    if (mapping.policyClass === undefined) throw computeCreateFailed(scontext, tcontext, tclass, 'Invalid argument');
    const req = `${scontext} ${tcontext} ${mapping.policyClass}${objname === undefined ? '' : ` ${encodeObjectName(objname)}`}`;
    try {
      const answer = await this.#transaction('create', req);
      if (answer === '') throw computeCreateFailed(scontext, tcontext, tclass, 'empty answer');
      return answer;
    } catch (err) {
      if (err instanceof PgError) throw err;
      throw computeCreateFailed(scontext, tcontext, tclass, (err as NodeJS.ErrnoException).code === 'EACCES' ? 'Permission denied' : ((err as NodeJS.ErrnoException).code ?? String(err)));
    }
  }

  async checkContext(context: string): Promise<boolean> {
    const h = await this.#fs.open(`${this.mount}/context`);
    try {
      const req = encoder.encode(`${context}\0`);
      await h.write(req, 0, req.length, 0);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINVAL') return false;
      throw err;
    } finally {
      await h.close();
    }
  }

  async unlabeledContext(): Promise<string> {
    const text = await this.#readText('initial_contexts/unlabeled');
    const nul = text.indexOf('\0');
    return (nul >= 0 ? text.slice(0, nul) : text).trim();
  }

  /** Every class SE-PostgreSQL uses, as this kernel knows it (for diagnostics). */
  async classMappings(): Promise<ClassMapping[]> {
    await this.status();
    const out: ClassMapping[] = [];
    for (const c of SEPG_CLASSES) out.push(await this.#mapping(c.code));
    return out;
  }
}

function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  return /^[0-9]+$/.test(t) ? Number(t) : undefined;
}
