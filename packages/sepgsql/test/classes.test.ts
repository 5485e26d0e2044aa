import { describe, expect, it } from 'vitest';
import { SEPG_CLASS, SEPG_CLASSES, allPermissionBits, permissionBits, permissionNames } from '../src/classes.ts';

describe('object classes and permissions', () => {
  it('[SE4] [S1] internal class codes follow sepgsql.h', () => {
    expect(SEPG_CLASSES.map((c) => c.name)).toEqual([
      'process', 'file', 'dir', 'lnk_file', 'chr_file', 'blk_file', 'sock_file', 'fifo_file', 'db_database', 'db_schema',
      'db_table', 'db_sequence', 'db_procedure', 'db_column', 'db_tuple', 'db_blob', 'db_language', 'db_view',
    ]);
    expect(SEPG_CLASS.db_table).toBe(10);
    expect(SEPG_CLASS.db_view).toBe(17);
  });

  it('[SE4] [S2] common six are bits 0-5 and class permissions follow from bit 6', () => {
    expect(permissionBits('db_table', ['create', 'relabelto'])).toBe(0b100001);
    expect(permissionBits('db_table', ['select'])).toBe(1 << 6);
    expect(permissionBits('db_table', ['truncate'])).toBe(1 << 11);
    expect(permissionBits('db_procedure', ['execute', 'entrypoint', 'install'])).toBe((1 << 6) | (1 << 7) | (1 << 8));
    expect(permissionBits('db_schema', ['search', 'add_name', 'remove_name'])).toBe((1 << 6) | (1 << 7) | (1 << 8));
    expect(permissionBits('db_tuple', ['relabelfrom', 'select'])).toBe(0b101);
    expect(permissionBits('process', ['setcurrent'])).toBe(4);
    expect(permissionNames('db_column', 0b111000000)).toEqual(['select', 'update', 'insert']);
    expect(allPermissionBits('db_view')).toBe(0x7f);
    expect(() => permissionBits('db_view', ['select'])).toThrow(/unknown permission "select" for class db_view/);
  });
});
