import type { Kysely } from 'kysely';
import type {
  CreateOutcome,
  MdvmAccount,
  MdvmAccountStore,
  MdvmAccountUpdate,
  MdvmPlatform,
  MdvmRevocation,
  NewMdvmAccount,
  RevokeAccountOutcome,
  UpdateOutcome,
} from '../mdvm-store.js';
import type { MdvmAccountsTable, Tables } from '../tables.js';
import { param, precompile, type QueryRunner } from './precompiled.js';
import { pageWithTotal, revocationIs } from './paged.js';

const DELETED = 'deleted';
const ERASED = '{}';

const toAccount = (row: MdvmAccountsTable): MdvmAccount => ({
  id: row.id,
  platform: row.platform as MdvmAccount['platform'],
  authKeyThumbprint: row.auth_key_thumbprint,
  authPublicKey: row.auth_public_key,
  deviceClass: JSON.parse(row.device_class) as Record<string, string>,
  attested: JSON.parse(row.attested) as Record<string, unknown>,
  ...(row.app_attest_key_id === null ? {} : { appAttestKeyId: row.app_attest_key_id }),
  counter: row.counter,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  ...(row.revocation_reason === null ? {} : { revocationReason: row.revocation_reason }),
});

/** MDVM accounts in the SQL database; the registration and renewal statements are compiled once and run through `runner`. */
export class SqlMdvmAccountStore implements MdvmAccountStore {
  private readonly insertRow;
  private readonly collidingRows;
  private readonly readRow;
  private readonly updateRow;

