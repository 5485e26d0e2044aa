// CrashingFileSystem: power loss at a chosen operation. It wraps a SimulatedFileSystem; once the
// simulated disk has done `crashAtOperation` operations it crashes (each unsynced write kept,
// torn or dropped by the seed, SIM rules) and every later call fails with EIO, as on a dead
// machine. Crash tests run a workload through it, then recover from `crashNow()`.

import { fsError, type FileHandle, type FileStat, type FileSystem, type OpenOptions } from './fs.ts';
import type { SimulatedFileSystem } from './fs-sim.ts';

/** When and how the disk loses power. */
export interface CrashPlan { crashAtOperation: number; seed: number; keepProbability?: number; tearProbability?: number }

/** A FileSystem that loses power after a number of operations of the disk beneath it. */
export class CrashingFileSystem implements FileSystem {
  #after: SimulatedFileSystem | undefined;

  constructor(readonly disk: SimulatedFileSystem, public plan: CrashPlan) {}

  /** The disk after the crash (crashing now if it has not happened yet). */
  crashNow(): SimulatedFileSystem {
    this.#after ??= this.disk.crash({ seed: this.plan.seed, keepProbability: this.plan.keepProbability ?? 0.5, tearProbability: this.plan.tearProbability ?? 0.5 });
    return this.#after;
  }

  get crashed(): boolean {
    return this.#after !== undefined;
  }

  /** Throws EIO once crashed; crashes when the operation budget is spent. */
  check(path: string): void {
    if (!this.#after && this.disk.operationCount >= this.plan.crashAtOperation) this.crashNow();
    if (this.#after) throw fsError('EIO', 'crashed', path);
  }

  async open(path: string, options?: OpenOptions): Promise<FileHandle> {
    this.check(path);
    return new CrashingHandle(this, await this.disk.open(path, options));
  }
  async readFile(path: string): Promise<Uint8Array> { this.check(path); return this.disk.readFile(path); }
  async writeFileAtomic(path: string, data: Uint8Array, mode?: number): Promise<void> { this.check(path); return this.disk.writeFileAtomic(path, data, mode); }
  async stat(path: string): Promise<FileStat> { this.check(path); return this.disk.stat(path); }
  async exists(path: string): Promise<boolean> { this.check(path); return this.disk.exists(path); }
  async mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void> { this.check(path); return this.disk.mkdir(path, options); }
  async readdir(path: string): Promise<string[]> { this.check(path); return this.disk.readdir(path); }
  async unlink(path: string): Promise<void> { this.check(path); return this.disk.unlink(path); }
  async rename(from: string, to: string): Promise<void> { this.check(from); return this.disk.rename(from, to); }
  async rm(path: string): Promise<void> { this.check(path); return this.disk.rm(path); }
  async chmod(path: string, mode: number): Promise<void> { this.check(path); return this.disk.chmod(path, mode); }
  async syncDir(path: string): Promise<void> { this.check(path); return this.disk.syncDir(path); }
}

class CrashingHandle implements FileHandle {
  constructor(readonly owner: CrashingFileSystem, readonly inner: FileHandle) {}
  get path(): string { return this.inner.path; }
  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> { this.owner.check(this.path); return this.inner.read(buffer, offset, length, position); }
  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> { this.owner.check(this.path); return this.inner.write(buffer, offset, length, position); }
  async sync(): Promise<void> { this.owner.check(this.path); return this.inner.sync(); }
  async truncate(lengthBytes: number): Promise<void> { this.owner.check(this.path); return this.inner.truncate(lengthBytes); }
  async size(): Promise<number> { this.owner.check(this.path); return this.inner.size(); }
  async close(): Promise<void> { if (this.owner.crashed) return; return this.inner.close(); }
}
