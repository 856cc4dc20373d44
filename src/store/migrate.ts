import { Migrator, sql, type Kysely, type MigrationResultSet } from 'kysely';
import type { Database } from './database.js';
import { MIGRATIONS } from './migrations/index.js';

/**
 * Keyward's own bookkeeping tables, in the schema its tables live in: Kysely's default names
 * (kysely_migration, kysely_migration_lock) are shared with every other Kysely application, and
 * Kysely looks for them in any schema, so a second Keyward schema or another application's tables
 * in the same database made migration fail.
 */
export const MIGRATION_TABLE = 'keyward_migration';
export const MIGRATION_LOCK_TABLE = 'keyward_migration_lock';
/** Where earlier Keyward versions kept their applied migrations; adopted once (see adoptLegacyBookkeeping). */
const LEGACY_MIGRATION_TABLE = 'kysely_migration';

export interface MigrationReport {
  applied: string[];
}

/** A failed migration step; `step` says which ("migrating to <name>"), the cause why. */
export class MigrationStepError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`${step} failed: ${describeFailure(cause)}`, { cause });
    this.name = 'MigrationStepError';
  }
}

/** An error's message; for an AggregateError (one connection attempt per address) every attempt's. */
export function describeFailure(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map((each) => describeFailure(each)).join('; ');
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}

/** Brings the schema to the latest migration; safe to run from several instances at once (Kysely locks). */
export async function migrateToLatest(database: Pick<Database, 'db' | 'dialect'>): Promise<MigrationReport> {
  const { db, dialect } = database;
  // PostgreSQL: the schema unqualified tables go to (the configured one, through search_path).
  const schema = dialect === 'postgres' ? await currentSchema(db) : undefined;
  await adoptLegacyBookkeeping(db, dialect, schema);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationStepError(failed ? `migrating to ${failed}` : 'reading the applied migrations', result.error);
  }
  return { applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

// biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for code that serves any schema (migrations, compiled statements)
type AnyKysely = Kysely<any>;

async function currentSchema(db: AnyKysely): Promise<string | undefined> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? undefined;
}

/**
 * A database migrated by an older Keyward records its migrations in kysely_migration. Before the
 * first migration under the new names, Keyward's rows of it (only those: another application may
 * share the table) are copied into keyward_migration, so nothing is applied twice; the old table is
 * left alone. Under a lock (PostgreSQL: an advisory lock per schema; SQLite: BEGIN IMMEDIATE) and
 * only while keyward_migration does not exist, so instances starting together adopt once.
 */
async function adoptLegacyBookkeeping(
  db: AnyKysely,
  dialect: Database['dialect'],
  schema: string | undefined,
): Promise<void> {
  const names = Object.keys(MIGRATIONS);
  const adopt = async (trx: AnyKysely) => {
    const exists = async (table: string) =>
      dialect === 'postgres'
        ? (
            await sql`select 1 from pg_catalog.pg_tables where schemaname = ${schema} and tablename = ${table}`.execute(
              trx,
            )
          ).rows.length > 0
        : (await sql`select 1 from sqlite_master where type = 'table' and name = ${table}`.execute(trx)).rows.length >
          0;
    if (!(await exists(LEGACY_MIGRATION_TABLE)) || (await exists(MIGRATION_TABLE))) return;
    const inSchema = schema ? trx.withSchema(schema) : trx;
    await inSchema.schema
      .createTable(MIGRATION_TABLE)
      .addColumn('name', 'varchar(255)', (column) => column.notNull().primaryKey())
      .addColumn('timestamp', 'varchar(255)', (column) => column.notNull())
      .execute();
    await inSchema
      .insertInto(MIGRATION_TABLE)
      .columns(['name', 'timestamp'])
      .expression((eb) =>
        eb.selectFrom(LEGACY_MIGRATION_TABLE).select(['name', 'timestamp']).where('name', 'in', names),
      )
      .execute();
  };
  if (dialect === 'postgres') {
    if (!schema) return;
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`${MIGRATION_TABLE}:${schema}`}))`.execute(trx);
      await adopt(trx);
    });
    return;
  }
  await db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      await adopt(connection);
      await sql`commit`.execute(connection);
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}
