// SimulatedFileSystem: an in-memory FileSystem for crash and fault simulation.
// Entry points: `new SimulatedFileSystem()`, `crash(options)` (simulated power loss that
// keeps, drops or tears each unsynced write and keeps or loses each unsynced directory
// change, deterministically from a seed), `addFault` / `failOperation` (inject ENOSPC, EIO, …).
//
// Model. Every file is an inode with two images: `current` (what reads see, i.e. the page
// cache) and `durable` (what is on the platter), plus the log of data operations (writes,
// truncates) made since `durable` was last brought up to date. A successful sync marks every
// unsynced operation synced and folds the synced prefix of the log into `durable`. A failed
// sync marks them `failed` instead: as on Linux, they stay visible to reads but no later sync
// makes them durable, and a crash keeps, tears or drops them like any unsynced write (FS3).
// The namespace works the same way: `durableEntries` plus a log of directory operations
// (link, unlink, rename), each durable once every directory it touches has been synced.
// Operations take effect synchronously when called, so a crash falls between operations.

import * as posix from 'node:path/posix';
import { assert } from './assert.ts';
import { fsError, type FileHandle, type FileStat, type FileSystem, type OpenOptions } from './fs.ts';
import { DEFAULT_DIRECTORY_MODE, DEFAULT_FILE_MODE } from './fs-node.ts';

/** How {@link SimulatedFileSystem.crash} treats what was not yet durable. */
export interface CrashOptions {
  seed: number;
  /** probability that an unsynced write survives whole (default 0.5) */
  keepProbability?: number;
  /** probability that an unsynced write that does not survive whole is torn, i.e. a prefix of it survives, cut at a random byte offset (default 0.5); otherwise it is dropped */
  tearProbability?: number;
}

/** The operations a fault rule can target. Composite calls match each step they consist of (see README). */
export type FaultOp =
  | 'open' | 'read' | 'write' | 'sync' | 'truncate' | 'rename' | 'unlink' | 'mkdir' | 'syncDir'
  | 'writeFileAtomic' | 'readdir' | 'stat' | 'rm' | 'chmod' | 'close';

/** An injected failure. */
export interface FaultRule {
  op: FaultOp | '*';
  /** substring or RegExp the path must match (any path if absent) */
  path?: string | RegExp;
  code: 'ENOSPC' | 'EIO' | 'EACCES' | 'EROFS';
  /** fail the nth matching operation after the rule is added (1-based); default 1 */
  nth?: number;
  /** how many consecutive matching operations fail from then on (default 1; Infinity = until removed) */
  times?: number;
}

/** Options of {@link SimulatedFileSystem}. */
export interface SimulatedFileSystemOptions {
  /** Recorded in the instance; crash decisions use the seed passed to {@link SimulatedFileSystem.crash}. */
  seed?: number;
  /** Largest file (bytes); a write or truncate beyond it fails with EFBIG. Default 1 GiB + 1 MiB. */
  fileSizeBytesMax?: number;
  /** Most not-yet-durable operations kept per file and for the namespace; more is a test bug (assert). Default 200 000. */
  pendingOpCountMax?: number;
}

type InodeId = number;
type OpState = 'unsynced' | 'synced' | 'failed';
type DataOp =
  | { kind: 'write'; positionBytes: number; bytes: Uint8Array; state: OpState }
  | { kind: 'truncate'; lengthBytes: number; state: OpState };
type DirOp =
  | { kind: 'link'; dir: InodeId; name: string; inode: InodeId; pendingDirs: Set<InodeId>; failed: boolean }
  | { kind: 'unlink'; dir: InodeId; name: string; pendingDirs: Set<InodeId>; failed: boolean }
  | { kind: 'rename'; fromDir: InodeId; fromName: string; toDir: InodeId; toName: string; inode: InodeId; pendingDirs: Set<InodeId>; failed: boolean };

interface FileInode { kind: 'file'; id: InodeId; mode: number; current: ByteImage; durable: ByteImage; log: DataOp[] }
interface DirInode { kind: 'dir'; id: InodeId; mode: number; entries: Map<string, InodeId> }
type Inode = FileInode | DirInode;

const ROOT_ID: InodeId = 1;
const NAME_BYTES_MAX = 255;
const PATH_BYTES_MAX = 4096;
const FAULT_RULE_COUNT_MAX = 1024;
const FILE_SIZE_BYTES_MAX_DEFAULT = 1024 * 1024 * 1024 + 1024 * 1024;
const PENDING_OP_COUNT_MAX_DEFAULT = 200_000;

