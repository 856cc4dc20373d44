import { type Kysely, sql } from 'kysely';
import type {
  CodeState,
  ConfiguredDocument,
  EndorsedAuthKey,
  MdocDocument,
  MdocDocumentStatus,
  MdocPerson,
  MdocRecordStore,
  ProvisioningCode,
} from '../provisioning-store.js';
import type {
  MdocConfiguredDocumentsTable,
  MdocDocumentsTable,
  MdocEndorsedAuthKeysTable,
  MdocPersonsTable,
  MdocProvisioningCodesTable,
  Tables,
} from '../tables.js';
import { containing, pageWithTotal } from './paged.js';

/** Bytes as the drivers take them (better-sqlite3 and pg both bind a Buffer as blob/bytea), without copying. */
const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
/** A plain Uint8Array copy of what the driver returned (a Buffer, possibly a view into a shared pool). */
const toBytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

const toPerson = (row: MdocPersonsTable): MdocPerson => ({ id: row.id, name: row.name, createdAt: row.created_at });

const toDocument = (row: MdocDocumentsTable): MdocDocument => ({
  id: row.id,
  personId: row.person_id,
  docType: row.doc_type,
  data: toBytes(row.data),
  dataTimestamp: row.data_timestamp,
  status: row.status as MdocDocumentStatus,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toCode = (row: MdocProvisioningCodesTable): ProvisioningCode => ({
  code: row.code,
  documentId: row.document_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  ...(row.used_at === null ? {} : { usedAt: row.used_at }),
  ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
});

const toConfigured = (row: MdocConfiguredDocumentsTable): ConfiguredDocument => ({
  credentialKeyFingerprint: row.credential_key_fingerprint,
  documentId: row.document_id,
  credentialKeyChain: toBytes(row.credential_key_chain),
  proofOfProvisioning: toBytes(row.proof_of_provisioning),
  proofOfProvisioningSha256: toBytes(row.proof_of_provisioning_sha256),
  dataTimestamp: row.data_timestamp,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toAuthKey = (row: MdocEndorsedAuthKeysTable): EndorsedAuthKey => ({
  credentialKeyFingerprint: row.credential_key_fingerprint,
  authKeyFingerprint: row.auth_key_fingerprint,
  certificate: toBytes(row.certificate),
  staticAuthData: toBytes(row.static_auth_data),
  generatedAt: row.generated_at,
  expiresAt: row.expires_at,
});

/** What a stored code is worth at `now`. */
function stateOf(row: MdocProvisioningCodesTable | undefined, now: number): CodeState {
  if (!row) return 'unknown';
  if (row.revoked_at !== null) return 'revoked';
  if (row.used_at !== null) return 'used';
  if (row.expires_at <= now) return 'expired';
  return 'usable';
}

/** Thrown inside a transaction to roll it back: the call's outcome is 'conflict'. */
class ConflictRollback extends Error {}

/**
 * The mdoc system of record in the SQL database: operator actions and one transaction per
 * provisioning message, so plain Kysely transactions. Transactions that touch a credential take
 * its configured-document row first and its auth-key rows second, so concurrent calls cannot
 * deadlock. SQLite: Kysely's single connection runs one transaction at a time.
 */
export class SqlMdocRecordStore implements MdocRecordStore {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {}

  async addPerson(person: MdocPerson): Promise<void> {
    await this.db
      .insertInto('mdoc_persons')
      .values({
        id: person.id,
        name: person.name,
        name_folded: person.name.toLowerCase(),
        created_at: person.createdAt,
      })
      .execute();
  }

  async person(id: string): Promise<MdocPerson | undefined> {
    const row = await this.db.selectFrom('mdoc_persons').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toPerson(row) : undefined;
  }

  async persons(options: { limit: number; offset?: number; search?: string }): Promise<{
    items: MdocPerson[];
    total: number;
  }> {
    let filtered = this.db.selectFrom('mdoc_persons');
    if (options.search)
      filtered = filtered.where(
        sql<boolean>`name_folded like ${containing(options.search.toLowerCase())} escape ${'\\'}`,
      );
    const { rows, total } = await pageWithTotal(
      filtered.selectAll().orderBy('created_at', 'desc').orderBy('id'),
      filtered,
      options,
    );
    return { items: rows.map(toPerson), total };
  }

  async addDocument(document: MdocDocument): Promise<void> {
    await this.db
      .insertInto('mdoc_documents')
      .values({
        id: document.id,
        person_id: document.personId,
        doc_type: document.docType,
        data: toBuffer(document.data),
        data_timestamp: document.dataTimestamp,
        status: document.status,
        created_at: document.createdAt,
        updated_at: document.updatedAt,
      })
      .execute();
  }

  async document(id: string): Promise<MdocDocument | undefined> {
    const row = await this.db.selectFrom('mdoc_documents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDocument(row) : undefined;
  }

  async documents(options: { limit: number; offset?: number; personId?: string }): Promise<{
    items: MdocDocument[];
    total: number;
  }> {
    let filtered = this.db.selectFrom('mdoc_documents');
    if (options.personId !== undefined) filtered = filtered.where('person_id', '=', options.personId);
    const { rows, total } = await pageWithTotal(
      filtered.selectAll().orderBy('created_at', 'desc').orderBy('id'),
      filtered,
      options,
    );
    return { items: rows.map(toDocument), total };
  }

  async updateDocumentData(id: string, data: Uint8Array, at: number): Promise<boolean> {
    const updated = await this.db
      .updateTable('mdoc_documents')
      .set({ data: toBuffer(data), data_timestamp: at, updated_at: at })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  async markDocumentForDeletion(id: string, at: number): Promise<boolean> {
    const updated = await this.db
      .updateTable('mdoc_documents')
      .set({ status: 'to_delete', updated_at: at })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  async addCode(code: ProvisioningCode): Promise<boolean> {
    const inserted = await this.db
      .insertInto('mdoc_provisioning_codes')
      .values({
        code: code.code,
        document_id: code.documentId,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
        used_at: code.usedAt ?? null,
        revoked_at: code.revokedAt ?? null,
      })
      .onConflict((conflict) => conflict.column('code').doNothing())
      .returning('code')
      .execute();
    return inserted.length === 1;
  }

  async codes(options: { documentId?: string; limit: number; offset?: number }): Promise<{
    items: ProvisioningCode[];
    total: number;
  }> {
    let filtered = this.db.selectFrom('mdoc_provisioning_codes');
    if (options.documentId !== undefined) filtered = filtered.where('document_id', '=', options.documentId);
    const { rows, total } = await pageWithTotal(
      filtered.selectAll().orderBy('created_at', 'desc').orderBy('code'),
      filtered,
      options,
    );
    return { items: rows.map(toCode), total };
  }

  async codeState(code: string, now: number): Promise<{ state: CodeState; code?: ProvisioningCode }> {
    const row = await this.db
      .selectFrom('mdoc_provisioning_codes')
      .selectAll()
      .where('code', '=', code)
      .executeTakeFirst();
    return row ? { state: stateOf(row, now), code: toCode(row) } : { state: 'unknown' };
  }

  async revokeCode(code: string, at: number): Promise<boolean> {
    const revoked = await this.db
      .updateTable('mdoc_provisioning_codes')
      .set({ revoked_at: at })
      .where('code', '=', code)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(revoked.numUpdatedRows) === 1;
  }

  /**
   * One transaction: the code's compare-and-set update (PostgreSQL, READ COMMITTED: a concurrent
   * consumer waits for the first one's row lock and then re-checks the condition against its
   * committed row, so exactly one consumes it), then the insert of the configured document, which
   * rolls the whole call back when the fingerprint is stored already (or being stored by a
   * concurrent transaction that commits).
   */
  async completeProvisioning(
    code: string,
    configured: ConfiguredDocument,
    now: number,
  ): Promise<CodeState | 'conflict'> {
    try {
      return await this.db.transaction().execute(async (trx): Promise<CodeState> => {
        const consumed = await trx
          .updateTable('mdoc_provisioning_codes')
          .set({ used_at: now })
          .where('code', '=', code)
          .where('used_at', 'is', null)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now)
          .returning('document_id')
          .executeTakeFirst();
        if (!consumed) {
          // Nothing written; the code's state as the transaction now sees it.
          const row = await trx
            .selectFrom('mdoc_provisioning_codes')
            .selectAll()
            .where('code', '=', code)
            .executeTakeFirst();
          const state = stateOf(row, now);
          // Unreachable (a code never becomes usable again), but never report success without a write.
          return state === 'usable' ? 'used' : state;
        }
        if (consumed.document_id !== configured.documentId)
          throw new TypeError(
            'the configured document of a provisioning must be the document its code was issued for (documentId)',
          );
        const inserted = await trx
          .insertInto('mdoc_configured_documents')
          .values({
            credential_key_fingerprint: configured.credentialKeyFingerprint,
            document_id: configured.documentId,
            credential_key_chain: toBuffer(configured.credentialKeyChain),
            proof_of_provisioning: toBuffer(configured.proofOfProvisioning),
            proof_of_provisioning_sha256: toBuffer(configured.proofOfProvisioningSha256),
            data_timestamp: configured.dataTimestamp,
            created_at: configured.createdAt,
            updated_at: configured.updatedAt,
          })
          .onConflict((conflict) => conflict.column('credential_key_fingerprint').doNothing())
          .returning('credential_key_fingerprint')
          .execute();
        if (inserted.length === 0) throw new ConflictRollback();
        return 'usable';
      });
    } catch (error) {
      if (error instanceof ConflictRollback) return 'conflict';
      throw error;
    }
  }

  async configured(credentialKeyFingerprint: string): Promise<ConfiguredDocument | undefined> {
    const row = await this.db
      .selectFrom('mdoc_configured_documents')
      .selectAll()
      .where('credential_key_fingerprint', '=', credentialKeyFingerprint)
      .executeTakeFirst();
    return row ? toConfigured(row) : undefined;
  }

  async configuredForDocument(documentId: string): Promise<ConfiguredDocument[]> {
    const rows = await this.db
      .selectFrom('mdoc_configured_documents')
      .selectAll()
      .where('document_id', '=', documentId)
      .orderBy('created_at')
      .orderBy('credential_key_fingerprint')
      .execute();
    return rows.map(toConfigured);
  }

  async configuredDocuments(query: { limit: number; offset?: number; documentId?: string }): Promise<{
    items: ConfiguredDocument[];
    total: number;
  }> {
    let filtered = this.db.selectFrom('mdoc_configured_documents');
    if (query.documentId !== undefined) filtered = filtered.where('document_id', '=', query.documentId);
    const { rows, total } = await pageWithTotal(
      filtered.selectAll().orderBy('created_at', 'desc').orderBy('credential_key_fingerprint', 'desc'),
      filtered,
      query,
    );
    return { items: rows.map(toConfigured), total };
  }

  updateConfigured(
    credentialKeyFingerprint: string,
    update: { proofOfProvisioning: Uint8Array; proofOfProvisioningSha256: Uint8Array; dataTimestamp: number },
    at: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // The row lock first (the update's), then the auth keys bound to the old proof.
      const updated = await trx
        .updateTable('mdoc_configured_documents')
        .set({
          proof_of_provisioning: toBuffer(update.proofOfProvisioning),
          proof_of_provisioning_sha256: toBuffer(update.proofOfProvisioningSha256),
          data_timestamp: update.dataTimestamp,
          updated_at: at,
        })
        .where('credential_key_fingerprint', '=', credentialKeyFingerprint)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await trx
        .deleteFrom('mdoc_endorsed_auth_keys')
        .where('credential_key_fingerprint', '=', credentialKeyFingerprint)
        .execute();
      return true;
    });
  }

  deleteConfigured(credentialKeyFingerprint: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // Lock the credential's row before touching its auth keys (the order every transaction here keeps).
      const existing = await trx
        .selectFrom('mdoc_configured_documents')
        .select('credential_key_fingerprint')
        .where('credential_key_fingerprint', '=', credentialKeyFingerprint)
        .$if(this.dialect === 'postgres', (query) => query.forUpdate())
        .executeTakeFirst();
      if (!existing) return false;
      await trx
        .deleteFrom('mdoc_endorsed_auth_keys')
        .where('credential_key_fingerprint', '=', credentialKeyFingerprint)
        .execute();
      const deleted = await trx
        .deleteFrom('mdoc_configured_documents')
        .where('credential_key_fingerprint', '=', credentialKeyFingerprint)
        .executeTakeFirst();
      return Number(deleted.numDeletedRows) === 1;
    });
  }

  /**
   * One transaction: the credentials' rows are share-locked first (PostgreSQL), so a concurrent
   * updateConfigured or deleteConfigured runs entirely before or after it; a credential that is
   * gone throws (nothing written). Several keys with one (credential, auth key) pair: the last wins.
   */
  async endorseAuthKeys(keys: readonly EndorsedAuthKey[]): Promise<void> {
    if (keys.length === 0) return;
    const rows = new Map<string, MdocEndorsedAuthKeysTable>();
    for (const key of keys)
      rows.set(JSON.stringify([key.credentialKeyFingerprint, key.authKeyFingerprint]), {
        credential_key_fingerprint: key.credentialKeyFingerprint,
        auth_key_fingerprint: key.authKeyFingerprint,
        certificate: toBuffer(key.certificate),
        static_auth_data: toBuffer(key.staticAuthData),
        generated_at: key.generatedAt,
        expires_at: key.expiresAt,
      });
    const credentials = [...new Set(keys.map((key) => key.credentialKeyFingerprint))].sort();
    await this.db.transaction().execute(async (trx) => {
      const present = await trx
        .selectFrom('mdoc_configured_documents')
        .select('credential_key_fingerprint')
        .where('credential_key_fingerprint', 'in', credentials)
        .orderBy('credential_key_fingerprint')
        .$if(this.dialect === 'postgres', (query) => query.forShare())
        .execute();
      if (present.length !== credentials.length)
        throw new Error('cannot endorse auth keys of a credential that is not configured (or was deleted)');
      await trx
        .insertInto('mdoc_endorsed_auth_keys')
        .values([...rows.values()])
        .onConflict((conflict) =>
          conflict.columns(['credential_key_fingerprint', 'auth_key_fingerprint']).doUpdateSet((eb) => ({
            certificate: eb.ref('excluded.certificate'),
            static_auth_data: eb.ref('excluded.static_auth_data'),
            generated_at: eb.ref('excluded.generated_at'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
        )
        .execute();
    });
  }

  async authKeys(credentialKeyFingerprint: string): Promise<EndorsedAuthKey[]> {
    const rows = await this.db
      .selectFrom('mdoc_endorsed_auth_keys')
      .selectAll()
      .where('credential_key_fingerprint', '=', credentialKeyFingerprint)
      .orderBy('generated_at')
      .orderBy('auth_key_fingerprint')
      .execute();
    return rows.map(toAuthKey);
  }

  async authKeyTotals(fingerprints: readonly string[]): Promise<Map<string, { count: number; latestExpiry: number }>> {
    if (fingerprints.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('mdoc_endorsed_auth_keys')
      .select((eb) => [
        'credential_key_fingerprint',
        eb.fn.countAll<number>().as('count'),
        eb.fn.max('expires_at').as('latest'),
      ])
      .where('credential_key_fingerprint', 'in', [...fingerprints])
      .groupBy('credential_key_fingerprint')
      .execute();
    return new Map(
      rows.map((row) => [
        row.credential_key_fingerprint,
        { count: Number(row.count), latestExpiry: Number(row.latest) },
      ]),
    );
  }

  async documentsById(ids: readonly string[]): Promise<Map<string, MdocDocument>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('mdoc_documents')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return new Map(rows.map((row) => [row.id, toDocument(row)]));
  }
}
