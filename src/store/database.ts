import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Tables } from './tables.js';

export type SqlDialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  /** postgres://… or sqlite:<path> (sqlite::memory: for a private in-memory database). */
  url: string;
  /** PostgreSQL schema to create and use; empty for the connection's default. */
  schema?: string;
  poolSize?: number;
  /** Called with errors of idle pooled connections, which would otherwise crash the process. */
  onPoolError?: (error: Error) => void;
}

export interface Database {
  readonly db: Kysely<Tables>;
  readonly dialect: SqlDialect;
  /** Where the data lives, with credentials removed; for logs. */
  readonly location: string;
  close(): Promise<void>;
}

const INT8_OID = 20;

export function openDatabase(options: DatabaseOptions): Database {
  if (options.url.startsWith('sqlite:')) return openSqlite(options.url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(options.url)) return openPostgres(options);
  throw new TypeError(`unsupported database URL scheme: ${options.url.split(':')[0]}`);
}

function openSqlite(file: string): Database {
  const memory = file === ':memory:';
  if (!memory) mkdirSync(dirname(resolve(file)), { recursive: true });
  const connection = new SQLite(memory ? ':memory:' : file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: connection }) });
  return { db, dialect: 'sqlite', location: memory ? 'sqlite (in memory)' : `sqlite ${resolve(file)}`, close: () => db.destroy() };
}

function openPostgres(options: DatabaseOptions): Database {
  const schema = options.schema ?? '';
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Epoch-millisecond and counter columns are bigint; they fit a JS number exactly.
    types: { getTypeParser: (oid: number, format?: any) => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) },
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', (error) => options.onPoolError?.(error));
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  const url = new URL(options.url);
  const location = `postgres ${url.hostname}:${url.port || 5432}${url.pathname}${schema ? ` schema ${schema}` : ''}`;
  return { db, dialect: 'postgres', location, close: () => db.destroy() };
}

/** Creates the configured PostgreSQL schema if missing; a no-op elsewhere. */
export async function ensureSchema(database: Database, schema: string | undefined): Promise<void> {
  if (database.dialect !== 'postgres' || !schema) return;
  await sql`create schema if not exists ${sql.id(schema)}`.execute(database.db);
}

export async function pingDatabase(database: Database): Promise<void> {
  await sql`select 1`.execute(database.db);
}
