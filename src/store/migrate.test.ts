import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TEST_DATABASE_URL,
  postgresDatabase,
  skipWithoutPostgres,
  sqliteDatabase,
  type TestDatabase,
} from '../../test/helpers/backends.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { openMigratedDatabase } from './store.js';

const KEYWARD_MIGRATIONS = Object.keys(MIGRATIONS);

const databases: TestDatabase[] = [];
const fresh = (make: () => TestDatabase) => {
  const database = make();
  databases.push(database);
  return database;
};
afterEach(async () => {
  await Promise.all(databases.splice(0).map((database) => database.remove()));
});

/** A Kysely over one PostgreSQL schema (search_path), as another application (or an older Keyward) would open it. */
function postgresKysely(schema: string): Kysely<any> {
  return new Kysely({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2, options: `-c search_path=${schema}` }),
    }),
  });
}

/** What an older Keyward left: its migrations applied and recorded in kysely_migration (with another application's row beside them). */
async function migrateLikeAnOlderKeyward(db: Kysely<any>, schema?: string): Promise<void> {
  const result = await new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    ...(schema ? { migrationTableSchema: schema } : {}),
  }).migrateToLatest();
  if (result.error) throw result.error;
  await db
    .withSchema(schema ?? 'main')
    .insertInto('kysely_migration')
    .values({ name: 'zz-other-application', timestamp: new Date().toISOString() })
    .execute();
}

async function bookkeeping(
  db: Kysely<any>,
  table: string,
  schema?: string,
): Promise<{ name: string; timestamp: string }[]> {
  const scoped = schema ? db.withSchema(schema) : db;
  return scoped.selectFrom(table).select(['name', 'timestamp']).orderBy('name').execute();
}

describe.skipIf(skipWithoutPostgres)('migrations on PostgreSQL', () => {
  it('migrates two Keyward schemas side by side, beside another Kysely application’s bookkeeping', async () => {
    // Another Kysely application, with Kysely's default bookkeeping tables (which Kysely looks for in every schema).
    const other = fresh(postgresDatabase).config.databaseSchema;
    const otherDb = postgresKysely(other);
    try {
      await sql`create schema ${sql.id(other)}`.execute(otherDb);
      const result = await new Migrator({
        db: otherDb,
        provider: {
          getMigrations: async () => ({
            'other-001': { up: (db) => db.schema.createTable('things').addColumn('id', 'integer').execute() },
          }),
        },
        migrationTableSchema: other,
      }).migrateToLatest();
      expect(result.error).toBeUndefined();

      const [first, second] = [fresh(postgresDatabase), fresh(postgresDatabase)];
      const opened = await Promise.all(
        [first, second].map((database) =>
          openMigratedDatabase({ url: database.config.databaseUrl, schema: database.config.databaseSchema }),
        ),
      );
      try {
        for (const [index, { database, applied }] of opened.entries()) {
          const schema = [first, second][index]!.config.databaseSchema;
          expect(applied).toEqual(KEYWARD_MIGRATIONS);
          expect((await bookkeeping(database.db, MIGRATION_TABLE, schema)).map((row) => row.name)).toEqual(
            KEYWARD_MIGRATIONS,
          );
          const { rows } = await sql<{ tablename: string }>`
            select tablename from pg_catalog.pg_tables where schemaname = ${schema} and tablename like '%migration%'
            order by tablename`.execute(database.db);
          expect(rows.map((row) => row.tablename)).toEqual([MIGRATION_TABLE, MIGRATION_LOCK_TABLE]);
        }
      } finally {
        await Promise.all(opened.map(({ database }) => database.close()));
      }
      // The other application's bookkeeping is untouched.
      expect((await bookkeeping(otherDb, 'kysely_migration', other)).map((row) => row.name)).toEqual(['other-001']);
    } finally {
      await otherDb.destroy();
    }
  });

  it('adopts an older Keyward’s kysely_migration rows (its own only), applying nothing again, with instances starting together', async () => {
    const legacy = fresh(postgresDatabase).config;
    const db = postgresKysely(legacy.databaseSchema);
    try {
      await sql`create schema ${sql.id(legacy.databaseSchema)}`.execute(db);
      await migrateLikeAnOlderKeyward(db, legacy.databaseSchema);
      const before = await bookkeeping(db, 'kysely_migration', legacy.databaseSchema);

      const opened = await Promise.all(
        [1, 2, 3].map(() => openMigratedDatabase({ url: legacy.databaseUrl, schema: legacy.databaseSchema })),
      );
      await Promise.all(opened.map(({ database }) => database.close()));
      for (const { applied } of opened) expect(applied).toEqual([]);
      expect(await bookkeeping(db, MIGRATION_TABLE, legacy.databaseSchema)).toEqual(
        before.filter((row) => KEYWARD_MIGRATIONS.includes(row.name)),
      );
      expect(await bookkeeping(db, 'kysely_migration', legacy.databaseSchema)).toEqual(before);
    } finally {
      await db.destroy();
    }
  });
});

describe.skipIf(skipWithoutPostgres)('a PostgreSQL schema named with capitals', () => {
  it('is the schema created, searched and migrated (quoted alike everywhere)', async () => {
    const schema = `Kw_Caps_${process.pid}_${Date.now().toString(36)}`;
    const cleanup = postgresKysely('public');
    try {
      const { database, applied } = await openMigratedDatabase({ url: TEST_DATABASE_URL, schema });
      try {
        expect(applied).toEqual(KEYWARD_MIGRATIONS);
        const { rows } = await sql<{ current: string }>`select current_schema() as current`.execute(database.db);
        expect(rows[0]!.current).toBe(schema);
      } finally {
        await database.close();
      }
    } finally {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(cleanup);
      await cleanup.destroy();
    }
  });
});

describe('migrations on SQLite', () => {
  it('keeps its bookkeeping under Keyward’s names', async () => {
    const { databaseUrl } = fresh(sqliteDatabase).config;
    const { database, applied } = await openMigratedDatabase({ url: databaseUrl });
    try {
      expect(applied).toEqual(KEYWARD_MIGRATIONS);
      expect((await bookkeeping(database.db, MIGRATION_TABLE)).map((row) => row.name)).toEqual(KEYWARD_MIGRATIONS);
      const { rows } = await sql<{ name: string }>`
        select name from sqlite_master where type = 'table' and name like '%migration%' order by name`.execute(
        database.db,
      );
      expect(rows.map((row) => row.name)).toEqual([MIGRATION_TABLE, MIGRATION_LOCK_TABLE]);
    } finally {
      await database.close();
    }
  });

  it('adopts an older Keyward’s kysely_migration rows (its own only), applying nothing again', async () => {
    const { databaseUrl } = fresh(sqliteDatabase).config;
    const file = databaseUrl.slice('sqlite:'.length);
    const old = new Kysely({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    let before: { name: string; timestamp: string }[];
    try {
      await migrateLikeAnOlderKeyward(old);
      before = await bookkeeping(old, 'kysely_migration');
    } finally {
      await old.destroy();
    }

    const { database, applied } = await openMigratedDatabase({ url: databaseUrl });
    try {
      expect(applied).toEqual([]);
      expect(await bookkeeping(database.db, MIGRATION_TABLE)).toEqual(
        before.filter((row) => KEYWARD_MIGRATIONS.includes(row.name)),
      );
      expect(await bookkeeping(database.db, 'kysely_migration')).toEqual(before);
    } finally {
      await database.close();
    }
  });
});
