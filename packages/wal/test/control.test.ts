import { describe, expect, it } from 'vitest';
import { PgError, type Lsn } from '@palisade/common';
import {
  DBState, PG_CONTROL_FILE_SIZE, PG_CONTROL_VERSION, decodeControlFile, emptyCheckPoint, encodeControlFile, newControlFile, readControlFile,
  writeControlFile,
} from '../src/control.ts';
import { bootstrapWal, checkDataDirPermissions } from '../src/recovery.ts';
import { DATA_DIR, newDisk } from './support/harness.ts';

function sample() {
  return newControlFile({
    systemIdentifier: 0x1234_5678_9abc_def0n, segSizeBytes: 1 << 24, checkPoint: 0x100_0028n as Lsn,
    checkPointCopy: { ...emptyCheckPoint(), redo: 0x100_0028n as Lsn, nextXid: (1n << 40n) as never },
    mockAuthenticationNonce: new Uint8Array(32).fill(7),
  });
}

describe('pg_control', () => {
  it('[W14] is exactly 8192 bytes, system identifier first, version at offset 8, CRC-32C after the struct', () => {
    const bytes = encodeControlFile(sample());
    expect(bytes.length).toBe(PG_CONTROL_FILE_SIZE);
    const v = new DataView(bytes.buffer);
    expect(v.getBigUint64(0, true)).toBe(0x1234_5678_9abc_def0n);
    expect(v.getUint32(8, true)).toBe(PG_CONTROL_VERSION);
    const back = decodeControlFile(bytes);
    expect(back.checkPointCopy.nextXid).toBe(1n << 40n);
    expect(back.mockAuthenticationNonce).toEqual(new Uint8Array(32).fill(7));
    expect(back.xlogSegSize).toBe(1 << 24);
    expect(back.floatFormat).toBe(1234567.0);
    expect(bytes.subarray(512).every((b) => b === 0)).toBe(true);
  });

  it('[W14] a corrupted byte gives "incorrect checksum in control file" naming the file', () => {
    const bytes = encodeControlFile(sample());
    bytes[40]! ^= 1;
    try {
      decodeControlFile(bytes, '/data/global/pg_control');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PgError);
      expect((err as PgError).message).toBe('incorrect checksum in control file');
      expect((err as PgError).detail).toContain('/data/global/pg_control');
      expect((err as PgError).severity).toBe('FATAL');
    }
  });

  it('[W14] another version is refused as incompatible', () => {
    const bytes = encodeControlFile(sample());
    new DataView(bytes.buffer).setUint32(8, 1300, true);
    expect(() => decodeControlFile(bytes)).toThrow('database files are incompatible with server');
  });

  it('[W16] DBState values are PostgreSQL\'s', () => {
    expect(DBState).toEqual({ DB_STARTUP: 0, DB_SHUTDOWNED: 1, DB_SHUTDOWNED_IN_RECOVERY: 2, DB_SHUTDOWNING: 3, DB_IN_CRASH_RECOVERY: 4, DB_IN_ARCHIVE_RECOVERY: 5, DB_IN_PRODUCTION: 6 });
  });

  it('[W14] a write survives a crash whole: old or new content, never a mix', async () => {
    const fs = await newDisk();
    await bootstrapWal({ fs, dataDir: DATA_DIR, segSizeBytes: 64 * 1024 });
    const before = await readControlFile(fs, DATA_DIR);
    await writeControlFile(fs, DATA_DIR, { ...before, state: DBState.DB_IN_PRODUCTION });
    for (let seed = 1; seed <= 20; seed++) {
      const after = await readControlFile(fs.clone().crash({ seed, keepProbability: 0.5, tearProbability: 1 }), DATA_DIR);
      expect(after.state).toBe(DBState.DB_IN_PRODUCTION);
    }
  });

  it('refuses a data directory others can read', async () => {
    const fs = await newDisk();
    await checkDataDirPermissions(fs, DATA_DIR);
    await fs.chmod(DATA_DIR, 0o750);
    await checkDataDirPermissions(fs, DATA_DIR);
    await fs.chmod(DATA_DIR, 0o755);
    await expect(checkDataDirPermissions(fs, DATA_DIR)).rejects.toMatchObject({
      message: `data directory "${DATA_DIR}" has invalid permissions`,
      detail: 'Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).',
    });
  });
});