/** A growable byte array with a logical length; bytes past `sizeBytes` are garbage and every extension zero-fills. */
class ByteImage {
  data: Uint8Array;
  sizeBytes: number;

  constructor(data: Uint8Array = new Uint8Array(0), sizeBytes = data.length) {
    this.data = data;
    this.sizeBytes = sizeBytes;
  }

  copy(): ByteImage {
    return new ByteImage(this.data.slice(0, this.sizeBytes), this.sizeBytes);
  }

  contents(): Uint8Array {
    return this.data.slice(0, this.sizeBytes);
  }

  #reserve(capacityBytes: number): void {
    if (capacityBytes <= this.data.length) return;
    const grown = new Uint8Array(Math.max(capacityBytes, Math.min(this.data.length * 2, capacityBytes + (64 << 20))));
    grown.set(this.data.subarray(0, this.sizeBytes));
    this.data = grown;
  }

  /** Sets the length; growing zero-fills. */
  setSize(lengthBytes: number): void {
    if (lengthBytes > this.sizeBytes) {
      this.#reserve(lengthBytes);
      this.data.fill(0, this.sizeBytes, lengthBytes);
    }
    this.sizeBytes = lengthBytes;
  }

  write(positionBytes: number, bytes: Uint8Array): void {
    const end = positionBytes + bytes.length;
    if (end > this.sizeBytes) this.setSize(end);
    this.data.set(bytes, positionBytes);
  }

  apply(op: DataOp, prefixBytes?: number): void {
    if (op.kind === 'truncate') this.setSize(op.lengthBytes);
    else this.write(op.positionBytes, prefixBytes === undefined ? op.bytes : op.bytes.subarray(0, prefixBytes));
  }
}

/** mulberry32: a small, fast, seedable PRNG; enough for choosing crash outcomes reproducibly. */
class Prng {
  #state: number;
  constructor(seed: number) {
    // Scramble the seed (murmur3's finalizer) so that neighbouring seeds, which tests loop
    // over, start from unrelated states; mulberry32's first draws are correlated otherwise.
    let h = (seed ^ 0x9e3779b9) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.#state = (h ^ (h >>> 16)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

interface ActiveRule { rule: FaultRule; nth: number; times: number; matched: number }

/** An in-memory {@link FileSystem} that simulates power loss, torn writes and I/O errors. See the package README. */
export class SimulatedFileSystem implements FileSystem {
  readonly seed: number;
  readonly #fileSizeBytesMax: number;
  readonly #pendingOpCountMax: number;
  #inodes = new Map<InodeId, Inode>();
  #nextInodeId = ROOT_ID + 1;
  /** The namespace as it is on disk before the operations in #dirLog. */
  #durableEntries = new Map<InodeId, Map<string, InodeId>>();
  #dirLog: DirOp[] = [];
  #openHandleCount = new Map<InodeId, number>();
  #inodeCountAfterGc = 1;
  #dead = false;
  #operationCount = 0;
  #rules: ActiveRule[] = [];
  #failAt = new Map<number, FaultRule['code']>();

  constructor(options: SimulatedFileSystemOptions = {}) {
    this.seed = options.seed ?? 0;
    this.#fileSizeBytesMax = options.fileSizeBytesMax ?? FILE_SIZE_BYTES_MAX_DEFAULT;
    this.#pendingOpCountMax = options.pendingOpCountMax ?? PENDING_OP_COUNT_MAX_DEFAULT;
    this.#inodes.set(ROOT_ID, { kind: 'dir', id: ROOT_ID, mode: DEFAULT_DIRECTORY_MODE, entries: new Map() });
  }

  // ---------------------------------------------------------------- simulation controls

  /** Number of operations performed so far (every FileSystem/FileHandle call counts, also failed ones). */
  get operationCount(): number {
    return this.#operationCount;
  }

  /** Bytes of file content currently stored in files reachable from the root. */
  get storedBytes(): number {
    let total = 0;
    this.#walk(ROOT_ID, (inode) => {
      if (inode.kind === 'file') total += inode.current.sizeBytes;
    });
    return total;
  }

  /** True once {@link crash} has been called on this instance. */
  get isDead(): boolean {
    return this.#dead;
  }

