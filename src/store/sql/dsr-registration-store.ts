import type { Kysely } from 'kysely';
import type { AppAttestKeyRecord } from '../app-attest-key-store.js';
import type { DsrRegistration, DsrRegistrationStore, RegisterOutcome } from '../dsr-store.js';
import type { DsrRegistrationsTable, Tables } from '../tables.js';
import { pageWithTotal } from './paged.js';

const toRegistration = (row: DsrRegistrationsTable): DsrRegistration => ({
  sub: row.sub,
  userId: row.user_id,
  platform: row.platform as DsrRegistration['platform'],
  certificateSerial: row.certificate_serial,
  certificateNotAfter: row.certificate_not_after,
  ...(row.attest_key_spki === null ? {} : { attestKeySpki: row.attest_key_spki }),
  ...(row.app_attest_key_id === null ? {} : { appAttestKeyId: row.app_attest_key_id }),
  facts: JSON.parse(row.facts) as Record<string, unknown>,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const rowOf = (registration: DsrRegistration): DsrRegistrationsTable => ({
  sub: registration.sub,
  user_id: registration.userId,
  platform: registration.platform,
  certificate_serial: registration.certificateSerial,
  certificate_not_after: registration.certificateNotAfter,
  attest_key_spki: registration.attestKeySpki ?? null,
  app_attest_key_id: registration.appAttestKeyId ?? null,
  facts: JSON.stringify(registration.facts),
  created_at: registration.createdAt,
  updated_at: registration.updatedAt,
});

/** Thrown inside a transaction to roll it back: the call's outcome is 'conflict'. */
class ConflictRollback extends Error {}
/** The row a registration found existing vanished (a concurrent delete) before it could be locked. */
class RowVanished extends Error {}

const ATTEMPTS = 3;

/**
 * DSR registrations in the SQL database: per registration or operator action, not per request, so
 * plain Kysely transactions. Every transaction takes the registration row first and App Attest key
 * rows second, so concurrent calls cannot deadlock.
 */
export class SqlDsrRegistrationStore implements DsrRegistrationStore {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {}

  async register(registration: DsrRegistration, appAttestKey?: AppAttestKeyRecord): Promise<RegisterOutcome> {
    if (appAttestKey && appAttestKey.keyId !== registration.appAttestKeyId)
      throw new TypeError('the App Attest key stored with a registration must be the one it names (appAttestKeyId)');
    const row = rowOf(registration);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute((trx) => this.registerIn(trx, row, appAttestKey));
      } catch (error) {
        if (error instanceof ConflictRollback) return 'conflict';
        if (error instanceof RowVanished && attempt < ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /**
   * PostgreSQL (READ COMMITTED): the insert either inserts (holding the new row until commit) or,
   * when another transaction holds or committed a row with this sub, waits for it and skips; the row
   * is then locked FOR UPDATE, so the user check and the update see the latest committed row.
   * SQLite: Kysely's single connection runs one transaction at a time.
   */
  private async registerIn(
    trx: Kysely<Tables>,
    row: DsrRegistrationsTable,
    appAttestKey: AppAttestKeyRecord | undefined,
  ): Promise<RegisterOutcome> {
    const inserted = await trx
      .insertInto('dsr_registrations')
      .values(row)
      .onConflict((conflict) => conflict.column('sub').doNothing())
      .returning('sub')
      .execute();
    let outcome: RegisterOutcome = 'created';
    if (inserted.length === 0) {
      const existing = await trx
        .selectFrom('dsr_registrations')
        .select(['user_id', 'app_attest_key_id'])
        .where('sub', '=', row.sub)
        .$if(this.dialect === 'postgres', (query) => query.forUpdate())
        .executeTakeFirst();
      if (!existing) throw new RowVanished();
      // Another user's device key: nothing has been written, so there is nothing to roll back.
      if (existing.user_id !== row.user_id) return 'conflict';
      const { sub: _sub, created_at: _createdAt, ...replacement } = row;
      await trx.updateTable('dsr_registrations').set(replacement).where('sub', '=', row.sub).execute();
      if (existing.app_attest_key_id !== null && existing.app_attest_key_id !== row.app_attest_key_id)
        await trx.deleteFrom('app_attest_keys').where('key_id', '=', existing.app_attest_key_id).execute();
      outcome = 'replaced';
    }
    if (appAttestKey) {
      const keyInserted = await trx
        .insertInto('app_attest_keys')
        .values({
          key_id: appAttestKey.keyId,
          app_id: appAttestKey.appId,
          public_key: appAttestKey.publicKey,
          environment: appAttestKey.environment,
          counter: appAttestKey.counter,
          created_at: appAttestKey.createdAt,
          updated_at: appAttestKey.updatedAt,
        })
        .onConflict((conflict) => conflict.column('key_id').doNothing())
        .returning('key_id')
        .execute();
      if (keyInserted.length === 0) throw new ConflictRollback();
    }
    return outcome;
  }

  async bySub(sub: string): Promise<DsrRegistration | undefined> {
    const row = await this.db.selectFrom('dsr_registrations').selectAll().where('sub', '=', sub).executeTakeFirst();
    return row ? toRegistration(row) : undefined;
  }

  async byUser(userId: string): Promise<DsrRegistration[]> {
    const rows = await this.db
      .selectFrom('dsr_registrations')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('sub')
      .execute();
    return rows.map(toRegistration);
  }

  async delete(sub: string): Promise<boolean> {
    return (await this.deleteWhere('sub', sub)) === 1;
  }

  deleteByUser(userId: string): Promise<number> {
    return this.deleteWhere('user_id', userId);
  }

  /** Deletes the matching registrations and their App Attest key rows in one transaction. */
  private deleteWhere(column: 'sub' | 'user_id', value: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('dsr_registrations')
        .where(column, '=', value)
        .returning('app_attest_key_id')
        .execute();
      const keyIds = deleted.flatMap((row) => (row.app_attest_key_id === null ? [] : [row.app_attest_key_id]));
      if (keyIds.length > 0) await trx.deleteFrom('app_attest_keys').where('key_id', 'in', keyIds).execute();
      return deleted.length;
    });
  }

  async list(options: {
    limit: number;
    offset?: number;
    userId?: string;
    platform?: 'android' | 'ios';
  }): Promise<{ items: DsrRegistration[]; total: number }> {
    let filtered = this.db.selectFrom('dsr_registrations');
    if (options.userId !== undefined) filtered = filtered.where('user_id', '=', options.userId);
    if (options.platform !== undefined) filtered = filtered.where('platform', '=', options.platform);
    const { rows, total } = await pageWithTotal(
      filtered.selectAll().orderBy('created_at', 'desc').orderBy('sub'),
      filtered,
      options,
    );
    return { items: rows.map(toRegistration), total };
  }
}
