// Medians, ratios and the comparison table (BENCH1, BENCH3). Entry points: median(), formatTable().

/** The median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('bench: median of no values');
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One metric of one server over several runs. */
export interface Series {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function series(values: readonly number[]): Series {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** A row of the comparison table: the candidate's median over the baseline's median. */
export interface ComparisonRow {
  readonly metric: string;
  readonly baseline: Series;
  readonly candidate?: Series;
}

/** Formats a series with as many decimals as its median's magnitude warrants, the same for all three numbers. */
function fmtSeries(s: Series): string {
  const m = Math.abs(s.median);
  const decimals = m >= 100 ? 0 : m >= 10 ? 1 : 2;
  return `${s.median.toFixed(decimals)} (${s.min.toFixed(decimals)}–${s.max.toFixed(decimals)})`;
}

/** A plain-text table: metric, baseline median (min–max), candidate median (min–max), ratio. */
export function formatTable(baselineName: string, candidateName: string | undefined, rows: readonly ComparisonRow[]): string {
  const header = ['metric', `${baselineName} median (min–max)`];
  if (candidateName !== undefined) header.push(`${candidateName} median (min–max)`, 'ratio');
  const body = rows.map((row) => {
    const cells = [row.metric, fmtSeries(row.baseline)];
    if (candidateName !== undefined) {
      const c = row.candidate;
      cells.push(c ? fmtSeries(c) : '—', c && row.baseline.median !== 0 ? `${(c.median / row.baseline.median).toFixed(2)}×` : '—');
    }
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
