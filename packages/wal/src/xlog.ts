// The XLOG resource manager (rmid 0): checkpoints, NEXTOID, SWITCH, restore points, end of
// recovery and full-page-image records (W17). Entry points: XlogInfo, the payload codecs,
// and xlogResourceManager (redo restores FPI records; the rest is read by the recovery driver).

import { assert, formatLsn, type Lsn, type Oid, type Xid } from '@palisade/common';
import type { Wal } from './wal.ts';
import { decodeCheckPoint, encodeCheckPoint, type CheckPoint } from './control.ts';
import type { DecodedRecord } from './record.ts';
import { readBufferForRedo, RmgrId, type RedoContext, type ResourceManager } from './rmgr.ts';
import type { TimeLineId } from './segment.ts';

/** XLOG info codes (W17). */
export const XlogInfo = {
  CHECKPOINT_SHUTDOWN: 0x00,
  CHECKPOINT_ONLINE: 0x10,
  NOOP: 0x20,
  NEXTOID: 0x30,
  SWITCH: 0x40,
  BACKUP_END: 0x50,
  PARAMETER_CHANGE: 0x60,
  RESTORE_POINT: 0x70,
  FPW_CHANGE: 0x80,
  END_OF_RECOVERY: 0x90,
  FPI_FOR_HINT: 0xa0,
  FPI: 0xb0,
} as const;

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(XlogInfo).map(([k, v]) => [v, k]));

/** Length of a restore point's name field (NAMEDATALEN). */
export const RESTORE_POINT_NAME_BYTES = 64;

/** XLOG_RESTORE_POINT payload: time and name. */
export interface RestorePoint { time: bigint; name: string }
/** XLOG_END_OF_RECOVERY payload. */
export interface EndOfRecovery { time: bigint; thisTimeLineId: TimeLineId; prevTimeLineId: TimeLineId }

export function encodeRestorePoint(value: RestorePoint): Uint8Array {
  const name = new TextEncoder().encode(value.name);
  assert(name.length < RESTORE_POINT_NAME_BYTES, () => `restore point name longer than ${RESTORE_POINT_NAME_BYTES - 1} bytes`);
  const bytes = new Uint8Array(8 + RESTORE_POINT_NAME_BYTES);
  new DataView(bytes.buffer).setBigInt64(0, value.time, true);
  bytes.set(name, 8);
  return bytes;
}

export function decodeRestorePoint(bytes: Uint8Array): RestorePoint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const nameBytes = bytes.subarray(8, 8 + RESTORE_POINT_NAME_BYTES);
  const end = nameBytes.indexOf(0);
  return { time: view.getBigInt64(0, true), name: new TextDecoder().decode(end >= 0 ? nameBytes.subarray(0, end) : nameBytes) };
}

export function encodeEndOfRecovery(value: EndOfRecovery): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigInt64(0, value.time, true);
  view.setUint32(8, value.thisTimeLineId, true);
  view.setUint32(12, value.prevTimeLineId, true);
  return bytes;
}

export function decodeEndOfRecovery(bytes: Uint8Array): EndOfRecovery {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return { time: view.getBigInt64(0, true), thisTimeLineId: view.getUint32(8, true), prevTimeLineId: view.getUint32(12, true) };
}

export function encodeNextOid(value: Oid): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

export function decodeNextOid(bytes: Uint8Array): Oid {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(0, true) as Oid;
}

/** True for CHECKPOINT_SHUTDOWN and CHECKPOINT_ONLINE records. */
export function isCheckpointRecord(record: DecodedRecord): boolean {
  const info = record.info & 0xf0;
  return record.rmid === RmgrId.XLOG && (info === XlogInfo.CHECKPOINT_SHUTDOWN || info === XlogInfo.CHECKPOINT_ONLINE);
}

export { encodeCheckPoint, decodeCheckPoint, type CheckPoint };

/**
 * Forces a segment switch (pg_switch_wal): logs XLOG_SWITCH, flushes it, and returns its end,
 * the start of the next segment; the completed segment is then ready for archiving.
 */
export async function switchWal(wal: Wal): Promise<Lsn> {
  const { endLsn } = await wal.insert({ rmid: RmgrId.XLOG, info: XlogInfo.SWITCH, xid: 0n as Xid, mainData: new Uint8Array(0) }, { segmentSwitch: true });
  await wal.flush(endLsn);
  return endLsn;
}

/** Creates a named restore point (pg_create_restore_point) for recovery_target_name; returns its LSN. */
export async function createRestorePoint(wal: Wal, name: string): Promise<Lsn> {
  const { lsn, endLsn } = await wal.insert({ rmid: RmgrId.XLOG, info: XlogInfo.RESTORE_POINT, xid: 0n as Xid, mainData: encodeRestorePoint({ time: BigInt(Math.floor(Date.now() / 1000)), name }) });
  await wal.flush(endLsn);
  return lsn;
}

function describeCheckPoint(cp: CheckPoint): string {
  return `redo ${formatLsn(cp.redo)}; tli ${cp.thisTimeLineId}; prev tli ${cp.prevTimeLineId}; fpw ${cp.fullPageWrites}; xid ${cp.nextXid}; oid ${cp.nextOid}; multi ${cp.nextMulti}; offset ${cp.nextMultiOffset}; oldest xid ${cp.oldestXid} in DB ${cp.oldestXidDb}; oldest multi ${cp.oldestMulti} in DB ${cp.oldestMultiDb}; oldest/newest commit timestamp xid: ${cp.oldestCommitTsXid}/${cp.newestCommitTsXid}; oldest running xid ${cp.oldestActiveXid}; ${cp.walLevel === 0 ? 'shutdown' : 'online'}`;
}

/** The XLOG resource manager. Its redo restores the images of FPI records; checkpoint state is tracked by the recovery driver. */
export const xlogResourceManager: ResourceManager = {
  id: RmgrId.XLOG,
  name: 'XLOG',
  async redo(record: DecodedRecord, ctx: RedoContext): Promise<void> {
    const info = record.info & 0xf0;
    if (info === XlogInfo.FPI || info === XlogInfo.FPI_FOR_HINT) {
      for (const block of record.blocks) {
        const { action } = await readBufferForRedo(ctx, record, block.id);
        // An FPI record without an image to apply would be a bug in the writer.
        assert(action === 'restored' || !block.applyImage, () => `FPI record at ${formatLsn(record.lsn)} did not restore block ${block.id}`);
      }
    }
  },
  identify(info: number): string | undefined {
    return NAMES[info & 0xf0];
  },
  desc(record: DecodedRecord): string {
    const info = record.info & 0xf0;
    switch (info) {
      case XlogInfo.CHECKPOINT_SHUTDOWN:
      case XlogInfo.CHECKPOINT_ONLINE: {
        const cp = decodeCheckPoint(record.mainData);
        return describeCheckPoint(cp).replace(/(shutdown|online)$/, info === XlogInfo.CHECKPOINT_SHUTDOWN ? 'shutdown' : 'online');
      }
      case XlogInfo.NEXTOID: return `${decodeNextOid(record.mainData)}`;
      case XlogInfo.RESTORE_POINT: return decodeRestorePoint(record.mainData).name;
      case XlogInfo.END_OF_RECOVERY: {
        const eor = decodeEndOfRecovery(record.mainData);
        return `tli ${eor.thisTimeLineId}; prev tli ${eor.prevTimeLineId}; time ${new Date(Number(eor.time) * 1000).toISOString()}`;
      }
      default: return '';
    }
  },
};
