import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { contentError, trustError } from '../../errors.js';
import type { Tables, WebAuthnCredentialsTable, WebAuthnPendingUsersTable, WebAuthnUsersTable } from '../tables.js';
import type {
  CredentialListing,
  CredentialListQuery,
  CredentialUse,
  NewWebAuthnCredential,
  PendingWebAuthnUser,
  WebAuthnCredential,
  WebAuthnCredentialStore,
  WebAuthnUser,
  WebAuthnUserStore,
} from '../webauthn-store.js';
import { param, precompile, type QueryRunner } from './precompiled.js';

const USER_HANDLE_BYTES = 32;

const toUser = (row: WebAuthnUsersTable): WebAuthnUser => ({
  userHandle: row.user_handle,
  userName: row.user_name,
  displayName: row.display_name,
  createdAt: row.created_at,
});

const toPending = (row: WebAuthnPendingUsersTable): PendingWebAuthnUser => ({
  userHandle: row.user_handle,
  userName: row.user_name,
  displayName: row.display_name,
  expiresAt: Number(row.expires_at),
});

const flag = (value: boolean): number => (value ? 1 : 0);

const toCredential = (row: WebAuthnCredentialsTable): WebAuthnCredential => ({
  credentialId: row.credential_id,
  userHandle: row.user_handle,
  publicKey: new Uint8Array(Buffer.from(row.public_key, 'base64')),
  alg: row.alg,
  counter: row.counter,
  transports: JSON.parse(row.transports) as string[],
  aaguid: row.aaguid,
  fmt: row.fmt,
  attestationType: row.attestation_type as WebAuthnCredential['attestationType'],
  trust: row.trust as WebAuthnCredential['trust'],
  attestation: JSON.parse(row.attestation) as WebAuthnCredential['attestation'],
  metadata: JSON.parse(row.metadata) as WebAuthnCredential['metadata'],
  userVerified: row.user_verified === 1,
  backupEligible: row.backup_eligible === 1,
  backedUp: row.backed_up === 1,
  ...(row.discoverable === null ? {} : { discoverable: row.discoverable === 1 }),
  ...(row.possibly_cloned_at === null ? {} : { possiblyClonedAt: row.possibly_cloned_at }),
  createdAt: row.created_at,
  ...(row.last_used_at === null ? {} : { lastUsedAt: row.last_used_at }),
});

/** The columns of a credential row, in the order INSERT … SELECT names them. */
const CREDENTIAL_COLUMNS = [
  'credential_id',
  'user_handle',
  'public_key',
  'alg',
  'counter',
  'transports',
  'aaguid',
  'fmt',
  'attestation_type',
  'trust',
  'attestation',
  'metadata',
  'user_verified',
  'backup_eligible',
  'backed_up',
  'discoverable',
  'possibly_cloned_at',
  'created_at',
  'last_used_at',
] as const satisfies readonly (keyof WebAuthnCredentialsTable)[];

const rowOf = (credential: NewWebAuthnCredential): Record<keyof WebAuthnCredentialsTable, unknown> => ({
  credential_id: credential.credentialId,
  user_handle: credential.userHandle,
  public_key: Buffer.from(credential.publicKey).toString('base64'),
  alg: credential.alg,
  counter: credential.counter,
  transports: JSON.stringify(credential.transports),
  aaguid: credential.aaguid,
  fmt: credential.fmt,
  attestation_type: credential.attestationType,
  trust: credential.trust,
  attestation: JSON.stringify(credential.attestation),
  metadata: JSON.stringify(credential.metadata),
  user_verified: flag(credential.userVerified),
  backup_eligible: flag(credential.backupEligible),
  backed_up: flag(credential.backedUp),
  discoverable: credential.discoverable === undefined ? null : flag(credential.discoverable),
  possibly_cloned_at: null,
  created_at: credential.createdAt,
  last_used_at: null,
});

const alreadyRegistered = (credentialId: string) =>
  contentError('CREDENTIAL_ALREADY_REGISTERED', 'This credential is already registered.', {
    status: 409,
    detail: `credential id ${credentialId}`,
  });

/** WebAuthn users in the SQL database; every statement is per ceremony, so all are compiled once and run through `runner`. */
export class SqlWebAuthnUserStore implements WebAuthnUserStore {
  private readonly insertRow;
  private readonly rowByName;
  private readonly rowByHandle;
  private readonly insertPending;
  private readonly purgePending;
  private readonly pendingRow;
  private readonly pendingRowByName;

