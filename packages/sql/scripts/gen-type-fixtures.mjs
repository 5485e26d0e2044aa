#!/usr/bin/env node
// Captures PostgreSQL 15's behaviour for the built-in types into JSON fixtures under
// test/fixtures/types/: text output, binary output (typsend, hex) and the error (SQLSTATE,
// message, detail, hint, context) for every input. Needs a running PostgreSQL 15:
//   PGHOST=/tmp/pgsock PGPORT=5432 PGUSER=postgres node packages/sql/scripts/gen-type-fixtures.mjs
// The tests read the fixtures and never need PostgreSQL.

import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'types');
mkdirSync(outDir, { recursive: true });

const client = new pg.Client({ host: process.env.PGHOST, port: Number(process.env.PGPORT ?? 5432), user: process.env.PGUSER ?? 'postgres', database: 'postgres' });
await client.connect();

/** A small deterministic PRNG so that the fixtures are reproducible. */
let seed = 0x2545f491;
function rand() {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 2 ** 32;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

function errorOf(e) {
  const r = { code: e.code, message: e.message };
  if (e.detail) r.detail = e.detail;
  if (e.hint) r.hint = e.hint;
  if (e.where) r.where = e.where;
  return r;
}

const DEFAULT_SETTINGS = { DateStyle: 'ISO, MDY', IntervalStyle: 'postgres', TimeZone: 'UTC', extra_float_digits: '1', bytea_output: 'hex' };

async function applySettings(settings) {
  const all = { ...DEFAULT_SETTINGS, ...settings };
  for (const [k, v] of Object.entries(all)) await client.query(`SELECT set_config($1, $2, false)`, [k, v]);
}

/**
 * One fixture file: for each input, `SELECT x::text, encode(send(x), 'hex')` where x is the
 * input function's result (with typmod when given) — or the error.
 */
async function ioCases(file, { type, oid, inFn, sendFn, inputs, typmods = [-1], settings = [{}] }) {
  const cases = [];
  const nargs = (await client.query('SELECT pronargs FROM pg_proc WHERE proname = $1', [inFn])).rows[0].pronargs;
  const outFn = (await client.query('SELECT typoutput::text AS f FROM pg_type WHERE oid = $1', [oid])).rows[0].f;
  const call = nargs === 3 ? `${inFn}($1::cstring, ${oid}, $2::int4)` : `${inFn}($1::cstring)`;
  for (const s of settings) {
    await applySettings(s);
    for (const typmod of typmods) {
      for (const input of inputs) {
        const c = { input };
        if (typmod !== -1) c.typmod = typmod;
        if (Object.keys(s).length) c.settings = s;
        try {
          const r = await client.query(
            `SELECT ${outFn}(x)::text AS out, encode(${sendFn}(x), 'hex') AS bin FROM (SELECT ${call} AS x) s`,
            nargs === 3 ? [input, typmod] : [input]);
          c.out = r.rows[0].out;
          c.bin = r.rows[0].bin;
        } catch (e) {
          c.error = errorOf(e);
        }
        cases.push(c);
      }
    }
  }
  writeFileSync(join(outDir, file), JSON.stringify({ type, oid, cases }, null, 1) + '\n');
  console.log(`${file}: ${cases.length} cases`);
}

// ---- inputs ------------------------------------------------------------------------------------

const ws = ['', ' ', '  ', '\t', '\n'];
function intInputs(bits) {
  const max = 2n ** BigInt(bits - 1) - 1n;
  const out = ['0', '1', '-1', '+5', ' 42 ', '\t7\n', '', ' ', '-', '+', '1e3', '0x10', '1_000', '12a', 'a', '1.5', '1 2', '--1', '00012',
    String(max), String(-max - 1n), String(max + 1n), String(-max - 2n), `${max}0`, '99999999999999999999999999', ' -0 ', '٣'];
  for (let i = 0; i < 120; i++) {
    const v = BigInt(Math.floor((rand() * 2 - 1) * Number(max)));
    out.push(`${pick(ws)}${v}${pick(ws)}`);
  }
  return out;
}

const floatInputs = ['0', '-0', '1', '-1', '0.1', '1e15', '1e16', '1e-4', '1e-5', '123456789012345678', '1.7976931348623157e308',
  '1e308', '1e309', '1e400', '-1e400', '1e-400', '5e-324', '2.5e-324', '4e-320', 'NaN', 'nan', 'Infinity', '-Infinity', 'inf', '-inf',
  '+inf', 'infinity', '-INFINITY', 'infinit', 'x', '', ' ', ' 1.5 ', '1.5x', '.5', '5.', '-.5e-3', '0x10', '1e', '1e+', '3.4028235e38',
  '3.4028236e38', '1e39', '1e-46', '1.4e-45', '1e-45', '0.1234567890123456789', '100', '1e6', '123456', '1234567', '0.00001234',
  '9007199254740993', '2.2250738585072014e-308', 'NaN ', ' -inf '];
for (let i = 0; i < 150; i++) {
  const e = randInt(-40, 40);
  floatInputs.push(`${(rand() * 2 - 1).toPrecision(randInt(1, 17))}e${e}`);
}
for (let i = 0; i < 50; i++) floatInputs.push(String(Math.fround(rand() * 1000)));

const numericInputs = ['0', '-0', '0.000', '-0.00', '1', '-1', '1.5', '-1.5', '123.456', '0.001', '.5', '5.', ' 12 ', '1e3', '1E-3', '1.5e+2',
  '1e-20', '12345678901234567890.123456789', 'NaN', 'nan', 'Infinity', '-Infinity', 'inf', '+inf', '-inf', ' NaN ', 'x', '', ' ', '1.2.3',
  '1e', '1e 5', '--1', '+-1', '1 2', '.', '-.', '1e1000000', '1e-16384', '1e-16383', '9999.9999', '0.00005', '99.995', '99.994', '-99.995',
  '1e131071', '1e131072', '000123.4500', '1_000'];
for (let i = 0; i < 200; i++) {
  const intDigits = randInt(0, 25);
  const fracDigits = randInt(0, 20);
  let s = rand() < 0.3 ? '-' : '';
  for (let k = 0; k < intDigits; k++) s += randInt(0, 9);
  if (fracDigits) { s += '.'; for (let k = 0; k < fracDigits; k++) s += randInt(0, 9); }
  if (intDigits === 0 && fracDigits === 0) s += '0';
  numericInputs.push(s);
}

const textInputs = ['', 'a', 'abc', 'abc   ', '  abc', 'héllo', '日本語テキスト', '😀x', 'a b c', 'x'.repeat(70), 'é'.repeat(40), 'tab\there', 'abcdefghij', 'ab  '];

const byteaInputs = ['\\x', '\\x00', '\\xDEADbeef', '\\x0', '\\xzz', '\\x 01 02', '\\x01 2', 'abc', 'a\\\\b', '\\001\\377', '\\400', '\\', 'a\\b',
  'héllo', '\\x0a0b0c0d0e0f', '', ' ', '\\\\', '\\12', '\\012x'];
for (let i = 0; i < 40; i++) {
  let s = '\\x';
  const n = randInt(0, 20);
  for (let k = 0; k < n; k++) s += randInt(0, 255).toString(16).padStart(2, '0');
  byteaInputs.push(s);
}

const uuidInputs = ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
  'a0eebc999c0b4ef8bb6d6bb9bd380a11', 'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11', '{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111', 'g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '',
  ' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-', 'a-0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'];
