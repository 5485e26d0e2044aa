// The file-system interface. Every Palisade package does its file I/O through it, so that
// tests can substitute an implementation that loses unsynced writes on a simulated crash,
// tears writes, or fails with ENOSPC / EIO / a failed fsync.
//
// Durability contract (the same as POSIX with a careful reader of fsync(2)):
//  FS1. Data written with FileHandle.write is durable only after FileHandle.sync resolves.
//  FS2. A created, renamed or unlinked directory entry is durable only after syncDir on its
//       parent directory resolves.
//  FS3. After a failed sync the state of the unsynced data is unknown; callers never retry
//       and carry on (PostgreSQL's fsync lesson): they stop and recover from WAL.
//  FS4. Writes are not atomic: a crash may leave any prefix (at sector granularity or finer)
//       of an unsynced write on disk.

/** How a file is opened. */
export interface OpenOptions {
  /** Create the file if it does not exist. */
  create?: boolean;
  /** With `create`: fail with EEXIST if the file exists. */
  exclusive?: boolean;
  /** Open read-only; writes fail with EBADF. */
  readOnly?: boolean;
  /** Permission bits for a new file (default 0o600). */
  mode?: number;
}

/** An open file. Positions and lengths are in bytes. */
export interface FileHandle {
  readonly path: string;
  /** Reads up to `length` bytes at `position` into `buffer[offset…]`; resolves to the count read (0 at end of file). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** Writes all `length` bytes of `buffer[offset…]` at `position` (extending the file if needed). */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<void>;
  /** Makes every write to this file durable (fdatasync). See FS1, FS3. */
  sync(): Promise<void>;
  /** Sets the file's length. Not durable until {@link sync}. */
  truncate(lengthBytes: number): Promise<void>;
  /** Current length in bytes. */
  size(): Promise<number>;
  close(): Promise<void>;
}

/** What {@link FileSystem.stat} reports. */
export interface FileStat {
  sizeBytes: number;
  isFile: boolean;
  isDirectory: boolean;
  /** Permission bits (mode & 0o7777). */
  mode: number;
}

/**
 * The file system as Palisade uses it. Paths are absolute or relative to the implementation's root.
 * Errors are Node-style: an `Error` with `code` set to `ENOENT`, `EEXIST`, `ENOSPC`, `EIO`, ….
 */
export interface FileSystem {
  open(path: string, options?: OpenOptions): Promise<FileHandle>;
  /** Reads a whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Writes a whole file durably and atomically: writes a temporary file, syncs it, renames it
   * over `path` and syncs the directory. A crash leaves either the old or the new content.
   */
  writeFileAtomic(path: string, data: Uint8Array, mode?: number): Promise<void>;
  stat(path: string): Promise<FileStat>;
  /** True if something exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** Creates a directory (and parents with `recursive`); default mode 0o700. */
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  /** Names in a directory, sorted. */
  readdir(path: string): Promise<string[]>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a directory tree, or a file; no error if absent. */
  rm(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  /** fsyncs a directory so that entries created, renamed or removed in it are durable. See FS2. */
  syncDir(path: string): Promise<void>;
}

/** Makes a Node-style file-system error (`err.code`), as the implementations and fault injectors throw. */
export function fsError(code: string, syscall: string, path: string, message?: string): NodeJS.ErrnoException {
  const err = new Error(message ?? `${code}: ${syscall} '${path}'`) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}
