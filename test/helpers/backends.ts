import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/store.js';

/** PostgreSQL and Redis tests run when these are set (.ci/run sets both) and are reported as skipped otherwise. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? '';

export const skipWithoutPostgres = !TEST_DATABASE_URL;
export const skipWithoutRedis = !TEST_REDIS_URL;
if (skipWithoutPostgres) console.warn('[keyward tests] TEST_DATABASE_URL is not set: PostgreSQL tests are SKIPPED');
if (skipWithoutRedis) console.warn('[keyward tests] TEST_REDIS_URL is not set: Redis tests are SKIPPED');

/** The backends a server test runs on: SQLite alone, and PostgreSQL with Redis (skipped without them). */
export const SERVER_BACKENDS = [
  { name: 'SQLite', database: 'sqlite' as const, redis: false, skip: false },
  {
    name: 'PostgreSQL + Redis',
    database: 'postgres' as const,
    redis: true,
    skip: skipWithoutPostgres || skipWithoutRedis,
  },
];

export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;

/** Where a test's database lives (a server's configuration fragment), and how to remove it afterwards. */
export interface TestDatabase {
  config: { databaseUrl: string; databaseSchema: string; dataDir: string };
  remove(): Promise<void>;
}

export interface TestBackend {
  store: Store;
  /** Closes the store and removes the database. */
  cleanup(): Promise<void>;
}

/** A fresh SQLite file in its own temporary directory (nothing opened yet). */
export function sqliteDatabase(): TestDatabase {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyward-test-'));
  return {
    config: { databaseUrl: `sqlite:${join(dataDir, 'keyward.db')}`, databaseSchema: '', dataDir },
    async remove() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh schema name in the test PostgreSQL database (created by whoever opens it), dropped afterwards. */
export function postgresDatabase(): TestDatabase {
  const schema = uniqueName('kw_test');
  const dataDir = mkdtempSync(join(tmpdir(), 'keyward-test-'));
  return {
    config: { databaseUrl: TEST_DATABASE_URL, databaseSchema: schema, dataDir },
    async remove() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function opened(database: TestDatabase, poolSize?: number): Promise<TestBackend> {
  const store = await openStore({
    url: database.config.databaseUrl,
    schema: database.config.databaseSchema,
    ...(poolSize ? { poolSize } : {}),
  });
  return {
    store,
    async cleanup() {
      await store.close();
      await database.remove();
    },
  };
}

/** A store over a fresh SQLite file. */
export const sqliteBackend = (): Promise<TestBackend> => opened(sqliteDatabase());

/** A store over a fresh PostgreSQL schema (openStore's pool size unless given). */
export const postgresBackend = (options: { poolSize?: number } = {}): Promise<TestBackend> =>
  opened(postgresDatabase(), options.poolSize);

/**
 * For the store contract suites: opens a backend and hands over the one store `pick` chooses,
 * with the backend's cleanup.
 */
export function storeHarness<T>(
  open: () => Promise<TestBackend>,
  pick: (store: Store) => T,
): () => Promise<{ store: T; cleanup(): Promise<void> }> {
  return async () => {
    const backend = await open();
    return { store: pick(backend.store), cleanup: backend.cleanup };
  };
}

/** A Redis connection and a key prefix no other test run uses; the prefix's keys are deleted afterwards. */
export async function redisBackend(): Promise<{ redis: Redis; prefix: string; cleanup(): Promise<void> }> {
  const redis = new Redis(TEST_REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  const prefix = `${uniqueName('kwtest')}:`;
  return {
    redis,
    prefix,
    async cleanup() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}
