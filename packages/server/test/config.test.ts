import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeFileSystem } from '@palisade/common';
import { GucRegistry } from '@palisade/sql';
import { autoConfText, evaluateConfig, readConfigFile } from '../src/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dataDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'palisade-conf-'));
  dirs.push(d);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), text);
  }
  return d;
}
const fs = new NodeFileSystem();

describe('postgresql.conf (PostgreSQL 15 syntax and messages)', () => {
  it('[CONF1] reads name = value and name value lines, comments, quoted strings and units', async () => {
    const d = dataDir({ 'postgresql.conf': "# comment\nwork_mem = 8MB  # trailing\nshared_buffers 256MB\napplication_name = 'it''s \\'x\\''\nsearch_path = '\"$user\", public'\nlog_line_prefix='%m [%p] '\napp.tenant = acme\nlisten_addresses = localhost\nlog_directory = pg_log/x-y:z.d\n" });
    const { items, problems } = await readConfigFile(fs, join(d, 'postgresql.conf'));
    expect(problems).toEqual([]);
    expect(items.map((i) => [i.name, i.value, i.line])).toEqual([
      ['work_mem', '8MB', 2], ['shared_buffers', '256MB', 3], ['application_name', "it's 'x'", 4], ['search_path', '"$user", public', 5],
      ['log_line_prefix', '%m [%p] ', 6], ['app.tenant', 'acme', 7], ['listen_addresses', 'localhost', 8], ["log_directory", "pg_log/x-y:z.d", 9],
    ]);
  });

  it('[CONF2] reports syntax errors with file and line like PostgreSQL', async () => {
    const d = dataDir({ 'postgresql.conf': 'work_mem = 8MB garbage\nwork_mem =\nwork_mem = @\n' });
    const path = join(d, 'postgresql.conf');
    const { problems } = await readConfigFile(fs, path);
    expect(problems.map((p) => p.message)).toEqual([
      `syntax error in file "${path}" line 1, near token "garbage"`,
      `syntax error in file "${path}" line 2, near end of line`,
      `syntax error in file "${path}" line 3, near token "@"`,
    ]);
  });

  it('[CONF4] include, include_if_exists and include_dir resolve relative to the including file', async () => {
    const d = dataDir({
      'postgresql.conf': "include 'conf.d/a.conf'\ninclude_if_exists 'nope.conf'\ninclude_dir 'extra'\nwork_mem = 1MB\n",
      'conf.d/a.conf': 'work_mem = 2MB\nmaintenance_work_mem = 128MB\n',
      'extra/10-b.conf': 'work_mem = 3MB\n',
      'extra/02-c.conf': 'temp_buffers = 16MB\n',
      'extra/.hidden.conf': 'work_mem = 999MB\n',
      'extra/readme.txt': 'not a conf file\n',
    });
    const { items, problems, notes } = await readConfigFile(fs, join(d, 'postgresql.conf'));
    expect(problems).toEqual([]);
    expect(notes).toEqual([`skipping missing configuration file "${join(d, 'nope.conf')}"`]);
    expect(items.map((i) => `${i.name}=${i.value}`)).toEqual(['work_mem=2MB', 'maintenance_work_mem=128MB', 'temp_buffers=16MB', 'work_mem=3MB', 'work_mem=1MB']);
    const missing = dataDir({ 'postgresql.conf': "include 'missing.conf'\n" });
    expect((await readConfigFile(fs, join(missing, 'postgresql.conf'))).problems[0]?.message).toBe(
      `could not open configuration file "${join(missing, 'missing.conf')}": No such file or directory`,
    );
  });

  it('[CONF5] refuses include cycles at the nesting limit', async () => {
    const d = dataDir({ 'postgresql.conf': "include 'postgresql.conf'\n" });
    const { problems } = await readConfigFile(fs, join(d, 'postgresql.conf'));
    expect(problems.some((p) => p.message.endsWith('maximum nesting depth exceeded'))).toBe(true);
  });

  it('[CONF3] the last setting wins and values are checked like SET', async () => {
    const d = dataDir({ 'postgresql.conf': "work_mem = 3MB\nwork_mem = 5MB\nnosuch = 1\nshared_buffers = '1'\nserver_version = 14\nenable_seqscan = maybe\n" });
    const path = join(d, 'postgresql.conf');
    const { items } = await readConfigFile(fs, path);
    const r = evaluateConfig(new GucRegistry(), items);
    expect(r.values.get('work_mem')?.value).toBe(5120);
    expect(r.problems.map((p) => p.message)).toEqual([
      `unrecognized configuration parameter "nosuch" in file "${path}" line 3`,
      '1 8kB is outside the valid range for parameter "shared_buffers" (16 .. 1073741823)',
      'parameter "server_version" cannot be changed',
      'parameter "enable_seqscan" requires a Boolean value',
    ]);
  });

  it('[CONF7] a reload does not apply postmaster parameters and resets removed ones', () => {
    const registry = new GucRegistry();
    const previous = new Map([['shared_buffers', { value: 16384 }], ['work_mem', { value: 8192 }]]);
    const r = evaluateConfig(registry, [{ name: 'shared_buffers', value: '256MB', file: 'postgresql.conf', line: 1 }], { previous });
    expect(r.problems.map((p) => p.message)).toEqual(['parameter "shared_buffers" cannot be changed without restarting the server']);
    expect(r.notes).toEqual(['parameter "work_mem" removed from configuration file, reset to default']);
  });

  it('[CONF6] ALTER SYSTEM writes a postgresql.auto.conf that reads back the same values', async () => {
    const text = autoConfText([{ name: 'work_mem', value: '16MB' }, { name: 'application_name', value: "o'neil \\ x" }]);
    expect(text.startsWith('# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n')).toBe(true);
    const d = dataDir({ 'postgresql.auto.conf': text });
    const { items, problems } = await readConfigFile(fs, join(d, 'postgresql.auto.conf'));
    expect(problems).toEqual([]);
    expect(items.map((i) => [i.name, i.value])).toEqual([['work_mem', '16MB'], ['application_name', "o'neil \\ x"]]);
  });
});
