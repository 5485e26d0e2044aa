// The data directory as the postmaster guards it: permissions (PM8), the postmaster.pid lock
// file in PostgreSQL's format (PM9) and the Unix socket lock files (PM3).
// Entry points: checkDataDirectory, PidFile, socketLockPath.

import { PgError, SqlState, type FileSystem } from '@palisade/common';

/** Group-write or any access by others makes a data directory unsafe (PostgreSQL's PG_MODE_MASK_GROUP). */
const DATA_DIR_FORBIDDEN_MODE = 0o027;

/** PM8: refuses a missing data directory or one that group can write or others can access. */
export async function checkDataDirectory(fs: FileSystem, dataDir: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(dataDir);
  } catch (e) {
    throw new PgError(SqlState.UNDEFINED_FILE, `data directory "${dataDir}" does not exist`, { severity: 'FATAL', cause: e });
  }
  if (!stat.isDirectory) throw new PgError(SqlState.CONFIG_FILE_ERROR, `specified data directory "${dataDir}" is not a directory`, { severity: 'FATAL' });
  if ((stat.mode & DATA_DIR_FORBIDDEN_MODE) !== 0) {
    throw new PgError(SqlState.OBJECT_NOT_IN_PREREQUISITE_STATE, `data directory "${dataDir}" has invalid permissions`, {
      severity: 'FATAL', detail: 'Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).',
    });
  }
}

/** postmaster.pid's status line values (PostgreSQL pads them to 8 characters). */
export type PmStatus = 'starting' | 'stopping' | 'ready   ' | 'standby ';

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const encoder = new TextEncoder();

/**
 * A lock file holding PostgreSQL's lines: pid, data directory, start time (epoch seconds), port,
 * first socket directory, first listen address, shared-memory key line, status. A file left by a
 * process that is gone is replaced; one held by a live process other than this one is refused.
 */
export class LockFile {
  /** Lock files held by postmasters of this process (they share its pid). */
  static readonly held = new Set<string>();
  private lines: string[];
  constructor(private readonly fs: FileSystem, readonly path: string, private readonly description: string, lines: string[]) {
    this.lines = lines;
  }

  async acquire(dataDir: string): Promise<void> {
    if (await this.fs.exists(this.path)) {
      const text = new TextDecoder().decode(await this.fs.readFile(this.path));
      const otherPid = Number(text.split('\n')[0]);
      // A live owner (another process, or another postmaster in this process) keeps the lock.
      if (processAlive(otherPid) && (otherPid !== process.pid || LockFile.held.has(this.path))) {
        throw new PgError(SqlState.LOCK_FILE_EXISTS, `lock file "${this.description}" already exists`, {
          severity: 'FATAL', hint: `Is another postmaster (PID ${otherPid}) running in data directory "${dataDir}"?`,
        });
      }
      await this.fs.unlink(this.path);
    }
    await this.write();
    LockFile.held.add(this.path);
  }

  async setLine(index: number, text: string): Promise<void> {
    while (this.lines.length <= index) this.lines.push('');
    this.lines[index] = text;
    await this.write();
  }

  private async write(): Promise<void> {
    await this.fs.writeFileAtomic(this.path, encoder.encode(this.lines.join('\n') + '\n'), 0o600);
  }

  async release(): Promise<void> {
    LockFile.held.delete(this.path);
    try {
      await this.fs.unlink(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

/** The lines of postmaster.pid (PM9), status last. */
export function pidFileLines(o: { dataDir: string; startMs: number; port: number; socketDir: string; listenAddress: string; status: PmStatus }): string[] {
  // Line 7 is PostgreSQL's shared memory key and id; Palisade has no System V segment, so both are 0.
  return [String(process.pid), o.dataDir, String(Math.floor(o.startMs / 1000)), String(o.port), o.socketDir, o.listenAddress, `${'0'.padStart(9)} ${'0'.padStart(9)}`, o.status];
}

/** The socket file of a directory and port (`.s.PGSQL.<port>`) and its lock file. */
export function socketPath(dir: string, port: number): string {
  return `${dir}/.s.PGSQL.${port}`;
}
export function socketLockPath(dir: string, port: number): string {
  return `${socketPath(dir, port)}.lock`;
}
