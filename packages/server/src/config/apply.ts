// Turning the items of postgresql.conf (and postgresql.auto.conf, and -c options) into parameter
// values, at start-up and at reload (SIGHUP / pg_reload_conf()), with PostgreSQL's rules for what
// a reload may change.

import { isPgError } from '@palisade/common';
import type { GucRegistry, GucSource, GucValue } from '@palisade/sql';
import { lastWins, type ConfigItem, type ConfigProblem } from './conf-file.ts';

export interface EvaluatedConfig {
  /** Parsed values by parameter name (canonical spelling). */
  values: Map<string, { value: GucValue; source: GucSource; file?: string; line?: number }>;
  /** Invalid names or values, and (at reload) changes that need a restart. */
  problems: ConfigProblem[];
  /** LOG lines a reload produces (applied changes, resets to default). */
  notes: string[];
}

/**
 * Evaluates configuration items. At start-up every valid item is applied. At reload
 * (`previous` given), CONF7: a changed `postmaster` parameter is not applied but reported; a
 * parameter removed from the file goes back to its default; `internal` parameters are refused.
 */
export function evaluateConfig(
  registry: GucRegistry,
  items: readonly ConfigItem[],
  options: { source?: GucSource; previous?: ReadonlyMap<string, { value: GucValue }> } = {},
): EvaluatedConfig {
  const values: EvaluatedConfig['values'] = new Map();
  const problems: ConfigProblem[] = [];
  const notes: string[] = [];
  const source = options.source ?? 'configuration file';
  for (const item of lastWins(items)) {
    let def: ReturnType<GucRegistry["lookupOrPlaceholder"]>;
    try {
      def = registry.lookupOrPlaceholder(item.name, true);
    } catch (e) {
      if (!isPgError(e)) throw e;
      problems.push({
        file: item.file,
        line: item.line,
        message: e.code === '42704' ? `unrecognized configuration parameter "${item.name}" in file "${item.file}" line ${item.line}` : e.message,
      });
      continue;
    }
    if (def.context === 'internal') {
      problems.push({ file: item.file, line: item.line, message: `parameter "${def.name}" cannot be changed` });
      continue;
    }
    let value: GucValue;
    try {
      value = registry.parse(def, item.value);
    } catch (e) {
      if (!isPgError(e)) throw e;
      problems.push({ file: item.file, line: item.line, message: e.message });
      continue;
    }
    const before = options.previous?.get(def.name);
    if (options.previous && def.context === 'postmaster' && (before?.value ?? registry.bootValue(def)) !== value) {
      problems.push({ file: item.file, line: item.line, message: `parameter "${def.name}" cannot be changed without restarting the server` });
      continue;
    }
    if (options.previous && before?.value !== value) notes.push(`parameter "${def.name}" changed to "${item.value}"`);
    values.set(def.name, { value, source, file: item.file, line: item.line });
  }
  if (options.previous) {
    for (const [name] of options.previous) {
      if (values.has(name)) continue;
      const def = registry.lookup(name);
      if (!def || def.context === 'postmaster' || def.context === 'internal') continue;
      notes.push(`parameter "${def.name}" removed from configuration file, reset to default`);
    }
  }
  return { values, problems, notes };
}
