// UserspacePolicyProvider: decisions computed in-process from a compiled policy file (no kernel
// SELinux needed), with its own enforcing switch and booleans. Entry points:
// UserspacePolicyProvider.fromFile, .reload, .setEnforcing, .setBoolean.

import { type FileSystem, PgError, SqlState } from '@palisade/common';
import { classInfo } from './classes.ts';
import type { ContextStruct } from './policydb.ts';
import { Policy } from './policy.ts';
import {
  type AccessDecision, type ClassMapping, type PolicyProvider, type ProviderStatus, buildClassMappings,
  computeAvFailed, computeCreateFailed, missingFromPolicy, translateDecision,
} from './provider.ts';

/** Options of {@link UserspacePolicyProvider}. */
export interface UserspaceProviderOptions {
  /** Enforce decisions (default true); false is SELinux's permissive mode. */
  enforcing?: boolean;
}

/** Largest policy file read (the Debian reference policy is about 2 MiB). */
export const POLICY_FILE_BYTES_MAX = 256 * 1024 * 1024;

/** A PolicyProvider over a Policy held in memory. */
export class UserspacePolicyProvider implements PolicyProvider {
  #policy!: Policy;
  #mappings!: ClassMapping[];
  #enforcing: boolean;
  #seqno = 0;

  constructor(policy: Policy, options: UserspaceProviderOptions = {}) {
    this.#enforcing = options.enforcing ?? true;
    this.#install(policy);
  }

  /** Reads and parses the policy file at `path`. */
  static async fromFile(fs: FileSystem, path: string, options: UserspaceProviderOptions = {}): Promise<UserspacePolicyProvider> {
    return new UserspacePolicyProvider(await loadPolicyFile(fs, path), options);
  }

  get policy(): Policy {
    return this.#policy;
  }

  /** Replaces the policy (a policy reload): the AVC sees a new seqno and flushes (S38). */
  async reload(fs: FileSystem, path: string): Promise<void> {
    this.replacePolicy(await loadPolicyFile(fs, path));
  }

  replacePolicy(policy: Policy): void {
    this.#install(policy);
    this.#seqno++;
  }

  setEnforcing(enforcing: boolean): void {
    if (enforcing === this.#enforcing) return;
    this.#enforcing = enforcing;
    this.#seqno++;
  }

  /** Sets a policy boolean (42704 if unknown); decisions change, so the seqno moves. */
  setBoolean(name: string, value: boolean): void {
    const before = this.#policy.boolSeqno;
    this.#policy.setBoolean(name, value);
    if (this.#policy.boolSeqno !== before) this.#seqno++;
  }

  #install(policy: Policy): void {
    const db = policy.db;
    const mappings = buildClassMappings(
      (name) => db.classByName.get(name)?.value,
      (cls, perm) => db.classes[cls - 1]?.permissions.get(perm),
    );
    if (db.handleUnknown === 'reject') {
      const missing = missingFromPolicy(mappings);
      if (missing.length > 0) {
        throw new PgError(
          SqlState.CONFIG_FILE_ERROR,
          `SELinux: policy "${db.source}" rejects unknown classes and permissions but lacks ${missing.join(', ')}`,
        );
      }
    }
    this.#policy = policy;
    this.#mappings = mappings;
  }

  async status(): Promise<ProviderStatus> {
    return this.statusNow();
  }

  /** The status without a promise, for callers on a hot path. */
  statusNow(): ProviderStatus {
    return { seqno: this.#seqno, enforcing: this.#enforcing, denyUnknown: this.#policy.db.handleUnknown !== 'allow' };
  }

  async computeAccess(scontext: string, tcontext: string, tclass: number): Promise<AccessDecision> {
    return this.computeAccessNow(scontext, tcontext, tclass);
  }

  computeAccessNow(scontext: string, tcontext: string, tclass: number): AccessDecision {
    const mapping = this.#mappings[tclass];
    classInfo(tclass);
    const s = this.#validContext(scontext);
    const t = this.#validContext(tcontext);
    if (s === undefined || t === undefined) throw computeAvFailed(scontext, tcontext, tclass, 'Invalid argument');
    return translateDecision(mapping!, this.#policy.db.handleUnknown !== 'allow', (pc) => this.#policy.computeAv(s, t, pc));
  }

  async computeCreate(scontext: string, tcontext: string, tclass: number, objname?: string): Promise<string> {
    return this.computeCreateNow(scontext, tcontext, tclass, objname);
  }

  computeCreateNow(scontext: string, tcontext: string, tclass: number, objname?: string): string {
    const mapping = this.#mappings[tclass];
    classInfo(tclass);
    const s = this.#validContext(scontext);
    const t = this.#validContext(tcontext);
    if (s === undefined || t === undefined || mapping?.policyClass === undefined) {
      throw computeCreateFailed(scontext, tcontext, tclass, 'Invalid argument');
    }
    const r = this.#policy.computeSid(s, t, mapping.policyClass, 'transition', objname);
    // As the kernel: an invalid result fails only in enforcing mode.
    if (!r.valid && this.#enforcing) throw computeCreateFailed(scontext, tcontext, tclass, 'Permission denied');
    return this.#policy.contextToString(r.context);
  }

  async checkContext(context: string): Promise<boolean> {
    return this.#validContext(context) !== undefined;
  }

  checkContextNow(context: string): boolean {
    return this.#validContext(context) !== undefined;
  }

  async unlabeledContext(): Promise<string> {
    return this.unlabeledContextNow();
  }

  unlabeledContextNow(): string {
    const c = this.#policy.initialContext();
    if (c === undefined) throw new PgError(SqlState.CONFIG_FILE_ERROR, `SELinux: policy "${this.#policy.db.source}" defines no unlabeled initial SID`);
    return this.#policy.contextToString(c);
  }

  #validContext(text: string): ContextStruct | undefined {
    const c = this.#policy.contextFromString(text);
    return c !== undefined && this.#policy.isValidContext(c) ? c : undefined;
  }
}

/** Reads a policy file through `fs`; errors name the file. */
export async function loadPolicyFile(fs: FileSystem, path: string): Promise<Policy> {
  let bytes: Uint8Array;
  try {
    const st = await fs.stat(path);
    if (st.sizeBytes > POLICY_FILE_BYTES_MAX) {
      throw new PgError(SqlState.CONFIG_FILE_ERROR, `SELinux: policy file "${path}" is ${st.sizeBytes} bytes, more than ${POLICY_FILE_BYTES_MAX}`);
    }
    bytes = await fs.readFile(path);
  } catch (err) {
    if (err instanceof PgError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new PgError(SqlState.CONFIG_FILE_ERROR, `SELinux: could not read policy file "${path}": ${code}`, { cause: err });
  }
  return Policy.load(bytes, path);
}