for (let i = 0; i < 30; i++) {
  let h = '';
  for (let k = 0; k < 32; k++) h += randInt(0, 15).toString(16);
  uuidInputs.push(rand() < 0.5 ? h : `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
}

const boolInputs = ['t', 'f', 'true', 'false', 'TRUE', 'tr', 'y', 'yes', 'ye', 'n', 'no', 'on', 'off', 'of', 'o', '1', '0', '2', '', ' t ', 'truex', 'yess', '10', '  false\n', 'On', 'OFF'];

const oidInputs = ['0', '1', '4294967295', '4294967296', '-1', '-2147483648', '-2147483649', ' 12 ', '', ' ', 'x', '12x', '+5', '18446744073709551615',
  '18446744073709551616', '-4294967295', '0x10', '3000000000'];

const charInputs = ['a', 'ab', '', 'é', '\\101', '\\377', '\\000', '\\1', 'Z'];

const jsonInputs = ['{}', '[]', '1', '-1.5e3', '"abc"', 'true', 'false', 'null', ' {"a": 1} ', '{"a":1,"a":2}', '{"b":1,"a":2,"aa":3,"a":4}',
  '[1,2,[3,[4]]]', '{"a":{"b":{"c":[1,{"d":null}]}}}', '"\\u00e9\\n\\t\\"\\\\\\/"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\ud800"', '"\\udc00"',
  '"\\ud800\\ud800"', '"\\ud800x"', '1.', '01', '-', '-0', '0.0', '1e5', '1E+5', '2.50', '100000000000000000000000000001', '[1,2', '{"a":}', '{"a" 1}',
  '[1 2]', '{"a":1,}', '[1,]', '@', 'truex', '"abc', '"a\\qb"', '"\\u12"', '"\\u12x4"', '', ' ', '{"a":1}}', '[1] x', 'nul', '{1:2}',
  '{"a":1 "b":2}', '"tab\there"', '\n{\n"a":\n1 x  \n}', '{"' + 'k'.repeat(60) + '": 1, x}', '[[[[[[[[[[1]]]]]]]]]]', '{"é": 1, "e": 2, "ab": 3}',
  '[-0, 0.00, 1e-3, 123456789.123456789]', '{"":1}', '[true,false,null,"",{},[]]', '1 2', '"\\b\\f\\r"', '{"a":[{"b":"c"}]}'];

// Dates and times.
const dateInputs = ['2000-01-01', '1999-01-08', 'January 8, 1999', '1/8/1999', '1/18/1999', '01/02/03', '1999-Jan-08', 'Jan-08-1999', '08-Jan-1999',
  '99-Jan-08', '1999.008', '19990108', '990108', 'Jan 8 1999', '8 Jan 1999', '2000-02-29', '2001-02-29', '2000-13-01', '13/01/2000',
  '0000-01-01', '0001-01-01 BC', '4714-11-24 BC', '4714-11-23 BC', '5874897-12-31', '5874898-01-01', 'epoch', 'infinity', '-infinity',
  'Infinity', 'x', '', '2000-01-01 12:00', '2000-01-01 junk', '1999-01-08 04:05:06', '12.10.1999', '1999/01/08', ' 2000-01-01 ',
  '2000-1-1', '200-01-01', '10000-01-01', '1-1-1', '2000-01-32', '2000-00-10', 'Feb 30 2000', '2000-01-01T00:00:00', '1999-12-31 BC',
  'Sat Jan 01 2000', 'now(', 'J2451545', '2000-01-01 +05'];
for (let i = 0; i < 80; i++) {
  const y = randInt(1, 9999); const m = randInt(1, 12); const d = randInt(1, 28);
  dateInputs.push(`${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}${rand() < 0.1 ? ' BC' : ''}`);
}
const tsInputs = ['2000-01-01 00:00:00', '1999-01-08 04:05:06', '1999-01-08 04:05:06.789', '1999-01-08 04:05:06.1234567', '1999-01-08T04:05:06',
  '1999-01-08 04:05:06+02', '1999-01-08 04:05:06-08:00', '1999-01-08 04:05:06 +0530', '1999-01-08 04:05:06 PST', '1999-01-08 04:05:06 America/New_York',
  '1999-01-08 04:05:06 Europe/Berlin', 'January 8 04:05:06 1999 PST', 'Jan 8 1999 4:05 PM', '1999-01-08 12:00 AM', '1999-01-08 13:00 PM',
  '2000-01-01 24:00:00', '2000-01-01 24:00:01', '2000-01-01 23:59:60', '2000-01-01 25:00', '2000-01-01 12:60', 'epoch', 'infinity', '-infinity',
  '2000-01-01 00:00:00 +16', '2000-01-01 00:00:00 +15:59', '2000-01-01 Foo/Bar', 'x', '', '2000-01-01 00:00:00 Z', '2000-01-01 00:00:00 UTC',
  '294276-12-31 23:59:59.999999', '294277-01-01 00:00:00', '4714-11-24 00:00:00 BC', '4714-11-23 23:59:59 BC', '2018-03-11 02:30',
  '2018-11-04 01:30', '1850-01-01 00:00', '2000-06-15 12:00', '0001-01-01 00:00:00 BC', '2000-01-01 00:00:00.5', '2000-01-01 00:00:00.4999995',
  '2000-01-01 12:34', '12:34', '2000-01-01 12:34:56 xyz', '20000101 123456', '2000-01-01 10:00 -0800', '2000-01-01 10:00:00.000001'];
for (let i = 0; i < 80; i++) {
  const y = randInt(1, 2100); const m = randInt(1, 12); const d = randInt(1, 28);
  tsInputs.push(`${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')} ${String(randInt(0, 23)).padStart(2, '0')}:${String(randInt(0, 59)).padStart(2, '0')}:${String(randInt(0, 59)).padStart(2, '0')}${rand() < 0.5 ? `.${randInt(0, 999999)}` : ''}${rand() < 0.3 ? pick(['+02', '-05:30', ' UTC', ' America/Los_Angeles', ' Asia/Tokyo']) : ''}`);
}
const timeInputs = ['00:00', '04:05', '04:05:06', '04:05:06.789', '04:05:06.1234567', '23:59:59.999999', '23:59:59.9999999', '24:00', '24:00:01',
  '25:00', '12:60', '4:05 PM', '12:00 AM', '040506', 'allballs', 'x', '', '04:05:06 PST', '04:05:06+02', '2000-01-01 04:05:06', '1:2:3', '12:34:56.5'];
const timetzInputs = ['04:05:06+02', '04:05:06-08:00', '04:05:06 +0530', '04:05:06 UTC', '04:05:06Z', '00:00+00', '23:59:59.999999-15:59',
  '04:05:06 +16', '04:05:06', 'x', '24:00:00+01', '04:05:06.5 -03:30:15'];
const intervalInputs = ['1 year 2 months 3 days 04:05:06.789', '1 day', '-1 day', '1 day -1 hour', '-1 year -2 mons +3 days -04:05:06',
  '@ 1 hour ago', '1-2', '3 4:05:06', '-1-2', '1-2 3 4:05:06', 'P1Y2M3DT4H5M6S', 'P1Y2M3DT4H5M6.5S', 'PT0S', 'P0001-02-03T04:05:06', 'P1W', 'PT1.5H',
  '1.5 years', '1.5 months', '1.5 days', '1.5 hours', '10', '1.5', '0', '00:00:00', '1 week', '2 decades', '1 century', '1 millennium',
  '100 microseconds', '5 ms', '1 min 30 s', '1d', '1h', 'x', '', '1 foo', '12:60', '-00:00:01', '1 mon', '2147483647 days', '2147483648 days',
  '178000000 years', '1 year ago', '1:30', '01:02:03.456789', '-1 days +02:03', '1 yr 2 mon', '1 day 1 day', '@ 2 days 3 hours'];

const arrayCases = [
  ['int4', '_int4', 1007, 'int4', ['{}', '{1,2,3}', '{ 1 , 2 }', '{{1,2},{3,4}}', '{NULL,1}', '{null}', '[0:1]={1,2}', '[2:3][1:2]={{1,2},{3,4}}',
    '{1,2', '{{1},{2,3}}', '{1,{2}}', '1,2', '{a}', '[1:2]={1}', '[2:1]={}', '{{}}', '{1,,2}', '{"1"}', '[1]={5}', '{1} x', ' {1} ',
    '{{{{{{{1}}}}}}}', '{2147483648}', '[1:1]={1', '{"NULL"}', '[-2:-1]={7,8}']],
  ['text', '_text', 1009, 'text', ['{}', '{a,b}', '{"a b","c\\"d","e\\\\f"}', '{NULL,"NULL",null,""}', '{ a , b }', '{"{}",",",x}', '{a\\,b}',
    '{{a,b},{c,d}}', '{"a"b}', '{ "a" , "b" }', '{héllo,"wörld"}', '{a b c}', '{ "" }', '{\\ a}', '{a}x', '{"unterminated}']],
  ['numeric', '_numeric', 1231, 'numeric', ['{1.5,NaN,-Infinity}', '{}', '{{1},{2.50}}', '{x}']],
  ['float8', '_float8', 1022, 'float8', ['{1.5,NaN,-Infinity,1e300}', '{0.1,-0}']],
  ['bool', '_bool', 1000, 'bool', ['{t,f,NULL}', '{yes,no}']],
  ['date', '_date', 1182, 'date', ['{2000-01-01,infinity}', '{"1999-01-08"}']],
  ['varchar', '_varchar', 1015, 'varchar', ['{abc,"de f"}']],
  ['bytea', '_bytea', 1001, 'bytea', ['{"\\\\x0102",abc}']],
  ['jsonb', '_jsonb', 3807, 'jsonb', ['{"{\\"a\\":1}","[1, 2]"}']],
  ['uuid', '_uuid', 2951, 'uuid', ['{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}']],
  ['int8', '_int8', 1016, 'int8', ['{9223372036854775807,-9223372036854775808}']],
  ['interval', '_interval', 1187, 'interval', ['{"1 day","-2 hours"}']],
];

// ---- generation --------------------------------------------------------------------------------

await ioCases('bool.json', { type: 'bool', oid: 16, inFn: 'boolin', sendFn: 'boolsend', inputs: boolInputs });
await ioCases('int2.json', { type: 'int2', oid: 21, inFn: 'int2in', sendFn: 'int2send', inputs: intInputs(16) });
await ioCases('int4.json', { type: 'int4', oid: 23, inFn: 'int4in', sendFn: 'int4send', inputs: intInputs(32) });
await ioCases('int8.json', { type: 'int8', oid: 20, inFn: 'int8in', sendFn: 'int8send', inputs: intInputs(64) });
await ioCases('float4.json', { type: 'float4', oid: 700, inFn: 'float4in', sendFn: 'float4send', inputs: floatInputs,
  settings: [{}, { extra_float_digits: '0' }, { extra_float_digits: '-3' }, { extra_float_digits: '3' }] });
await ioCases('float8.json', { type: 'float8', oid: 701, inFn: 'float8in', sendFn: 'float8send', inputs: floatInputs,
  settings: [{}, { extra_float_digits: '0' }, { extra_float_digits: '-5' }, { extra_float_digits: '2' }] });
await ioCases('numeric.json', { type: 'numeric', oid: 1700, inFn: 'numeric_in', sendFn: 'numeric_send', inputs: numericInputs,
  typmods: [-1, ((5 << 16) | 2) + 4, ((3 << 16) | 0) + 4, ((10 << 16) | 4) + 4, ((2 << 16) | (-2 & 0x7ff)) + 4, ((2 << 16) | 5) + 4, ((1000 << 16) | 20) + 4] });
await ioCases('text.json', { type: 'text', oid: 25, inFn: 'textin', sendFn: 'textsend', inputs: textInputs });
await ioCases('varchar.json', { type: 'varchar', oid: 1043, inFn: 'varcharin', sendFn: 'varcharsend', inputs: textInputs, typmods: [-1, 5 + 4, 3 + 4, 1 + 4] });
await ioCases('bpchar.json', { type: 'bpchar', oid: 1042, inFn: 'bpcharin', sendFn: 'bpcharsend', inputs: textInputs, typmods: [-1, 5 + 4, 3 + 4, 1 + 4] });
await ioCases('name.json', { type: 'name', oid: 19, inFn: 'namein', sendFn: 'namesend', inputs: textInputs });
await ioCases('char.json', { type: 'char', oid: 18, inFn: 'charin', sendFn: 'charsend', inputs: charInputs });
await ioCases('bytea.json', { type: 'bytea', oid: 17, inFn: 'byteain', sendFn: 'byteasend', inputs: byteaInputs, settings: [{}, { bytea_output: 'escape' }] });
await ioCases('uuid.json', { type: 'uuid', oid: 2950, inFn: 'uuid_in', sendFn: 'uuid_send', inputs: uuidInputs });
await ioCases('oid.json', { type: 'oid', oid: 26, inFn: 'oidin', sendFn: 'oidsend', inputs: oidInputs });
await ioCases('json.json', { type: 'json', oid: 114, inFn: 'json_in', sendFn: 'json_send', inputs: jsonInputs });
await ioCases('jsonb.json', { type: 'jsonb', oid: 3802, inFn: 'jsonb_in', sendFn: 'jsonb_send', inputs: jsonInputs });
const dateSettings = [{}, { DateStyle: 'SQL, DMY' }, { DateStyle: 'Postgres, MDY' }, { DateStyle: 'German' }, { DateStyle: 'ISO, YMD' }, { DateStyle: 'Postgres, DMY' }];
await ioCases('date.json', { type: 'date', oid: 1082, inFn: 'date_in', sendFn: 'date_send', inputs: dateInputs, settings: dateSettings });
await ioCases('timestamp.json', { type: 'timestamp', oid: 1114, inFn: 'timestamp_in', sendFn: 'timestamp_send', inputs: tsInputs,
  typmods: [-1, 0, 3], settings: dateSettings.slice(0, 4) });
await ioCases('timestamptz.json', { type: 'timestamptz', oid: 1184, inFn: 'timestamptz_in', sendFn: 'timestamptz_send', inputs: tsInputs,
  typmods: [-1, 2], settings: [{}, { TimeZone: 'America/New_York' }, { TimeZone: 'Europe/Berlin', DateStyle: 'Postgres, DMY' },
    { TimeZone: 'Asia/Kolkata', DateStyle: 'SQL, MDY' }, { TimeZone: 'America/New_York', DateStyle: 'German' }, { TimeZone: 'Australia/Sydney' }] });
await ioCases('time.json', { type: 'time', oid: 1083, inFn: 'time_in', sendFn: 'time_send', inputs: timeInputs, typmods: [-1, 0, 2] });
await ioCases('timetz.json', { type: 'timetz', oid: 1266, inFn: 'timetz_in', sendFn: 'timetz_send', inputs: timetzInputs, typmods: [-1, 1] });
await ioCases('interval.json', { type: 'interval', oid: 1186, inFn: 'interval_in', sendFn: 'interval_send', inputs: intervalInputs,
  settings: [{}, { IntervalStyle: 'postgres_verbose' }, { IntervalStyle: 'sql_standard' }, { IntervalStyle: 'iso_8601' }] });

{
  const cases = [];
  await applySettings({});
  for (const [, arrName, arrOid, elem, inputs] of arrayCases) {
    for (const input of inputs) {
      const c = { type: arrName, oid: arrOid, element: elem, input };
      try {
        const r = await client.query(`SELECT array_out(x)::text AS out, encode(array_send(x), 'hex') AS bin FROM (SELECT $1::text::${elem}[] AS x) s`, [input]);
        c.out = r.rows[0].out;
        c.bin = r.rows[0].bin;
      } catch (e) {
        c.error = errorOf(e);
      }
      cases.push(c);
    }
  }
  writeFileSync(join(outDir, 'arrays.json'), JSON.stringify({ cases }, null, 1) + '\n');
  console.log(`arrays.json: ${cases.length} cases`);
}

// Numeric arithmetic: operands mixing scales, signs and specials.
{
  const operands = ['0', '1', '-1', '2', '3', '7', '0.1', '-0.25', '1.5', '10', '100', '0.001', '123456789.987654321', '-98765.4321', '1e20', '1e-20',
    '3.14159265358979', '99999999', '0.0000001', 'NaN', 'Infinity', '-Infinity', '12345678901234567890', '0.3333', '2.50', '-7'];
  for (let i = 0; i < 30; i++) operands.push((rand() < 0.5 ? '-' : '') + (rand() * 10 ** randInt(-8, 12)).toFixed(randInt(0, 12)));
  const cases = [];
  const ops = [['add', '$1::numeric + $2::numeric'], ['sub', '$1::numeric - $2::numeric'], ['mul', '$1::numeric * $2::numeric'],
    ['div', '$1::numeric / $2::numeric'], ['mod', 'mod($1::numeric, $2::numeric)'], ['div_trunc', 'div($1::numeric, $2::numeric)'],
    ['power', 'power($1::numeric, $2::numeric)']];
  for (let i = 0; i < operands.length; i++) {
    for (let j = 0; j < operands.length; j++) {
      if ((i * 31 + j * 17) % 3 !== 0 && !(i < 6 || j < 6)) continue;
      for (const [op, expr] of ops) {
        // power with infinite arguments is not implemented yet; huge powers take too long to print.
        if (op === 'power' && (/Infinity/.test(operands[i]) || /Infinity/.test(operands[j]) || Math.abs(Number(operands[j])) > 1000)) continue;
        const c = { op, a: operands[i], b: operands[j] };
        try { c.out = (await client.query(`SELECT (${expr})::text AS r`, [operands[i], operands[j]])).rows[0].r; } catch (e) { c.error = errorOf(e); }
        cases.push(c);
      }
    }
  }
  const unary = [['abs', 'abs($1::numeric)'], ['neg', '-($1::numeric)'], ['sqrt', 'sqrt($1::numeric)'], ['round', 'round($1::numeric)'],
    ['round2', 'round($1::numeric, 2)'], ['roundm1', 'round($1::numeric, -1)'], ['trunc', 'trunc($1::numeric)'], ['trunc3', 'trunc($1::numeric, 3)'],
    ['ceil', 'ceil($1::numeric)'], ['floor', 'floor($1::numeric)'], ['int4', '($1::numeric)::int4'], ['int8', '($1::numeric)::int8'],
    ['int2', '($1::numeric)::int2'], ['float8', '($1::numeric)::float8'], ['sign', 'sign($1::numeric)'],
    ['ln', 'ln($1::numeric)'], ['exp', 'exp($1::numeric)']];
  for (const a of [...operands, '2.5', '-2.5', '0.5', '-0.5', '32767.5', '2147483647.4', '2147483647.5', '1e30', '16', '2', '0.0001', '0.95', '1.05', '1.0000001', '0.99999', '1e-100', '1e100', '100.5', '-100.5', '6000', '-6000', '5999', '-1e-10', '230.5']) {
    for (const [op, expr] of unary) {
      const c = { op, a };
      try { c.out = (await client.query(`SELECT (${expr})::text AS r`, [a])).rows[0].r; } catch (e) { c.error = errorOf(e); }
      cases.push(c);
    }
  }
  writeFileSync(join(outDir, 'numeric-ops.json'), JSON.stringify({ cases }, null, 1) + '\n');
  console.log(`numeric-ops.json: ${cases.length} cases`);
}

// Casts between types (explicit), with their errors.
{
  const casts = [
    ['int8', 'int4', ['0', '2147483647', '2147483648', '-2147483649']], ['int4', 'int2', ['32767', '32768', '-32769']],
    ['float8', 'int4', ['2.5', '-2.5', '3.5', '0.5', '-0.5', '2147483647.4', '2147483647.5', 'NaN', 'Infinity', '1e10']],
    ['float8', 'int8', ['2.5', '-2.5', '9.2233720368547748e18', '-9.2233720368547758e18', 'NaN']], ['float4', 'int2', ['2.5', '32767.4', '32767.6']],
    ['numeric', 'int4', ['2.5', '-2.5', 'NaN', 'Infinity', '2147483647.5']], ['float8', 'numeric', ['0.1', '1e300', 'NaN', 'Infinity', '-0', '123456789.123456789', '1e-10']],
    ['float4', 'numeric', ['0.1', '3.4e38', 'NaN', '1.5']], ['numeric', 'float8', ['0.1', '1e400', 'NaN', '-Infinity', '123.456']],
    ['numeric', 'float4', ['0.1', '1e39', '1e-50']], ['int4', 'bool', ['0', '1', '-5']], ['bool', 'int4', ['t', 'f']],
    ['float8', 'float4', ['1e39', '1e-50', '0.1', 'Infinity']], ['int8', 'float4', ['16777217', '9223372036854775807']],
    ['text', 'varchar(3)', ['abcdef', 'ab', 'abc   ']], ['text', 'bpchar(3)', ['abcdef', 'a', '']], ['bpchar(5)', 'text', ['ab']],
    ['text', 'name', ['x'.repeat(70)]], ['date', 'timestamp', ['2000-01-01', 'infinity']], ['timestamp', 'date', ['2000-01-01 23:59', '-infinity']],
    ['timestamptz', 'date', ['2000-01-01 23:59+00']], ['timestamp', 'time', ['2000-01-01 12:34:56.789']], ['timestamptz', 'timestamp', ['2000-01-01 12:00+05']],
    ['timestamp', 'timestamptz', ['2000-01-01 12:00']], ['time', 'interval', ['12:34:56']], ['interval', 'time', ['1 day 02:03:04', '-1 hour']],
    ['json', 'jsonb', ['{"b":1,"a":2}']], ['jsonb', 'json', ['{"b":1,"a":2}']], ['text', 'uuid', ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11']],
    ['int4', 'text', ['-42']], ['float8', 'text', ['0.1']], ['numeric(5,2)', 'numeric(4,1)', ['123.45', '999.95']], ['int4', 'numeric(3,1)', ['99', '100']],
    ['timestamp', 'timestamp(0)', ['2000-01-01 00:00:00.5']], ['interval', 'interval(1)', ['1.26 seconds']], ['int2', 'int8', ['-5']],
    ['int4', 'float4', ['16777217']], ['int8', 'numeric', ['-9223372036854775808']], ['numeric', 'int8', ['9223372036854775807.5']],
    ['int4', 'char', ['65']], ['char', 'int4', ['A']], ['int4', 'oid', ['-1']], ['oid', 'int8', ['4294967295']], ['int8', 'oid', ['4294967296', '-1']],
    ['text', 'bytea', ['\\x01']], ['varchar', 'bpchar', ['ab  ']], ['bpchar', 'varchar', ['ab  ']], ['date', 'timestamptz', ['2000-01-01']],
    ['jsonb', 'int4', ['1', '1.5', '"x"']], ['jsonb', 'numeric', ['1.50']], ['jsonb', 'bool', ['true', '1']], ['jsonb', 'float8', ['1e3']],
  ];
  const cases = [];
  await applySettings({});
  for (const [from, to, inputs] of casts) {
    for (const input of inputs) {
      const c = { from, to, input };
      try { c.out = (await client.query(`SELECT (($1::text)::${from}::${to})::text AS r`, [input])).rows[0].r; } catch (e) { c.error = errorOf(e); }
      cases.push(c);
    }
  }
  writeFileSync(join(outDir, 'casts.json'), JSON.stringify({ cases }, null, 1) + '\n');
  console.log(`casts.json: ${cases.length} cases`);
}

// jsonb operators and functions: each case is an operator or function with its arguments.
{
  const docs = ['{"a": 1, "b": [1, 2, {"c": null}], "d": {"e": "x"}}', '[1, "a", [2, 3], {"k": "v"}, null]', '"a"', '1', 'null', '{}', '[]',
    '{"a": null, "b": {"c": null, "d": [null, {"e": null}]}}', '[[1, 2], [3, 4]]', '{"a": {"b": {"c": 1}}}', 'true'];
  const keys = ['a', 'b', 'k', 'x', '0', 1, 0, -1, 2, -5, 10];
  const paths = [['a'], ['b', '1'], ['b', '2', 'c'], ['b', '-1'], ['d', 'e'], ['1', '0'], [], ['x', 'y'], ['b', 'z'], ['a', 'b', 'c']];
  const cases = [];
  const run = async (fn, args, sql, params) => {
    const c = { fn, args };
    try { c.out = (await client.query(`SELECT (${sql})::text AS r`, params)).rows[0].r; } catch (e) { c.error = errorOf(e); }
    cases.push(c);
  };
  await applySettings({});
  for (const d of docs) {
    for (const k of keys) {
      const kt = typeof k === 'number' ? 'int' : 'text';
      await run('->', [d, k], `$1::jsonb -> $2::${kt}`, [d, k]);
      await run('->>', [d, k], `$1::jsonb ->> $2::${kt}`, [d, k]);
      await run('-', [d, k], `$1::jsonb - $2::${kt}`, [d, k]);
      if (typeof k === 'string') await run('?', [d, k], '$1::jsonb ? $2::text', [d, k]);
    }
    for (const p of paths) {
      await run('#>', [d, p], '$1::jsonb #> $2::text[]', [d, p]);
      await run('#>>', [d, p], '$1::jsonb #>> $2::text[]', [d, p]);
      await run('jsonb_set', [d, p, '"new"'], 'jsonb_set($1::jsonb, $2::text[], $3::jsonb)', [d, p, '"new"']);
      await run('jsonb_set_nocreate', [d, p, '[9]'], 'jsonb_set($1::jsonb, $2::text[], $3::jsonb, false)', [d, p, '[9]']);
    }
    for (const e of docs) {
      await run('@>', [d, e], '$1::jsonb @> $2::jsonb', [d, e]);
      await run('||', [d, e], '$1::jsonb || $2::jsonb', [d, e]);
    }
    await run('?|', [d, ['a', 'x']], '$1::jsonb ?| $2::text[]', [d, ['a', 'x']]);
    await run('?&', [d, ['a', 'b']], '$1::jsonb ?& $2::text[]', [d, ['a', 'b']]);
    await run('jsonb_typeof', [d], 'jsonb_typeof($1::jsonb)', [d]);
    await run('jsonb_array_length', [d], 'jsonb_array_length($1::jsonb)', [d]);
    await run('jsonb_pretty', [d], 'jsonb_pretty($1::jsonb)', [d]);
    await run('jsonb_strip_nulls', [d], 'jsonb_strip_nulls($1::jsonb)', [d]);
  }
  for (const [a, b] of [['{"a": [1, 2, 3]}', '{"a": [3, 1]}'], ['[1, [2, 3]]', '[[3]]'], ['[1, 2]', '[[1]]'], ['{"a": {"b": 1, "c": 2}}', '{"a": {"b": 1}}'],
    ['[{"a": 1, "b": 2}]', '[{"a": 1}]'], ['"a"', '["a"]'], ['["a"]', '"a"'], ['[1, 1]', '[1, 1, 1]'], ['{"a": 1}', '{"a": [1]}'], ['1', '1.0']]) {
    await run('@>', [a, b], '$1::jsonb @> $2::jsonb', [a, b]);
  }
  // jsonb_build_object / jsonb_build_array over SQL values given as [type, text] pairs.
  const builds = [
    [['text', 'a'], ['int4', '1'], ['text', 'b'], ['numeric', '2.50'], ['text', 'c'], ['bool', 't'], ['text', 'd'], [null, null]],
    [['text', 'k'], ['float8', 'NaN'], ['text', 'k'], ['float8', '1.5e300']],
    [['int4', '1'], ['text', 'x'], ['text', 'j'], ['jsonb', '{"b":[1,2]}'], ['text', 't'], ['timestamp', '2000-01-01 12:34:56.5']],
    [['text', 'a']], [[null, null], ['int4', '1']], [['text', 'd'], ['date', '1999-01-08'], ['text', 'arr'], ['_int4', '{{1,2},{3,4}}']],
    [['text', 'tz'], ['timestamptz', '2000-01-01 00:00+02'], ['text', 'js'], ['json', '{"b": 1, "a": [2]}']],
  ];
  const lit = ([t, v]) => (t === null ? 'NULL' : `'${v.replace(/'/g, "''")}'::${t === '_int4' ? 'int4[]' : t}`);
  for (const b of builds) {
    await run('jsonb_build_object', b, `jsonb_build_object(${b.map(lit).join(', ')})`, []);
    await run('jsonb_build_array', b, `jsonb_build_array(${b.map(lit).join(', ')})`, []);
  }
  writeFileSync(join(outDir, 'jsonb-ops.json'), JSON.stringify({ cases }, null, 1) + '\n');
  console.log(`jsonb-ops.json: ${cases.length} cases`);
}

await client.end();
