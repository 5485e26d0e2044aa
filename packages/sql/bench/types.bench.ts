// Type I/O and numeric arithmetic throughput: numeric add/mul/div against JS number arithmetic
// (the baseline in the same run; not exact, which is why numeric exists), and int4 and
// timestamptz text input + output against Number()/String() and Date parsing/ISO printing.
// Reports median ops/s and the ratio to the baseline of each group.
// Run: pnpm exec tsx --conditions=@palisade/source packages/sql/bench/types.bench.ts

import { Bench } from 'tinybench';
import { Numeric, defaultIoContext, typeByOid } from '@palisade/sql';

const a = Numeric.parse('12345.6789');
const b = Numeric.parse('-987.654321');
const x = 12345.6789;
const y = -987.654321;
const int4 = typeByOid(23)!;
const tstz = typeByOid(1184)!;
const ctxNy = { ...defaultIoContext, timeZone: 'America/New_York' };
let sink: unknown;

const bench = new Bench({ time: 1000, warmup: true, warmupTime: 200 });
bench.add('baseline: JS number a + b, a * b, a / b', () => { sink = x + y; sink = x * y; sink = x / y; });
bench.add('numeric add', () => { sink = Numeric.add(a, b); });
bench.add('numeric mul', () => { sink = Numeric.mul(a, b); });
bench.add('numeric div', () => { sink = Numeric.div(a, b); });
bench.add('baseline: Number() + String() of "-123456"', () => { sink = String(Number('-123456')); });
bench.add('int4 input + output', () => { sink = int4.output(int4.input('-123456', -1, defaultIoContext), defaultIoContext); });
bench.add('baseline: Date.parse + toISOString', () => { sink = new Date(Date.parse('2024-03-15T12:34:56.789Z')).toISOString(); });
bench.add('timestamptz input + output (UTC)', () => {
  sink = tstz.output(tstz.input('2024-03-15 12:34:56.789+00', -1, defaultIoContext), defaultIoContext);
});
bench.add('timestamptz input + output (America/New_York)', () => {
  sink = tstz.output(tstz.input('2024-03-15 12:34:56.789', -1, ctxNy), ctxNy);
});
await bench.run();
void sink;

const perSecond = (name: string): number => {
  const result = bench.getTask(name)?.result;
  return result?.state === 'completed' ? 1000 / result.latency.p50 : Number.NaN;
};
const baselineOf = (name: string): string =>
  name.startsWith('numeric') ? 'baseline: JS number a + b, a * b, a / b'
    : name.startsWith('int4') ? 'baseline: Number() + String() of "-123456"'
      : name.startsWith('timestamptz') ? 'baseline: Date.parse + toISOString' : name;
console.table(bench.tasks.map((t) => ({
  task: t.name,
  'median ops/s': Math.round(perSecond(t.name)),
  'x baseline': (perSecond(t.name) / perSecond(baselineOf(t.name))).toFixed(3),
})));
