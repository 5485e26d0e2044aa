// Units of configuration parameters: parsing "128MB" / "5min" into a parameter's base unit and
// showing a base-unit value with the largest unit that divides it exactly, as PostgreSQL does.

/** A unit a value may be written in, with its size in bytes or milliseconds. */
interface UnitDef {
  name: string;
  /** bytes for memory units, milliseconds for time units */
  size: number;
}

const MEMORY_UNITS: readonly UnitDef[] = [
  { name: 'TB', size: 1024 ** 4 },
  { name: 'GB', size: 1024 ** 3 },
  { name: 'MB', size: 1024 ** 2 },
  { name: 'kB', size: 1024 },
  { name: 'B', size: 1 },
];
const TIME_UNITS: readonly UnitDef[] = [
  { name: 'd', size: 86_400_000 },
  { name: 'h', size: 3_600_000 },
  { name: 'min', size: 60_000 },
  { name: 's', size: 1000 },
  { name: 'ms', size: 1 },
  { name: 'us', size: 0.001 },
];

/** The base units parameters are declared in (pg_settings.unit). */
export type BaseUnit = 'B' | 'kB' | 'MB' | '8kB' | 'ms' | 's' | 'min';

function baseSize(unit: BaseUnit): { kind: 'memory' | 'time'; size: number } {
  switch (unit) {
    case 'B': return { kind: 'memory', size: 1 };
    case 'kB': return { kind: 'memory', size: 1024 };
    case 'MB': return { kind: 'memory', size: 1024 ** 2 };
    case '8kB': return { kind: 'memory', size: 8192 };
    case 'ms': return { kind: 'time', size: 1 };
    case 's': return { kind: 'time', size: 1000 };
    case 'min': return { kind: 'time', size: 60_000 };
  }
}

/** The hint PostgreSQL gives when a unit is not valid for a parameter. */
export function unitHint(unit: BaseUnit): string {
  return baseSize(unit).kind === 'memory'
    ? 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".'
    : 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".';
}

/**
 * Converts `amount` written in `written` (a unit name, case-sensitive as in PostgreSQL) into
 * the parameter's base unit; undefined if `written` is not a unit of the right kind.
 */
export function toBaseUnit(amount: number, written: string, base: BaseUnit): number | undefined {
  const b = baseSize(base);
  const table = b.kind === 'memory' ? MEMORY_UNITS : TIME_UNITS;
  const u = table.find((t) => t.name === written);
  if (!u) return undefined;
  return (amount * u.size) / b.size;
}

/** Shows an integer base-unit value with the largest unit that divides it exactly (SHOW's format). */
export function showWithUnit(value: number, base: BaseUnit): string {
  if (value <= 0) return String(value);
  const b = baseSize(base);
  const table = b.kind === 'memory' ? MEMORY_UNITS : TIME_UNITS;
  for (const u of table) {
    const multiplier = u.size / b.size;
    if (multiplier <= 1) {
      return `${Math.round(value / multiplier)}${u.name}`;
    }
    if (value % multiplier === 0) return `${value / multiplier}${u.name}`;
  }
  return String(value);
}

/**
 * Shows a real base-unit value like PostgreSQL: the first (largest) unit that gives an integer
 * within 1e-8, else the smallest unit, printed with "%g".
 */
export function showRealWithUnit(value: number, base: BaseUnit): string {
  if (value <= 0) return formatG(value);
  const b = baseSize(base);
  const table = b.kind === 'memory' ? MEMORY_UNITS : TIME_UNITS;
  let shown = value;
  let unit = '';
  for (const u of table) {
    shown = value / (u.size / b.size);
    unit = u.name;
    if (shown > 0 && Math.abs(Math.round(shown) / shown - 1) <= 1e-8) break;
  }
  return `${formatG(shown)}${unit}`;
}

/** C's printf("%g"): 6 significant digits, exponent form outside 1e-4 .. 1e6. */
export function formatG(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const p = Number(value.toPrecision(6));
  const e = Math.floor(Math.log10(Math.abs(p)));
  if (e < -4 || e >= 6) {
    const [mant, ex] = p.toExponential(5).split('e');
    const m = mant!.replace(/\.?0+$/, '');
    const n = Number(ex);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(p);
}