  constructor(db: Kysely<Tables>, runner: QueryRunner) {
    // Conflict on the name only: of concurrent first registrations one inserts, the rest read its row.
    this.insertRow = precompile<{ user_handle: string }, Record<keyof WebAuthnUsersTable, unknown>>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .insertInto('webauthn_users')
          .values({
            user_handle: param('user_handle'),
            user_name: param('user_name'),
            display_name: param('display_name'),
            created_at: param('created_at'),
          })
          .onConflict((conflict) => conflict.column('user_name').doNothing())
          .returning('user_handle'),
    );
    this.rowByName = precompile<WebAuthnUsersTable, { userName: string }>(db, runner, (db: Kysely<Tables>) =>
      db.selectFrom('webauthn_users').selectAll().where('user_name', '=', param('userName')),
    );
    this.rowByHandle = precompile<WebAuthnUsersTable, { userHandle: string }>(db, runner, (db: Kysely<Tables>) =>
      db.selectFrom('webauthn_users').selectAll().where('user_handle', '=', param('userHandle')),
    );
    this.insertPending = precompile<{ user_handle: string }, Record<keyof WebAuthnPendingUsersTable, unknown>>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .insertInto('webauthn_pending_users')
          .values({
            user_handle: param('user_handle'),
            user_name: param('user_name'),
            display_name: param('display_name'),
            expires_at: param('expires_at'),
          })
          .onConflict((conflict) =>
            conflict.column('user_handle').doUpdateSet((eb) => ({
              expires_at: sql<number>`case when ${eb.ref('excluded.expires_at')} > ${eb.ref('webauthn_pending_users.expires_at')} then ${eb.ref('excluded.expires_at')} else ${eb.ref('webauthn_pending_users.expires_at')} end`,
            })),
          )
          .returning('user_handle'),
    );
    this.purgePending = precompile<{ user_handle: string }, { now: number }>(db, runner, (db: Kysely<Tables>) =>
      db.deleteFrom('webauthn_pending_users').where('expires_at', '<', param('now')).returning('user_handle'),
    );
    this.pendingRow = precompile<WebAuthnPendingUsersTable, { userHandle: string; now: number }>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .selectFrom('webauthn_pending_users')
          .selectAll()
          .where('user_handle', '=', param('userHandle'))
          .where('expires_at', '>=', param('now')),
    );
    this.pendingRowByName = precompile<WebAuthnPendingUsersTable, { userName: string; now: number }>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .selectFrom('webauthn_pending_users')
          .selectAll()
          .where('user_name', '=', param('userName'))
          .where('expires_at', '>=', param('now'))
          .orderBy('expires_at', 'desc')
          .limit(sql.lit(1)),
    );
  }

  ensure(userName: string, displayName: string, at: number): Promise<WebAuthnUser & { created: boolean }> {
    return this.ensureWithHandle(randomBytes(USER_HANDLE_BYTES).toString('base64url'), userName, displayName, at);
  }

  async ensureWithHandle(
    userHandle: string,
    userName: string,
    displayName: string,
    at: number,
  ): Promise<WebAuthnUser & { created: boolean }> {
    const inserted = await this.insertRow({
      user_handle: userHandle,
      user_name: userName,
      display_name: displayName,
      created_at: at,
    });
    // Users are never removed, so the row that won (this call's or another's) is there to read.
    const [row] = await this.rowByName({ userName });
    if (!row) throw new Error(`WebAuthn user ${JSON.stringify(userName)} vanished after being ensured`);
    return { ...toUser(row), created: inserted.length === 1 };
  }

  async reservePending(pending: PendingWebAuthnUser, now: number): Promise<void> {
    await this.purgePending({ now });
    await this.insertPending({
      user_handle: pending.userHandle,
      user_name: pending.userName,
      display_name: pending.displayName,
      expires_at: pending.expiresAt,
    });
  }

  async pending(userHandle: string, now: number): Promise<PendingWebAuthnUser | undefined> {
    const [row] = await this.pendingRow({ userHandle, now });
    return row && toPending(row);
  }

  async pendingByName(userName: string, now: number): Promise<PendingWebAuthnUser | undefined> {
    const [row] = await this.pendingRowByName({ userName, now });
    return row && toPending(row);
  }

  async byName(userName: string): Promise<WebAuthnUser | undefined> {
    const [row] = await this.rowByName({ userName });
    return row ? toUser(row) : undefined;
  }

  async byHandle(userHandle: string): Promise<WebAuthnUser | undefined> {
    const [row] = await this.rowByHandle({ userHandle });
    return row ? toUser(row) : undefined;
  }
}