  constructor(
    private readonly db: Kysely<Tables>,
    runner: QueryRunner,
  ) {
    // No conflict target: a collision on any unique key (id, auth key, App Attest key id) inserts nothing.
    this.insertRow = precompile<{ id: string }, Record<keyof MdvmAccountsTable, unknown>>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .insertInto('mdvm_accounts')
          .values({
            id: param('id'),
            platform: param('platform'),
            auth_key_thumbprint: param('auth_key_thumbprint'),
            auth_public_key: param('auth_public_key'),
            device_class: param('device_class'),
            attested: param('attested'),
            app_attest_key_id: param('app_attest_key_id'),
            counter: param('counter'),
            version: param('version'),
            created_at: param('created_at'),
            updated_at: param('updated_at'),
            revoked_at: param('revoked_at'),
            revocation_reason: param('revocation_reason'),
          })
          .onConflict((conflict) => conflict.doNothing())
          .returning('id'),
    );
    this.collidingRows = precompile<
      Pick<MdvmAccountsTable, 'auth_key_thumbprint'>,
      { thumbprint: string; appAttestKeyId: string | null }
    >(db, runner, (db: Kysely<Tables>) =>
      db
        .selectFrom('mdvm_accounts')
        .select('auth_key_thumbprint')
        .where((eb) =>
          eb.or([
            eb('auth_key_thumbprint', '=', param('thumbprint')),
            eb('app_attest_key_id', '=', param('appAttestKeyId')),
          ]),
        ),
    );
    this.readRow = precompile<MdvmAccountsTable, { id: string }>(db, runner, (db: Kysely<Tables>) =>
      db.selectFrom('mdvm_accounts').selectAll().where('id', '=', param('id')),
    );
    // The compare-and-set on the version: of concurrent renewals from one version only one can match.
    this.updateRow = precompile<
      { id: string },
      { id: string; expectedVersion: number; deviceClass: string; attested: string; counter: number; at: number }
    >(db, runner, (db: Kysely<Tables>) =>
      db
        .updateTable('mdvm_accounts')
        .set((eb) => ({
          device_class: param('deviceClass'),
          attested: param('attested'),
          counter: param('counter'),
          updated_at: param('at'),
          version: eb('version', '+', eb.lit(1)),
        }))
        .where('id', '=', param('id'))
        .where('version', '=', param('expectedVersion'))
        .where('revoked_at', 'is', null)
        .returning('id'),
    );
  }

  async create(account: NewMdvmAccount): Promise<CreateOutcome> {
    const inserted = await this.insertRow({
      id: account.id,
      platform: account.platform,
      auth_key_thumbprint: account.authKeyThumbprint,
      auth_public_key: account.authPublicKey,
      device_class: JSON.stringify(account.deviceClass),
      attested: JSON.stringify(account.attested),
      app_attest_key_id: account.appAttestKeyId ?? null,
      counter: account.counter,
      version: 1,
      created_at: account.createdAt,
      updated_at: account.createdAt,
      revoked_at: null,
      revocation_reason: null,
    });
    if (inserted.length === 1) return 'created';

    // Accounts are never removed (deletion leaves a tombstone), so the row that won is still there.
    const rows = await this.collidingRows({
      thumbprint: account.authKeyThumbprint,
      appAttestKeyId: account.appAttestKeyId ?? null,
    });
    if (rows.some((row) => row.auth_key_thumbprint === account.authKeyThumbprint)) return 'key-registered';
    if (rows.length > 0) return 'app-attest-key-registered';
    throw new Error(`MDVM account id ${account.id} already exists`);
  }

  async find(id: string): Promise<MdvmAccount | undefined> {
    const [row] = await this.readRow({ id });
    return row ? toAccount(row) : undefined;
  }

  async update(id: string, expectedVersion: number, update: MdvmAccountUpdate): Promise<UpdateOutcome> {
    const updated = await this.updateRow({
      id,
      expectedVersion,
      deviceClass: JSON.stringify(update.deviceClass),
      attested: JSON.stringify(update.attested),
      counter: update.counter,
      at: update.at,
    });
    if (updated.length === 1) return 'updated';

    // The compare-and-set failed; read the row only to say why.
    const [row] = await this.readRow({ id });
    if (!row) return 'unknown';
    return row.revoked_at === null ? 'conflict' : 'revoked';
  }

  async revoke(id: string, reason: string, at: number): Promise<RevokeAccountOutcome> {
    const updated = await this.db
      .updateTable('mdvm_accounts')
      .set({ revoked_at: at, revocation_reason: reason })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 1) return 'revoked';
    return (await this.find(id)) ? 'already-revoked' : 'unknown';
  }

  async delete(id: string, at: number): Promise<RevokeAccountOutcome> {
    const revoked = await this.db
      .updateTable('mdvm_accounts')
      .set({ revoked_at: at, revocation_reason: DELETED, device_class: ERASED, attested: ERASED })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(revoked.numUpdatedRows) === 1) return 'revoked';
    // Already revoked: keep that revocation, but the device data still goes.
    const erased = await this.db
      .updateTable('mdvm_accounts')
      .set({ device_class: ERASED, attested: ERASED })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(erased.numUpdatedRows) === 1 ? 'already-revoked' : 'unknown';
  }

  async revokedSince(since: number, limit: number): Promise<MdvmRevocation[]> {
    const rows = await this.db
      .selectFrom('mdvm_accounts')
      .select(['id', 'revoked_at', 'revocation_reason'])
      .where('revoked_at', '>=', since)
      .orderBy('revoked_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      revokedAt: row.revoked_at!,
      reason: row.revocation_reason ?? 'unspecified',
    }));
  }

  async listActive(after: string, limit: number): Promise<MdvmAccount[]> {
    const rows = await this.db
      .selectFrom('mdvm_accounts')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toAccount);
  }

  async page(query: {
    limit: number;
    offset?: number;
    search?: string;
    platform?: MdvmPlatform;
    revoked?: boolean;
  }): Promise<{ items: MdvmAccount[]; total: number }> {
    let filtered = this.db.selectFrom('mdvm_accounts');
    if (query.search) {
      // Ids are lowercase UUIDs; substr, unlike LIKE, needs no escaping and is case-sensitive in both dialects.
      const search = query.search.toLowerCase();
      filtered = filtered.where((eb) => eb(eb.fn('substr', ['id', eb.val(1), eb.val(search.length)]), '=', search));
    }
    if (query.platform !== undefined) filtered = filtered.where('platform', '=', query.platform);
    if (query.revoked !== undefined) filtered = filtered.where(revocationIs(query.revoked));
    const { rows, total } = await pageWithTotal(
      filtered.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'),
      filtered,
      query,
    );
    return { items: rows.map(toAccount), total };
  }
}
