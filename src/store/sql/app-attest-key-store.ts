import type { Kysely } from 'kysely';
import type { AppAttestKeyRecord, AppAttestKeyStore } from '../app-attest-key-store.js';
import type { AppAttestKeysTable, Tables } from '../tables.js';
import { param, precompile, type QueryRunner } from './precompiled.js';

const toRecord = (row: AppAttestKeysTable): AppAttestKeyRecord => ({
  keyId: row.key_id,
  appId: row.app_id,
  publicKey: row.public_key,
  environment: row.environment,
  counter: row.counter,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** App Attest keys in the SQL database; statements compiled once and run through `runner`. */
export class SqlAppAttestKeyStore implements AppAttestKeyStore {
  private readonly insertRow;
  private readonly readRow;
  private readonly advance;

  constructor(db: Kysely<Tables>, runner: QueryRunner) {
    this.insertRow = precompile<{ key_id: string }, Record<keyof AppAttestKeysTable, unknown>>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .insertInto('app_attest_keys')
          .values({
            key_id: param('key_id'),
            app_id: param('app_id'),
            public_key: param('public_key'),
            environment: param('environment'),
            counter: param('counter'),
            created_at: param('created_at'),
            updated_at: param('updated_at'),
          })
          .onConflict((conflict) => conflict.column('key_id').doNothing())
          .returning('key_id'),
    );
    this.readRow = precompile<AppAttestKeysTable, { keyId: string }>(db, runner, (db: Kysely<Tables>) =>
      db.selectFrom('app_attest_keys').selectAll().where('key_id', '=', param('keyId')),
    );
    // The compare-and-set: one statement, so of concurrent assertions carrying one counter only one can match.
    this.advance = precompile<{ key_id: string }, { keyId: string; counter: number; at: number }>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .updateTable('app_attest_keys')
          .set({ counter: param('counter'), updated_at: param('at') })
          .where('key_id', '=', param('keyId'))
          .where('counter', '<', param('counter'))
          .returning('key_id'),
    );
  }

  async insert(record: AppAttestKeyRecord): Promise<boolean> {
    const inserted = await this.insertRow({
      key_id: record.keyId,
      app_id: record.appId,
      public_key: record.publicKey,
      environment: record.environment,
      counter: record.counter,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
    });
    return inserted.length === 1;
  }

  async find(keyId: string): Promise<AppAttestKeyRecord | undefined> {
    const [row] = await this.readRow({ keyId });
    return row ? toRecord(row) : undefined;
  }

  async advanceCounter(keyId: string, counter: number, at: number): Promise<boolean> {
    return (await this.advance({ keyId, counter, at })).length === 1;
  }
}
