// Combo command ids: when a transaction deletes a tuple it inserted itself, the header has
// room for one cid only, so it stores an index into this per-transaction table of (cmin,
// cmax) pairs (PostgreSQL's combocid.c). The table lives and dies with the transaction.

import { assert } from '@palisade/common';
import type { CommandId } from './xid.ts';

export class ComboCidTable {
  private readonly pairs: [CommandId, CommandId][] = [];
  private readonly index = new Map<string, number>();
  /** Bounded like PostgreSQL (combo cids are 32-bit). */
  static readonly comboCountMax = 1 << 24;

  /** The combo id for (cmin, cmax), allocating one if new. */
  get(cmin: CommandId, cmax: CommandId): number {
    const key = `${cmin}:${cmax}`;
    const found = this.index.get(key);
    if (found !== undefined) return found;
    assert(this.pairs.length < ComboCidTable.comboCountMax, 'too many combo command ids');
    const id = this.pairs.length;
    this.pairs.push([cmin, cmax]);
    this.index.set(key, id);
    return id;
  }
  cmin(combo: number): CommandId {
    const p = this.pairs[combo];
    assert(p !== undefined, 'unknown combo cid');
    return p[0];
  }
  cmax(combo: number): CommandId {
    const p = this.pairs[combo];
    assert(p !== undefined, 'unknown combo cid');
    return p[1];
  }
  reset(): void {
    this.pairs.length = 0;
    this.index.clear();
  }
  get size(): number {
    return this.pairs.length;
  }
}