  /** Adds a fault rule; returns a function that removes it. */
  addFault(rule: FaultRule): () => void {
    const nth = rule.nth ?? 1;
    const times = rule.times ?? 1;
    assert(Number.isInteger(nth) && nth >= 1, 'FaultRule.nth must be an integer ≥ 1');
    assert(times === Infinity || (Number.isInteger(times) && times >= 1), 'FaultRule.times must be an integer ≥ 1 or Infinity');
    assert(this.#rules.length < FAULT_RULE_COUNT_MAX, `at most ${FAULT_RULE_COUNT_MAX} fault rules`);
    const active: ActiveRule = { rule: { ...rule }, nth, times, matched: 0 };
    this.#rules.push(active);
    return () => {
      this.#rules = this.#rules.filter((r) => r !== active);
    };
  }

  clearFaults(): void {
    this.#rules = [];
    this.#failAt.clear();
  }

  /** Fail the operation whose number (operationCount after it) equals n, with code. */
  failOperation(n: number, code: FaultRule['code']): void {
    assert(Number.isInteger(n) && n > this.#operationCount, () => `operation ${n} is not in the future (count is ${this.#operationCount})`);
    this.#failAt.set(n, code);
  }

  /**
   * Simulated power loss. Returns a NEW file system holding only what would be on disk: synced
   * data, plus each unsynced write (per write, in order) kept, dropped or torn per `options`;
   * unsynced directory-entry changes are each kept or lost too. This instance becomes dead:
   * every later call on it or its open handles rejects with EIO.
   */
  crash(options: CrashOptions): SimulatedFileSystem {
    if (this.#dead) throw fsError('EIO', 'crash', '/', 'EIO: the simulated file system has already crashed');
    const keep = options.keepProbability ?? 0.5;
    const tear = options.tearProbability ?? 0.5;
    assert(keep >= 0 && keep <= 1 && tear >= 0 && tear <= 1, 'probabilities must lie in [0, 1]');
    const rng = new Prng(options.seed);
    this.#dead = true;

    const entries = cloneEntries(this.#durableEntries);
    for (const op of this.#dirLog) {
      if (isDurable(op) || rng.next() < keep) applyDirOp(entries, op);
    }

    const next = new SimulatedFileSystem({ seed: this.seed, fileSizeBytesMax: this.#fileSizeBytesMax, pendingOpCountMax: this.#pendingOpCountMax });
    next.#nextInodeId = this.#nextInodeId;
    const root = next.#inodes.get(ROOT_ID) as DirInode;
    root.mode = (this.#inodes.get(ROOT_ID) as DirInode).mode;
    // Depth-first from the root in name order, so that the random draws are reproducible.
    const stack: InodeId[] = [ROOT_ID];
    const seen = new Set<InodeId>([ROOT_ID]);
    while (stack.length > 0) {
      const dirId = stack.pop() as InodeId;
      const names = [...(entries.get(dirId)?.keys() ?? [])].sort();
      const kept = new Map<string, InodeId>();
      for (const name of names) {
        const id = entries.get(dirId)?.get(name) as InodeId;
        const inode = this.#inodes.get(id);
        assert(inode !== undefined, () => `crash: entry ${name} names unknown inode ${id}`);
        if (seen.has(id)) {
          // Lost renames can leave a second name for a directory (even one inside itself);
          // a directory keeps only the first name found, so the tree stays a tree.
          if (inode.kind === 'file') kept.set(name, id);
          continue;
        }
        kept.set(name, id);
        seen.add(id);
        if (inode.kind === 'dir') {
          next.#inodes.set(id, { kind: 'dir', id, mode: inode.mode, entries: new Map() });
          stack.push(id);
        } else {
          const image = crashImage(inode, rng, keep, tear);
          next.#inodes.set(id, { kind: 'file', id, mode: inode.mode, current: image, durable: image.copy(), log: [] });
        }
      }
      (next.#inodes.get(dirId) as DirInode).entries = kept;
      next.#durableEntries.set(dirId, new Map(kept));
    }
    next.#inodeCountAfterGc = next.#inodes.size;
    this.#openHandleCount.clear();
    return next;
  }

  /** A deep copy of the whole state, unsynced data included; faults and the operation count are not copied. */
  clone(): SimulatedFileSystem {
    if (this.#dead) throw fsError('EIO', 'clone', '/', 'EIO: the simulated file system has crashed');
    const copy = new SimulatedFileSystem({ seed: this.seed, fileSizeBytesMax: this.#fileSizeBytesMax, pendingOpCountMax: this.#pendingOpCountMax });
    copy.#nextInodeId = this.#nextInodeId;
    for (const [id, inode] of this.#inodes) {
      if (inode.kind === 'dir') {
        copy.#inodes.set(id, { kind: 'dir', id, mode: inode.mode, entries: new Map(inode.entries) });
      } else {
        copy.#inodes.set(id, {
          kind: 'file', id, mode: inode.mode, current: inode.current.copy(), durable: inode.durable.copy(),
          log: inode.log.map((op) => ({ ...op })),
        });
      }
    }
    copy.#durableEntries = cloneEntries(this.#durableEntries);
    copy.#dirLog = this.#dirLog.map((op) => ({ ...op, pendingDirs: new Set(op.pendingDirs) }));
    return copy;
  }

  // ---------------------------------------------------------------- FileSystem

  async open(path: string, options: OpenOptions = {}): Promise<FileHandle> {
    const p = this.#begin(['open'], 'open', path);
    const { dir, name } = this.#resolveParent(p, 'open');
    const existing = dir.entries.get(name);
    let inode: FileInode;
    if (existing !== undefined) {
      const found = this.#inode(existing);
      if (found.kind === 'dir') throw fsError('EISDIR', 'open', p);
      if (options.create && options.exclusive) throw fsError('EEXIST', 'open', p);
      inode = found;
    } else {
      if (!options.create) throw fsError('ENOENT', 'open', p);
      inode = this.#newFile(options.mode ?? DEFAULT_FILE_MODE);
      this.#link(dir, name, inode.id);
    }
    this.#openHandleCount.set(inode.id, (this.#openHandleCount.get(inode.id) ?? 0) + 1);
    return new SimulatedFile(this, p, inode, options.readOnly ?? false);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const p = this.#begin(['open', 'read'], 'open', path);
    const inode = this.#lookup(p, 'open');
    if (inode.kind === 'dir') throw fsError('EISDIR', 'read', p);
    return inode.current.contents();
  }

  async writeFileAtomic(path: string, data: Uint8Array, mode: number = DEFAULT_FILE_MODE): Promise<void> {
    const p = this.#begin(['writeFileAtomic', 'open', 'write', 'sync', 'rename', 'syncDir'], 'open', path);
    const { dir, name } = this.#resolveParent(p, 'open');
    const existing = dir.entries.get(name);
    if (existing !== undefined && this.#inode(existing).kind === 'dir') throw fsError('EISDIR', 'rename', p);
    this.#checkSize(data.length, p, 'write');
    // The same end state as temp file + write + sync + rename + syncDir, reached in one step:
    // the new inode's data is durable before the entry that names it changes, and the entry
    // change is made durable at once, so a crash can only see the old or the new content.
    const inode = this.#newFile(mode);
    inode.current = new ByteImage(data.slice());
    inode.durable = inode.current.copy();
    this.#link(dir, name, inode.id);
    this.#syncDirInode(dir.id);
  }

  async stat(path: string): Promise<FileStat> {
    const p = this.#begin(['stat'], 'stat', path);
    return statOf(this.#lookup(p, 'stat'));
  }

  async exists(path: string): Promise<boolean> {
    const p = this.#begin(['stat'], 'stat', path);
    try {
      this.#lookup(p, 'stat');
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw err;
    }
  }

  async mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const p = this.#begin(['mkdir'], 'mkdir', path);
    const mode = options.mode ?? DEFAULT_DIRECTORY_MODE;
    if (!options.recursive) {
      if (p === '/') throw fsError('EEXIST', 'mkdir', p);
      const { dir, name } = this.#resolveParent(p, 'mkdir');
      if (dir.entries.has(name)) throw fsError('EEXIST', 'mkdir', p);
      this.#link(dir, name, this.#newDir(mode).id);
      return;
    }
    const parts = components(p);
    let dir = this.#inode(ROOT_ID) as DirInode;
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i] as string;
      const id = dir.entries.get(name);
      if (id === undefined) {
        const created = this.#newDir(mode);
        this.#link(dir, name, created.id);
        dir = created;
        continue;
      }
      const child = this.#inode(id);
      if (child.kind !== 'dir') throw fsError(i === parts.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', p);
      dir = child;
    }
  }

  async readdir(path: string): Promise<string[]> {
    const p = this.#begin(['readdir'], 'scandir', path);
    const inode = this.#lookup(p, 'scandir');
    if (inode.kind !== 'dir') throw fsError('ENOTDIR', 'scandir', p);
    return [...inode.entries.keys()].sort();
  }

  async unlink(path: string): Promise<void> {
    const p = this.#begin(['unlink'], 'unlink', path);
    if (p === '/') throw fsError('EISDIR', 'unlink', p);
    const { dir, name } = this.#resolveParent(p, 'unlink');
    const id = dir.entries.get(name);
    if (id === undefined) throw fsError('ENOENT', 'unlink', p);
    if (this.#inode(id).kind === 'dir') throw fsError('EISDIR', 'unlink', p);
    this.#unlink(dir, name);
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.#begin(['rename'], 'rename', from, to);
    const dst = normalize(to);
    if (src === '/' || dst === '/') throw fsError('EBUSY', 'rename', src);
    const a = this.#resolveParent(src, 'rename');
    const id = a.dir.entries.get(a.name);
    if (id === undefined) throw fsError('ENOENT', 'rename', src);
    const b = this.#resolveParent(dst, 'rename');
    if (src === dst) return;
    const moving = this.#inode(id);
    if (moving.kind === 'dir' && dst.startsWith(`${src}/`)) throw fsError('EINVAL', 'rename', src);
    const targetId = b.dir.entries.get(b.name);
    if (targetId !== undefined) {
      const target = this.#inode(targetId);
      if (moving.kind === 'file' && target.kind === 'dir') throw fsError('EISDIR', 'rename', dst);
      if (moving.kind === 'dir' && target.kind === 'file') throw fsError('ENOTDIR', 'rename', dst);
      if (target.kind === 'dir' && target.entries.size > 0) throw fsError('ENOTEMPTY', 'rename', dst);
    }
    a.dir.entries.delete(a.name);
    b.dir.entries.set(b.name, id);
    this.#logDirOp({
      kind: 'rename', fromDir: a.dir.id, fromName: a.name, toDir: b.dir.id, toName: b.name, inode: id,
      pendingDirs: new Set([a.dir.id, b.dir.id]), failed: false,
    });
  }

  async rm(path: string): Promise<void> {
    const p = this.#begin(['rm'], 'rm', path);
    if (p === '/') throw fsError('EBUSY', 'rm', p);
    let parent: { dir: DirInode; name: string };
    try {
      parent = this.#resolveParent(p, 'rm');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    // One entry removal detaches the whole tree; a crash before syncDir may bring it back whole.
    if (parent.dir.entries.has(parent.name)) this.#unlink(parent.dir, parent.name);
  }

  async chmod(path: string, mode: number): Promise<void> {
    const p = this.#begin(['chmod'], 'chmod', path);
    this.#lookup(p, 'chmod').mode = mode & 0o7777;
  }

  async syncDir(path: string): Promise<void> {
    const { p, fault } = this.#begin(['syncDir'], 'fsync', path, undefined, true);
    const inode = this.#lookup(p, 'open');
    if (inode.kind !== 'dir') throw fsError('ENOTDIR', 'open', p);
    if (fault !== undefined) {
      // Like a failed fsync of a file: the entry changes of this directory stay in an unknown
      // state, and no later syncDir makes them durable.
      for (const op of this.#dirLog) {
        if (op.pendingDirs.has(inode.id)) op.failed = true;
      }
      throw fsError(fault, 'fsync', p);
    }
    this.#syncDirInode(inode.id);
  }

  // ---------------------------------------------------------------- handle operations

  /** @internal Counts a handle operation and applies faults; returns the deferred fault of a sync. */
  _handleBegin(op: FaultOp, syscall: string, path: string): FaultRule['code'] | undefined {
    const { p, fault } = this.#begin([op], syscall, path, undefined, true);
    if (fault !== undefined && op !== 'sync') throw fsError(fault, syscall, p);
    return fault;
  }

  /** @internal */
  _read(inode: FileInode, buffer: Uint8Array, offset: number, length: number, position: number): number {
    const image = inode.current;
    if (position >= image.sizeBytes) return 0;
    const count = Math.min(length, image.sizeBytes - position);
    buffer.set(image.data.subarray(position, position + count), offset);
    return count;
  }

  /** @internal */
  _write(inode: FileInode, path: string, buffer: Uint8Array, offset: number, length: number, position: number): void {
    this.#checkSize(position + length, path, 'write');
    const bytes = buffer.slice(offset, offset + length);
    inode.current.write(position, bytes);
    this.#logDataOp(inode, { kind: 'write', positionBytes: position, bytes, state: 'unsynced' });
  }

  /** @internal */
  _truncate(inode: FileInode, path: string, lengthBytes: number): void {
    this.#checkSize(lengthBytes, path, 'ftruncate');
    inode.current.setSize(lengthBytes);
    this.#logDataOp(inode, { kind: 'truncate', lengthBytes, state: 'unsynced' });
  }

  /** @internal */
  _sync(inode: FileInode, path: string, fault: FaultRule['code'] | undefined): void {
    if (fault !== undefined) {
      // Linux after a failed fsync: the dirty pages are marked clean, the data stays readable,
      // and whether it reached the disk is unknown. No later sync will write it (FS3).
      for (const op of inode.log) {
        if (op.state === 'unsynced') op.state = 'failed';
      }
      throw fsError(fault, 'fdatasync', path);
    }
    for (const op of inode.log) {
      if (op.state === 'unsynced') op.state = 'synced';
    }
    let folded = 0;
    while (folded < inode.log.length && (inode.log[folded] as DataOp).state === 'synced') {
      inode.durable.apply(inode.log[folded] as DataOp);
      folded += 1;
    }
    if (folded > 0) inode.log.splice(0, folded);
  }

  /** @internal */
  _size(inode: FileInode): number {
    return inode.current.sizeBytes;
  }

  /** @internal */
  _close(inode: FileInode): void {
    const count = this.#openHandleCount.get(inode.id) ?? 0;
    assert(count > 0, 'close of a handle that is not counted as open');
    if (count === 1) this.#openHandleCount.delete(inode.id);
    else this.#openHandleCount.set(inode.id, count - 1);
  }

  // ---------------------------------------------------------------- internals

  /**
   * Counts the operation, refuses it on a crashed instance, and applies fault rules. Returns the
   * normalized path. A fault is thrown here, before the operation has any effect, except for
   * sync and syncDir (`deferFault`): their failure has an effect, so the caller receives the code.
   */
  #begin(ops: readonly FaultOp[], syscall: string, path: string, path2?: string): string;
  #begin(ops: readonly FaultOp[], syscall: string, path: string, path2: string | undefined, deferFault: true): { p: string; fault: FaultRule['code'] | undefined };
  #begin(ops: readonly FaultOp[], syscall: string, path: string, path2?: string, deferFault = false): string | { p: string; fault: FaultRule['code'] | undefined } {
    if (this.#dead) throw fsError('EIO', syscall, path, `EIO: ${syscall} '${path}' on a crashed simulated file system`);
    this.#operationCount += 1;
    const p = normalize(path);
    const paths = path2 === undefined ? [p] : [p, normalize(path2)];
    let code = this.#failAt.get(this.#operationCount);
    if (code !== undefined) this.#failAt.delete(this.#operationCount);
    for (const active of this.#rules) {
      const { rule } = active;
      if (rule.op !== '*' && !ops.includes(rule.op)) continue;
      if (rule.path !== undefined && !paths.some((candidate) => pathMatches(rule.path as string | RegExp, candidate))) continue;
      active.matched += 1;
      if (code === undefined && active.matched >= active.nth && active.matched < active.nth + active.times) code = rule.code;
    }
    // A rule that has failed its last operation is spent.
    this.#rules = this.#rules.filter((r) => r.matched < r.nth + r.times - 1);
    if (code !== undefined && !deferFault) throw fsError(code, syscall, p);
    checkPathLength(p, syscall);
    return deferFault ? { p, fault: code } : p;
  }

  #inode(id: InodeId): Inode {
    const inode = this.#inodes.get(id);
    assert(inode !== undefined, () => `unknown inode ${id}`);
    return inode;
  }

  #lookup(p: string, syscall: string): Inode {
    let inode = this.#inode(ROOT_ID);
    for (const name of components(p)) {
      if (inode.kind !== 'dir') throw fsError('ENOTDIR', syscall, p);
      const id = inode.entries.get(name);
      if (id === undefined) throw fsError('ENOENT', syscall, p);
      inode = this.#inode(id);
    }
    return inode;
  }

  #resolveParent(p: string, syscall: string): { dir: DirInode; name: string } {
    assert(p !== '/', 'the root has no parent');
    const parent = this.#lookup(posix.dirname(p), syscall);
    if (parent.kind !== 'dir') throw fsError('ENOTDIR', syscall, p);
    return { dir: parent, name: posix.basename(p) };
  }

  #newFile(mode: number): FileInode {
    const inode: FileInode = { kind: 'file', id: this.#nextInodeId++, mode: mode & 0o7777, current: new ByteImage(), durable: new ByteImage(), log: [] };
    this.#inodes.set(inode.id, inode);
    return inode;
  }

  #newDir(mode: number): DirInode {
    const inode: DirInode = { kind: 'dir', id: this.#nextInodeId++, mode: mode & 0o7777, entries: new Map() };
    this.#inodes.set(inode.id, inode);
    return inode;
  }

  #link(dir: DirInode, name: string, id: InodeId): void {
    dir.entries.set(name, id);
    this.#logDirOp({ kind: 'link', dir: dir.id, name, inode: id, pendingDirs: new Set([dir.id]), failed: false });
  }

  #unlink(dir: DirInode, name: string): void {
    dir.entries.delete(name);
    this.#logDirOp({ kind: 'unlink', dir: dir.id, name, pendingDirs: new Set([dir.id]), failed: false });
  }

  #logDirOp(op: DirOp): void {
    assert(this.#dirLog.length < this.#pendingOpCountMax,
      () => `more than ${this.#pendingOpCountMax} directory changes not yet made durable by syncDir`);
    this.#dirLog.push(op);
  }

  #logDataOp(inode: FileInode, op: DataOp): void {
    assert(inode.log.length < this.#pendingOpCountMax,
      () => `more than ${this.#pendingOpCountMax} writes to one file not yet made durable by sync`);
    inode.log.push(op);
  }

  #checkSize(endBytes: number, p: string, syscall: string): void {
    assert(Number.isInteger(endBytes) && endBytes >= 0, () => `bad file position or length ${endBytes}`);
    if (endBytes > this.#fileSizeBytesMax) throw fsError('EFBIG', syscall, p);
  }

  #syncDirInode(dirId: InodeId): void {
    for (const op of this.#dirLog) op.pendingDirs.delete(dirId);
    let folded = 0;
    while (folded < this.#dirLog.length && isDurable(this.#dirLog[folded] as DirOp)) {
      applyDirOp(this.#durableEntries, this.#dirLog[folded] as DirOp);
      folded += 1;
    }
    if (folded > 0) this.#dirLog.splice(0, folded);
    if (this.#dirLog.length === 0 && this.#inodes.size > 2 * this.#inodeCountAfterGc + 64) this.#collectGarbage();
  }

  /** Drops inodes that no entry (current or durable) and no open handle names any more. Amortized: runs when the count has doubled. */
  #collectGarbage(): void {
    assert(this.#dirLog.length === 0, 'garbage collection needs a fully durable namespace');
    const live = new Set<InodeId>(this.#openHandleCount.keys());
    this.#walk(ROOT_ID, (inode) => live.add(inode.id));
    for (const id of this.#inodes.keys()) {
      if (!live.has(id)) this.#inodes.delete(id);
    }
    this.#inodeCountAfterGc = this.#inodes.size;
  }

  /** Visits every inode reachable from `startId` in the current namespace, once each. */
  #walk(startId: InodeId, visit: (inode: Inode) => void): void {
    // Bounded by the number of inodes: each is pushed at most once.
    const seen = new Set<InodeId>([startId]);
    const stack = [startId];
    while (stack.length > 0) {
      const inode = this.#inode(stack.pop() as InodeId);
      visit(inode);
      if (inode.kind !== 'dir') continue;
      for (const id of inode.entries.values()) {
        if (seen.has(id)) continue;
        seen.add(id);
        stack.push(id);
      }
    }
  }
}

class SimulatedFile implements FileHandle {
  readonly path: string;
  readonly #fs: SimulatedFileSystem;
  readonly #inode: FileInode;
  readonly #readOnly: boolean;
  #closed = false;

  constructor(fs: SimulatedFileSystem, path: string, inode: FileInode, readOnly: boolean) {
    this.#fs = fs;
    this.path = path;
    this.#inode = inode;
    this.#readOnly = readOnly;
  }

  #begin(op: FaultOp, syscall: string, writes: boolean): FaultRule['code'] | undefined {
    const fault = this.#fs._handleBegin(op, syscall, this.path);
    if (this.#closed) throw fsError('EBADF', syscall, this.path);
    if (writes && this.#readOnly) throw fsError('EBADF', syscall, this.path);
    return fault;
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    assert(offset >= 0 && length >= 0 && offset + length <= buffer.length, 'read outside the buffer');
    assert(Number.isInteger(position) && position >= 0, 'bad read position');
    this.#begin('read', 'read', false);
    return this.#fs._read(this.#inode, buffer, offset, length, position);
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    assert(offset >= 0 && length >= 0 && offset + length <= buffer.length, 'write outside the buffer');
    assert(Number.isInteger(position) && position >= 0, 'bad write position');
    this.#begin('write', 'write', true);
    this.#fs._write(this.#inode, this.path, buffer, offset, length, position);
  }

  async sync(): Promise<void> {
    const fault = this.#begin('sync', 'fdatasync', false);
    this.#fs._sync(this.#inode, this.path, fault);
  }

  async truncate(lengthBytes: number): Promise<void> {
    this.#begin('truncate', 'ftruncate', true);
    this.#fs._truncate(this.#inode, this.path, lengthBytes);
  }

  async size(): Promise<number> {
    this.#begin('stat', 'fstat', false);
    return this.#fs._size(this.#inode);
  }

  async close(): Promise<void> {
    const wasClosed = this.#closed;
    try {
      this.#fs._handleBegin('close', 'close', this.path);
    } finally {
      // As on Linux, the descriptor is released even when close reports an error.
      if (!wasClosed && !this.#fs.isDead) {
        this.#closed = true;
        this.#fs._close(this.#inode);
      }
    }
    if (wasClosed) throw fsError('EBADF', 'close', this.path);
  }
}

function normalize(p: string): string {
  const resolved = posix.resolve('/', p);
  return resolved.length > 1 && resolved.endsWith('/') ? resolved.slice(0, -1) : resolved;
}

function components(p: string): string[] {
  return p === '/' ? [] : p.slice(1).split('/');
}

function checkPathLength(p: string, syscall: string): void {
  if (Buffer.byteLength(p) >= PATH_BYTES_MAX) throw fsError('ENAMETOOLONG', syscall, p);
  for (const name of components(p)) {
    if (Buffer.byteLength(name) > NAME_BYTES_MAX) throw fsError('ENAMETOOLONG', syscall, p);
  }
}

function pathMatches(pattern: string | RegExp, p: string): boolean {
  if (typeof pattern === 'string') return p.includes(pattern);
  pattern.lastIndex = 0;
  return pattern.test(p);
}

function statOf(inode: Inode): FileStat {
  return inode.kind === 'file'
    ? { sizeBytes: inode.current.sizeBytes, isFile: true, isDirectory: false, mode: inode.mode }
    : { sizeBytes: 0, isFile: false, isDirectory: true, mode: inode.mode };
}

function isDurable(op: DirOp): boolean {
  return op.pendingDirs.size === 0 && !op.failed;
}

function cloneEntries(entries: Map<InodeId, Map<string, InodeId>>): Map<InodeId, Map<string, InodeId>> {
  const copy = new Map<InodeId, Map<string, InodeId>>();
  for (const [id, names] of entries) copy.set(id, new Map(names));
  return copy;
}

function dirEntries(entries: Map<InodeId, Map<string, InodeId>>, dir: InodeId): Map<string, InodeId> {
  let names = entries.get(dir);
  if (names === undefined) {
    names = new Map();
    entries.set(dir, names);
  }
  return names;
}

/** Applies a directory operation to a namespace image; tolerant of earlier operations having been lost. */
function applyDirOp(entries: Map<InodeId, Map<string, InodeId>>, op: DirOp): void {
  switch (op.kind) {
    case 'link':
      dirEntries(entries, op.dir).set(op.name, op.inode);
      return;
    case 'unlink':
      dirEntries(entries, op.dir).delete(op.name);
      return;
    case 'rename': {
      const from = dirEntries(entries, op.fromDir);
      if (from.get(op.fromName) === op.inode) from.delete(op.fromName);
      dirEntries(entries, op.toDir).set(op.toName, op.inode);
      return;
    }
  }
}

/** What a crash leaves of a file: the durable image plus each pending operation kept, torn or dropped. */
function crashImage(inode: FileInode, rng: Prng, keep: number, tear: number): ByteImage {
  const image = inode.durable.copy();
  for (const op of inode.log) {
    if (op.state === 'synced' || rng.next() < keep) {
      image.apply(op);
    } else if (op.kind === 'write' && op.bytes.length >= 2 && rng.next() < tear) {
      image.apply(op, rng.int(1, op.bytes.length - 1));
    }
  }
  return image;
}
