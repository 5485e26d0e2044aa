import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedFileSystem } from '../src/index.ts';

// A naive model of one directory of files, checked against the simulation after every step
// and, after a crash, against everything the crash is allowed to leave behind.

const NAMES = ['/n0', '/n1', '/n2'] as const;

type Command =
  | { kind: 'write'; file: number; positionBytes: number; lengthBytes: number; failWith?: 'ENOSPC' | 'EIO' }
  | { kind: 'sync'; file: number; fail: boolean }
  | { kind: 'truncate'; file: number; lengthBytes: number }
  | { kind: 'rename'; from: number; to: number }
  | { kind: 'syncDir' };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), file: fc.nat(2), positionBytes: fc.nat(48), lengthBytes: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('write' as const), file: fc.nat(2), positionBytes: fc.nat(48), lengthBytes: fc.integer({ min: 1, max: 16 }), failWith: fc.constantFrom('ENOSPC' as const, 'EIO' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), file: fc.nat(2), fail: fc.integer({ min: 0, max: 6 }).map((n) => n === 0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), file: fc.nat(2), lengthBytes: fc.nat(64) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename' as const), from: fc.nat(2), to: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'syncDir' as const }) },
);

type PendingOp = { kind: 'write'; positionBytes: number; bytes: number[] } | { kind: 'truncate'; lengthBytes: number };

interface ModelInode {
  current: number[];
  /** Content known to be on disk before the operations in `log`. */
  base: number[];
  /** Operations since `base`: synced ones are durable, failed ones (a sync failed after them) never will be. */
  log: { op: PendingOp; state: 'unsynced' | 'synced' | 'failed' }[];
}

function applyOp(bytes: number[], op: PendingOp): void {
  if (op.kind === 'truncate') {
    if (op.lengthBytes < bytes.length) bytes.length = op.lengthBytes;
    while (bytes.length < op.lengthBytes) bytes.push(0);
    return;
  }
  while (bytes.length < op.positionBytes) bytes.push(0);
  op.bytes.forEach((b, i) => {
    bytes[op.positionBytes + i] = b;
  });
}

const MODEL_POSITIONS = 128; // beyond any position or length the commands produce

/**
 * Checks that `got` is a state of `inode` that a crash may leave; returns a reason when it is not.
 * Works on the set of values each position may hold rather than on random outcomes: a durable
 * operation decides a position, a non-durable one adds a possibility; zero is possible wherever
 * the file may have been extended over a hole.
 */
function crashViolation(inode: ModelInode, got: Uint8Array): string | undefined {
  const possible: Set<number>[] = [];
  for (let pos = 0; pos < MODEL_POSITIONS; pos++) possible.push(new Set([pos < inode.base.length ? (inode.base[pos] as number) : 0]));
  let lengthMin = inode.base.length;
  for (const { op, state } of inode.log) {
    const durable = state === 'synced';
    if (op.kind === 'write') {
      op.bytes.forEach((value, i) => {
        const set = possible[op.positionBytes + i] as Set<number>;
        if (durable) set.clear();
        set.add(value);
      });
      if (durable) lengthMin = Math.max(lengthMin, op.positionBytes + op.bytes.length);
    } else {
      for (let pos = op.lengthBytes; pos < MODEL_POSITIONS; pos++) {
        const set = possible[pos] as Set<number>;
        if (durable) set.clear();
        set.add(0);
      }
      lengthMin = durable ? op.lengthBytes : Math.min(lengthMin, op.lengthBytes);
    }
  }
  if (got.length < lengthMin) return `durable length ${lengthMin} lost (got ${got.length})`;
  for (let pos = 0; pos < got.length; pos++) {
    const set = possible[pos] as Set<number>;
    if (!set.has(got[pos] as number)) {
      return set.size === 1 ? `durable byte ${pos} lost` : `byte ${pos} = ${got[pos]} was never written there`;
    }
  }
  return undefined;
}

