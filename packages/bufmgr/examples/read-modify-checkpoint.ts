// A standalone tour of @palisade/bufmgr: create a relation, add a tuple-like item to a new
// page, write it out under the WAL rule, checkpoint, and read it back from disk with its
// checksum verified. Runs on the simulated file system, so it needs no data directory:
//   pnpm exec tsx --conditions=@palisade/source packages/bufmgr/examples/read-modify-checkpoint.ts

import { lsn, oid, relFileNumber, SimulatedFileSystem, type Lsn } from '@palisade/common';
import { BufferPool, ChecksumTransform, StorageManager, type RelFileLocator } from '@palisade/bufmgr';

export async function runExample(log: (line: string) => void = console.log): Promise<string> {
  const fs = new SimulatedFileSystem();
  await fs.mkdir('/pgdata', { recursive: true });

  // The storage manager owns relation files; the checksum transform sits on its page I/O.
  const smgr = new StorageManager({ fs, dataDirectory: '/pgdata', transform: new ChecksumTransform({ dataChecksums: true }) });
  let walFlushedUpTo: Lsn = lsn(0);
  const pool = new BufferPool({
    bufferCount: 16,
    smgr,
    dataChecksums: true,
    // The WAL layer supplies these; here WAL is "flushed" by remembering the position.
    flushWalUpTo: (upTo) => {
      if (upTo > walFlushedUpTo) walFlushedUpTo = upTo;
    },
    logHintFullPageImage: () => lsn(0),
  });

  const rel: RelFileLocator = { dbOid: oid(5), relNumber: relFileNumber(16384) };
  await smgr.create(rel, 'main');

  const session = pool.registerBackend();
  // Extend by one zero page (not WAL-logged), then initialise it under the exclusive lock.
  const { bufferId, blockNumber } = await session.extendRelation(rel, 'main');
  await session.lockBuffer(bufferId, 'exclusive');
  const page = session.getPage(bufferId);
  page.init(0);
  const offset = page.addItem(new TextEncoder().encode('hello, palisade'));
  session.markDirty(bufferId);
  session.setPageLsn(bufferId, lsn(0x1000)); // the LSN of the WAL record describing the change
  session.unlockReleaseBuffer(bufferId);
  log(`added item ${offset} to block ${blockNumber}`);

  // Checkpoint: write every dirty buffer (WAL first), then fsync every written file once.
  const { writtenCount } = await pool.flushAll();
  await smgr.syncAllPending();
  log(`checkpoint wrote ${writtenCount} page(s); WAL flushed up to ${walFlushedUpTo}`);

  // Forget the buffer and read the page back from disk: its checksum is verified on the way in.
  await pool.dropRelationBuffers(rel);
  const again = await session.readBuffer(rel, 'main', blockNumber);
  await session.lockBuffer(again, 'share');
  const text = new TextDecoder().decode(session.getPage(again).getItem(offset));
  session.unlockReleaseBuffer(again);
  log(`read back: ${text}`);

  const stats = pool.relationStats(rel);
  log(`stats: ${stats.hits} hits, ${stats.reads} reads, ${stats.writes} writes, ${stats.extends} extends`);
  session.close();
  pool.checkInvariants();
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runExample();
}
