// NodeFileSystem: the FileSystem interface over node:fs/promises, for the real server.
// Entry point: `new NodeFileSystem({ root })`. Durability follows FS1–FS4 of fs.ts:
// FileHandle.sync is fdatasync, syncDir fsyncs the directory itself, and writeFileAtomic
// is write-temp + sync + rename + syncDir. Errors are Node's own (with `.code`).

import { constants } from 'node:fs';
import type { FileHandle as NodeFileHandle } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { assert } from './assert.ts';
import type { FileHandle, FileStat, FileSystem, OpenOptions } from './fs.ts';

/** Permission bits of a new file unless told otherwise (owner read/write only). */
export const DEFAULT_FILE_MODE = 0o600;
/** Permission bits of a new directory unless told otherwise (owner only). */
export const DEFAULT_DIRECTORY_MODE = 0o700;

/** Options of {@link NodeFileSystem}. */
export interface NodeFileSystemOptions {
  /** Directory that relative paths resolve against (default: the process's working directory). */
  root?: string;
}

/** A {@link FileSystem} on the machine's real file system. */
export class NodeFileSystem implements FileSystem {
  readonly root: string;
  #tempCounter = 0;

  constructor(options: NodeFileSystemOptions = {}) {
    this.root = path.resolve(options.root ?? process.cwd());
  }

  /** The absolute path that `p` names. */
  resolve(p: string): string {
    return path.resolve(this.root, p);
  }

  async open(p: string, options: OpenOptions = {}): Promise<FileHandle> {
    const full = this.resolve(p);
    let flags = options.readOnly ? constants.O_RDONLY : constants.O_RDWR;
    if (options.create) flags |= constants.O_CREAT;
    if (options.create && options.exclusive) flags |= constants.O_EXCL;
    const handle = await fsp.open(full, flags, options.mode ?? DEFAULT_FILE_MODE);
    return new NodeFile(full, handle);
  }

  async readFile(p: string): Promise<Uint8Array> {
    const buf = await fsp.readFile(this.resolve(p));
    // A plain Uint8Array view, so that callers see the same type from every implementation.
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async writeFileAtomic(p: string, data: Uint8Array, mode: number = DEFAULT_FILE_MODE): Promise<void> {
    const full = this.resolve(p);
    const dir = path.dirname(full);
    this.#tempCounter += 1;
    const temp = path.join(dir, `.${path.basename(full)}.tmp.${process.pid}.${this.#tempCounter}`);
    const handle = await fsp.open(temp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, mode);
    let renamed = false;
    try {
      try {
        await writeAll(handle, data, 0, data.length, 0);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await fsp.rename(temp, full);
      renamed = true;
      await this.syncDir(dir);
    } finally {
      // The temporary file must not outlive a failure; the original error is what the caller sees.
      if (!renamed) await fsp.rm(temp, { force: true }).catch(() => undefined);
    }
  }

  async stat(p: string): Promise<FileStat> {
    const s = await fsp.stat(this.resolve(p));
    return { sizeBytes: s.size, isFile: s.isFile(), isDirectory: s.isDirectory(), mode: s.mode & 0o7777 };
  }

  async exists(p: string): Promise<boolean> {
    try {
      await fsp.stat(this.resolve(p));
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw err;
    }
  }

  async mkdir(p: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    await fsp.mkdir(this.resolve(p), { recursive: options.recursive ?? false, mode: options.mode ?? DEFAULT_DIRECTORY_MODE });
  }

  async readdir(p: string): Promise<string[]> {
    const names = await fsp.readdir(this.resolve(p));
    return names.sort();
  }

  async unlink(p: string): Promise<void> {
    await fsp.unlink(this.resolve(p));
  }

  async rename(from: string, to: string): Promise<void> {
    await fsp.rename(this.resolve(from), this.resolve(to));
  }

  async rm(p: string): Promise<void> {
    await fsp.rm(this.resolve(p), { recursive: true, force: true });
  }

  async chmod(p: string, mode: number): Promise<void> {
    await fsp.chmod(this.resolve(p), mode);
  }

  async syncDir(p: string): Promise<void> {
    // O_DIRECTORY: syncing a regular file here is a caller's mistake, reported as ENOTDIR.
    const handle = await fsp.open(this.resolve(p), constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** Writes all of `buffer[offset, offset+length)` at `position`; write(2) may write less than asked. */
async function writeAll(handle: NodeFileHandle, buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  let doneBytes = 0;
  // Bounded: every round writes at least one byte (asserted), so at most `length` rounds.
  while (doneBytes < length) {
    const { bytesWritten } = await handle.write(buffer, offset + doneBytes, length - doneBytes, position + doneBytes);
    assert(bytesWritten > 0 && bytesWritten <= length - doneBytes, () => `write returned ${bytesWritten}`);
    doneBytes += bytesWritten;
  }
}

class NodeFile implements FileHandle {
  readonly path: string;
  readonly #handle: NodeFileHandle;

  constructor(filePath: string, handle: NodeFileHandle) {
    this.path = filePath;
    this.#handle = handle;
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    assert(offset >= 0 && length >= 0 && offset + length <= buffer.length, 'read outside the buffer');
    const { bytesRead } = await this.#handle.read(buffer, offset, length, position);
    return bytesRead;
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    assert(offset >= 0 && length >= 0 && offset + length <= buffer.length, 'write outside the buffer');
    await writeAll(this.#handle, buffer, offset, length, position);
  }

  async sync(): Promise<void> {
    await this.#handle.datasync();
  }

  async truncate(lengthBytes: number): Promise<void> {
    await this.#handle.truncate(lengthBytes);
  }

  async size(): Promise<number> {
    return (await this.#handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}