describe('SimulatedFileSystem (property)', () => {
  it('[FS1][FS2][FS3][FS4] a crash never loses synced data and never shows data that was never written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArb, { minLength: 1, maxLength: 40 }),
        fc.integer(),
        fc.constantFrom(0, 0.3, 0.5, 1),
        fc.constantFrom(0, 0.5, 1),
        async (commands, seed, keepProbability, tearProbability) => {
          const fs = new SimulatedFileSystem();
          const inodes: ModelInode[] = [];
          const current = new Map<string, number>();
          for (const name of NAMES) {
            await (await fs.open(name, { create: true })).close();
            current.set(name, inodes.length);
            inodes.push({ current: [], base: [], log: [] });
          }
          await fs.syncDir('/');
          let durableNames = new Map(current);
          const pendingRenames: { toName: string; inode: number }[] = [];
          let nextByte = 1;

          for (const cmd of commands) {
            if (cmd.kind === 'syncDir') {
              await fs.syncDir('/');
              durableNames = new Map(current);
              pendingRenames.length = 0;
              continue;
            }
            if (cmd.kind === 'rename') {
              const from = NAMES[cmd.from] as string;
              const to = NAMES[cmd.to] as string;
              const id = current.get(from);
              if (id === undefined || from === to) continue;
              await fs.rename(from, to);
              current.delete(from);
              current.set(to, id);
              pendingRenames.push({ toName: to, inode: id });
              continue;
            }
            const name = NAMES[cmd.file] as string;
            const id = current.get(name);
            if (id === undefined) continue;
            const inode = inodes[id] as ModelInode;
            const h = await fs.open(name);
            if (cmd.kind === 'write') {
              // Every write carries its own byte value (1..255), so a byte names the write it came from.
              const value = nextByte;
              nextByte = nextByte === 255 ? 1 : nextByte + 1;
              const bytes = new Array<number>(cmd.lengthBytes).fill(value);
              if (cmd.failWith !== undefined) {
                fs.addFault({ op: 'write', code: cmd.failWith });
                await expect(h.write(Uint8Array.from(bytes), 0, bytes.length, cmd.positionBytes)).rejects.toMatchObject({ code: cmd.failWith });
              } else {
                await h.write(Uint8Array.from(bytes), 0, bytes.length, cmd.positionBytes);
                const op: PendingOp = { kind: 'write', positionBytes: cmd.positionBytes, bytes };
                applyOp(inode.current, op);
                inode.log.push({ op, state: 'unsynced' });
              }
            } else if (cmd.kind === 'truncate') {
              await h.truncate(cmd.lengthBytes);
              const op: PendingOp = { kind: 'truncate', lengthBytes: cmd.lengthBytes };
              applyOp(inode.current, op);
              inode.log.push({ op, state: 'unsynced' });
            } else if (cmd.fail) {
              fs.addFault({ op: 'sync', code: 'EIO' });
              await expect(h.sync()).rejects.toMatchObject({ code: 'EIO' });
              for (const entry of inode.log) if (entry.state === 'unsynced') entry.state = 'failed';
            } else {
              await h.sync();
              for (const entry of inode.log) if (entry.state === 'unsynced') entry.state = 'synced';
              while (inode.log[0]?.state === 'synced') applyOp(inode.base, (inode.log.shift() as ModelInode['log'][number]).op);
            }
            await h.close();
            // Reads always show the latest writes, whatever their durability.
            expect(Array.from(await fs.readFile(name))).toEqual(inode.current);
          }

          const after = fs.crash({ seed, keepProbability, tearProbability });
          for (const name of NAMES) {
            const candidates = new Set<number>();
            const durableId = durableNames.get(name);
            if (durableId !== undefined) candidates.add(durableId);
            for (const r of pendingRenames) if (r.toName === name) candidates.add(r.inode);
            if (!(await after.exists(name))) {
              // Only an unsynced directory change can make a durable name disappear.
              if (pendingRenames.length === 0) expect(durableId).toBeUndefined();
              continue;
            }
            expect(candidates.size).toBeGreaterThan(0);
            const got = await after.readFile(name);
            const reasons = [...candidates].map((id) => crashViolation(inodes[id] as ModelInode, got));
            if (!reasons.includes(undefined)) {
              throw new Error(`${name} after crash is impossible: ${reasons.join('; ')} (got [${Array.from(got).join(',')}])`);
            }
            if (pendingRenames.length === 0) expect(reasons[0]).toBeUndefined();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
