import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { WAL_AUTOCHECKPOINT_PAGES, startCheckpointer } from './sqlite-checkpointer.js';
import type { Tables } from './tables.js';

type SqlDialect = 'sqlite' | 'postgres';

export type SqliteSynchronous = 'FULL' | 'NORMAL';

export interface DatabaseOptions {
  /** postgres://… or sqlite:<path> (sqlite::memory: for a private in-memory database). */
  url: string;
  /** PostgreSQL schema to create and use; empty for the connection's default. */
  schema?: string;
  poolSize?: number;
  /**
   * SQLite's synchronous setting: FULL (the default) syncs the WAL at every commit, so a committed
   * write survives a power loss; NORMAL syncs only at checkpoints (it survives a process crash, not
   * a power loss). The group commit makes one sync serve a whole batch.
   */
  sqliteSynchronous?: SqliteSynchronous;
  /** Called with errors of idle pooled connections, which would otherwise crash the process. */
  onPoolError?: (error: Error) => void;
  /** Called when a background WAL checkpoint fails (SQLite). */
  onCheckpointError?: (message: string) => void;
}

/** The raw SQLite connection behind Kysely, for synchronous batches (see SqliteGroupCommit). */
export interface SqliteAccess {
  connection: SQLite.Database;
  /** Prepared statements cached by SQL text (shared with Kysely's driver). */
  prepare(text: string): SQLite.Statement;
}

export interface Database {
  readonly db: Kysely<Tables>;
  readonly dialect: SqlDialect;
  /** Where the data lives, with credentials removed; for logs. */
  readonly location: string;
  readonly sqlite?: SqliteAccess;
  close(): Promise<void>;
}

const INT8_OID = 20;
const STATEMENT_CACHE_SIZE = 256;

export function openDatabase(options: DatabaseOptions): Database {
  if (options.url.startsWith('sqlite:')) return openSqlite(options.url.slice('sqlite:'.length), options);
  if (/^postgres(ql)?:\/\//.test(options.url)) return openPostgres(options);
  throw new TypeError(`unsupported database URL scheme: ${options.url.split(':')[0]}`);
}

function openSqlite(file: string, options: DatabaseOptions): Database {
  const memory = file === ':memory:';
  if (!memory) {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    // Created owner-only; SQLite gives the -wal and -shm files the database file's mode.
    closeSync(openSync(file, 'a', 0o600));
  }
  const connection = new SQLite(memory ? ':memory:' : file);
  connection.pragma('journal_mode = WAL');
  connection.pragma(`synchronous = ${options.sqliteSynchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
  connection.pragma('cache_size = -65536');
  const access = withStatementCache(connection);
  const db = new Kysely<Tables>({
    dialect: new SqliteDialect({ database: { prepare: access.prepare, close: () => connection.close() } }),
  });
  let stopCheckpointer = async () => {};
  if (!memory) {
    connection.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    stopCheckpointer = startCheckpointer(resolve(file), { onError: options.onCheckpointError });
  }
  return {
    db,
    dialect: 'sqlite',
    location: memory ? 'sqlite (in memory)' : `sqlite ${resolve(file)}`,
    sqlite: access,
    close: async () => {
      await stopCheckpointer();
      await db.destroy();
    },
  };
}

/**
 * Kysely's SQLite driver prepares every statement anew, which costs more than running it.
 * Statements are reusable (each runs synchronously under the driver's connection mutex), so
 * prepared ones are kept by SQL text, least recently used evicted first.
 */
function withStatementCache(connection: SQLite.Database): SqliteAccess {
  const cache = new Map<string, SQLite.Statement>();
  return {
    connection,
    prepare(text: string): SQLite.Statement {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = connection.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

function openPostgres(options: DatabaseOptions): Database {
  const schema = options.schema ?? '';
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    // Epoch-millisecond and counter columns are bigint; they fit a JS number exactly.
    types: {
      getTypeParser: (oid: number, format?: Parameters<typeof pg.types.getTypeParser>[1]) =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format),
    },
    // Quoted as `create schema` quotes it, so a schema name with capitals is the same schema.
    options: `-c statement_timeout=15000${schema ? ` -c search_path="${schema}"` : ''}`,
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
