import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { sqliteDatabase, type TestDatabase } from '../../test/helpers/backends.js';
import { type DatabaseOptions, openDatabase } from './database.js';

const databases: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(databases.splice(0).map((database) => database.remove()));
});

describe('SQLite durability', () => {
  /** SQLite's numbering of PRAGMA synchronous: 1 NORMAL, 2 FULL. */
  const synchronousOf = async (options: Omit<DatabaseOptions, 'url'>) => {
    const database = sqliteDatabase();
    databases.push(database);
    const opened = openDatabase({ url: database.config.databaseUrl, ...options });
    try {
      return opened.sqlite!.connection.pragma('synchronous', { simple: true });
    } finally {
      await opened.close();
    }
  };

  it('syncs every commit (synchronous=FULL) unless configured otherwise', async () => {
    expect(loadConfig({ env: {} }).config.sqliteSynchronous).toBe('FULL');
    expect(await synchronousOf({})).toBe(2);
    expect(await synchronousOf({ sqliteSynchronous: 'FULL' })).toBe(2);
    expect(await synchronousOf({ sqliteSynchronous: 'NORMAL' })).toBe(1);
    expect(loadConfig({ env: { KEYWARD_SQLITE_SYNCHRONOUS: 'NORMAL' } }).config.sqliteSynchronous).toBe('NORMAL');
    expect(() => loadConfig({ env: { KEYWARD_SQLITE_SYNCHRONOUS: 'OFF' } })).toThrow(/sqliteSynchronous/);
  });
});
