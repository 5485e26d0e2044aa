// Timeline history files (W35): `<TLI>.history` lists, for each ancestor timeline, the LSN
// where the next one branched off. Entry points: parseTimeLineHistory, formatTimeLineHistory,
// timelineSpans (the segments a reader follows for a timeline).

import { PgError, SqlState, formatLsn, parseLsn, type Lsn } from '@palisade/common';
import type { TimeLineSpan } from './reader.ts';
import type { TimeLineId } from './segment.ts';

/** One line of a history file: timeline `tli` ended at `switchLsn` (where its child began). */
export interface TimeLineHistoryEntry { tli: TimeLineId; switchLsn: Lsn; reason: string }

/** Parses a history file; `#` comments and blank lines are ignored (W35). */
export function parseTimeLineHistory(text: string, fileName: string): TimeLineHistoryEntry[] {
  const entries: TimeLineHistoryEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const tli = Number(fields[0]);
    if (!/^\d+$/.test(fields[0] ?? '') || !Number.isSafeInteger(tli)) {
      throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'syntax error in history file: ' + line, { severity: 'FATAL', hint: 'Expected a numeric timeline ID.', detail: `File "${fileName}".` });
    }
    const switchLsn = parseLsn(fields[1] ?? '');
    if (switchLsn === undefined) {
      throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'syntax error in history file: ' + line, { severity: 'FATAL', hint: 'Expected a write-ahead log switchpoint location.', detail: `File "${fileName}".` });
    }
    const previous = entries[entries.length - 1];
    if (previous && tli <= previous.tli) {
      throw new PgError(SqlState.INVALID_PARAMETER_VALUE, 'invalid data in history file: ' + line, { severity: 'FATAL', hint: 'Timeline IDs must be in increasing sequence.', detail: `File "${fileName}".` });
    }
    entries.push({ tli, switchLsn, reason: fields.slice(2).join(' ') });
  }
  return entries;
}

/** Formats history lines: `<parentTLI>\t<switchpoint>\t<reason>`. */
export function formatTimeLineHistory(entries: readonly TimeLineHistoryEntry[]): string {
  return entries.map((e) => `${e.tli}\t${formatLsn(e.switchLsn)}\t${e.reason}\n`).join('');
}

/** The timelines a reader follows to read timeline `tli` whose history is `entries`. */
export function timelineSpans(tli: TimeLineId, entries: readonly TimeLineHistoryEntry[]): TimeLineSpan[] {
  const spans: TimeLineSpan[] = [];
  let begin = 0n as Lsn;
  for (const entry of entries) {
    spans.push({ tli: entry.tli, beginLsn: begin });
    begin = entry.switchLsn;
  }
  spans.push({ tli, beginLsn: begin });
  return spans;
}

/** True if `lsn` on timeline `onTli` is part of the history of the timeline whose history is `entries`. */
export function isInHistory(onTli: TimeLineId, lsn: Lsn, targetTli: TimeLineId, entries: readonly TimeLineHistoryEntry[]): boolean {
  if (onTli === targetTli) return true;
  const entry = entries.find((e) => e.tli === onTli);
  return entry !== undefined && lsn < entry.switchLsn;
}