/**
 * WebAuthn credentials in the SQL database. The statements of a ceremony (registration, sign-in)
 * are compiled once and run through `runner`; the operator's listing and deletion go through Kysely.
 */
export class SqlWebAuthnCredentialStore implements WebAuthnCredentialStore {
  private readonly insertRow;
  private readonly readRow;
  private readonly rowsOfUser;
  private readonly advance;
  private readonly flagRow;
  private readonly insertFirstRow;

  constructor(
    private readonly db: Kysely<Tables>,
    runner: QueryRunner,
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {
    this.insertRow = precompile<{ credential_id: string }, Record<keyof WebAuthnCredentialsTable, unknown>>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .insertInto('webauthn_credentials')
          .values({
            credential_id: param('credential_id'),
            user_handle: param('user_handle'),
            public_key: param('public_key'),
            alg: param('alg'),
            counter: param('counter'),
            transports: param('transports'),
            aaguid: param('aaguid'),
            fmt: param('fmt'),
            attestation_type: param('attestation_type'),
            trust: param('trust'),
            attestation: param('attestation'),
            metadata: param('metadata'),
            user_verified: param('user_verified'),
            backup_eligible: param('backup_eligible'),
            backed_up: param('backed_up'),
            discoverable: param('discoverable'),
            possibly_cloned_at: param('possibly_cloned_at'),
            created_at: param('created_at'),
            last_used_at: param('last_used_at'),
          })
          .onConflict((conflict) => conflict.column('credential_id').doNothing())
          .returning('credential_id'),
    );
    // SQLite: one INSERT … SELECT … WHERE NOT EXISTS, which holds the write lock throughout, so of
    // concurrent first registrations of one user exactly one inserts. (PostgreSQL: createFirst.)
    this.insertFirstRow = precompile<{ credential_id: string }, Record<keyof WebAuthnCredentialsTable, unknown>>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .insertInto('webauthn_credentials')
          .columns(CREDENTIAL_COLUMNS)
          .expression(
            db
              .selectNoFrom((eb) => CREDENTIAL_COLUMNS.map((column) => eb.val(param(column)).as(column)))
              .where((eb) =>
                eb.not(
                  eb.exists(
                    db
                      .selectFrom('webauthn_credentials')
                      .select('credential_id')
                      .where('user_handle', '=', param('user_handle')),
                  ),
                ),
              ),
          )
          .onConflict((conflict) => conflict.column('credential_id').doNothing())
          .returning('credential_id'),
    );
    this.readRow = precompile<WebAuthnCredentialsTable, { credentialId: string }>(db, runner, (db: Kysely<Tables>) =>
      db.selectFrom('webauthn_credentials').selectAll().where('credential_id', '=', param('credentialId')),
    );
    this.rowsOfUser = precompile<WebAuthnCredentialsTable, { userHandle: string }>(db, runner, (db: Kysely<Tables>) =>
      db
        .selectFrom('webauthn_credentials')
        .selectAll()
        .where('user_handle', '=', param('userHandle'))
        .orderBy('created_at')
        .orderBy('credential_id'),
    );
    // The compare-and-set: of concurrent uses read at one counter only one can match.
    this.advance = precompile<
      { credential_id: string },
      { credentialId: string; expectedCounter: number; counter: number; at: number; backedUp: number }
    >(db, runner, (db: Kysely<Tables>) =>
      db
        .updateTable('webauthn_credentials')
        .set({ counter: param('counter'), last_used_at: param('at'), backed_up: param('backedUp') })
        .where('credential_id', '=', param('credentialId'))
        .where('counter', '=', param('expectedCounter'))
        .returning('credential_id'),
    );
    this.flagRow = precompile<{ credential_id: string }, { credentialId: string; at: number }>(
      db,
      runner,
      (db: Kysely<Tables>) =>
        db
          .updateTable('webauthn_credentials')
          .set((eb) => ({ possibly_cloned_at: eb.fn.coalesce('possibly_cloned_at', eb.val(param<number>('at'))) }))
          .where('credential_id', '=', param('credentialId'))
          .returning('credential_id'),
    );
  }

  async create(credential: NewWebAuthnCredential): Promise<void> {
    const inserted = await this.insertRow(rowOf(credential));
    if (inserted.length === 0) throw alreadyRegistered(credential.credentialId);
  }

  async createFirst(credential: NewWebAuthnCredential): Promise<void> {
    const row = rowOf(credential);
    let inserted: unknown[];
    if (this.dialect === 'postgres') {
      // The user's row lock serializes first registrations of one user; the existence check runs
      // after it is taken (a new statement, a new snapshot under READ COMMITTED), so it sees the
      // credential a registration that held the lock before committed.
      inserted = await this.db.transaction().execute(async (trx) => {
        await trx
          .selectFrom('webauthn_users')
          .select('user_handle')
          .where('user_handle', '=', credential.userHandle)
          .forUpdate()
          .execute();
        const existing = await trx
          .selectFrom('webauthn_credentials')
          .select('credential_id')
          .where('user_handle', '=', credential.userHandle)
          .limit(1)
          .execute();
        if (existing.length > 0) return [];
        return trx
          .insertInto('webauthn_credentials')
          .values(row as WebAuthnCredentialsTable)
          .onConflict((conflict) => conflict.column('credential_id').doNothing())
          .returning('credential_id')
          .execute();
      });
    } else {
      inserted = await this.insertFirstRow(row);
    }
    if (inserted.length > 0) return;
    if (await this.get(credential.credentialId)) throw alreadyRegistered(credential.credentialId);
    throw trustError('ADDITIONAL_CREDENTIAL_REFUSED', 'This user name already has a registered credential.', {
      detail: `user handle ${credential.userHandle}`,
    });
  }

  async get(credentialId: string): Promise<WebAuthnCredential | undefined> {
    const [row] = await this.readRow({ credentialId });
    return row ? toCredential(row) : undefined;
  }

  async listByUser(userHandle: string): Promise<WebAuthnCredential[]> {
    return (await this.rowsOfUser({ userHandle })).map(toCredential);
  }

  /**
   * Pages the credentials alone, walking the (created_at, credential_id) index backwards, then
   * joins the page's users: a deep page never joins the rows it skips.
   */
  async list(query: CredentialListQuery): Promise<CredentialListing> {
    let filtered = this.db.selectFrom('webauthn_credentials');
    if (query.userName !== undefined) {
      const userName = query.userName;
      filtered = filtered.where('user_handle', 'in', (eb) =>
        eb.selectFrom('webauthn_users').select('user_handle').where('user_name', '=', userName),
      );
    }
    if (query.aaguid !== undefined) filtered = filtered.where('aaguid', '=', query.aaguid);
    const [page, total] = await Promise.all([
      this.db
        .selectFrom(
          filtered
            .selectAll()
            .orderBy('created_at', 'desc')
            .orderBy('credential_id', 'desc')
            .limit(query.limit)
            .offset(query.offset)
            .as('credentials'),
        )
        .innerJoin('webauthn_users', 'webauthn_users.user_handle', 'credentials.user_handle')
        .selectAll('credentials')
        .select('webauthn_users.user_name')
        .orderBy('credentials.created_at', 'desc')
        .orderBy('credentials.credential_id', 'desc')
        .execute(),
      filtered.select(sql<number>`count(*)`.as('total')).executeTakeFirstOrThrow(),
    ]);
    return {
      credentials: page.map(({ user_name, ...row }) => ({ ...toCredential(row), userName: user_name })),
      // PostgreSQL's count is a bigint (a number here), SQLite's an integer.
      total: Number(total.total),
    };
  }

  async recordUse(credentialId: string, use: CredentialUse): Promise<boolean> {
    const updated = await this.advance({
      credentialId,
      expectedCounter: use.expectedCounter,
      counter: use.counter,
      at: use.at,
      backedUp: flag(use.backedUp),
    });
    return updated.length === 1;
  }

  async flagPossiblyCloned(credentialId: string, at: number): Promise<boolean> {
    return (await this.flagRow({ credentialId, at })).length === 1;
  }

  async delete(credentialId: string): Promise<boolean> {
    const deleted = await this.db
      .deleteFrom('webauthn_credentials')
      .where('credential_id', '=', credentialId)
      .executeTakeFirst();
    return Number(deleted.numDeletedRows) === 1;
  }
}
