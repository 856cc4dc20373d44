import { type Kysely, PostgresAdapter } from 'kysely';

/**
 * The mdoc issuer's system of record (issue 12): persons, their documents, provisioning codes,
 * the credentials devices hold (configured documents), the auth keys Keyward endorsed, and the
 * provisioning sessions under way. Times are epoch milliseconds (bigint); exact bytes (CBOR, DER)
 * are the dialect's binary type (blob, bytea); JSON columns are text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const bytes = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';

  await db.schema
    .createTable('mdoc_persons')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    // The name lower-cased by Keyward (Unicode-aware on both dialects), for the substring search.
    .addColumn('name_folded', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('mdoc_persons_created_at').on('mdoc_persons').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('mdoc_documents')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('person_id', 'text', (column) => column.notNull().references('mdoc_persons.id'))
    .addColumn('doc_type', 'text', (column) => column.notNull())
    .addColumn('data', bytes, (column) => column.notNull())
    .addColumn('data_timestamp', 'bigint', (column) => column.notNull())
    .addColumn('status', 'varchar(16)', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('mdoc_documents_person_id')
    .on('mdoc_documents')
    .columns(['person_id', 'created_at'])
    .execute();
  await db.schema.createIndex('mdoc_documents_created_at').on('mdoc_documents').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('mdoc_provisioning_codes')
    .addColumn('code', 'text', (column) => column.primaryKey())
    .addColumn('document_id', 'text', (column) => column.notNull().references('mdoc_documents.id'))
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('mdoc_provisioning_codes_document_id')
    .on('mdoc_provisioning_codes')
    .columns(['document_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('mdoc_provisioning_codes_created_at')
    .on('mdoc_provisioning_codes')
    .columns(['created_at', 'code'])
    .execute();

  await db.schema
    .createTable('mdoc_configured_documents')
    .addColumn('credential_key_fingerprint', 'text', (column) => column.primaryKey())
    .addColumn('document_id', 'text', (column) => column.notNull().references('mdoc_documents.id'))
    .addColumn('credential_key_chain', bytes, (column) => column.notNull())
    .addColumn('proof_of_provisioning', bytes, (column) => column.notNull())
    .addColumn('proof_of_provisioning_sha256', bytes, (column) => column.notNull())
    .addColumn('data_timestamp', 'bigint', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('mdoc_configured_documents_document_id')
    .on('mdoc_configured_documents')
    .column('document_id')
    .execute();

  await db.schema
    .createTable('mdoc_endorsed_auth_keys')
    .addColumn('credential_key_fingerprint', 'text', (column) =>
      column.notNull().references('mdoc_configured_documents.credential_key_fingerprint'),
    )
    .addColumn('auth_key_fingerprint', 'text', (column) => column.notNull())
    .addColumn('certificate', bytes, (column) => column.notNull())
    .addColumn('static_auth_data', bytes, (column) => column.notNull())
    .addColumn('generated_at', 'bigint', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('mdoc_endorsed_auth_keys_pk', ['credential_key_fingerprint', 'auth_key_fingerprint'])
    .execute();

  await db.schema
    .createTable('provisioning_sessions')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('step', 'varchar(64)', (column) => column.notNull())
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .addColumn('version', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('provisioning_sessions_expires_at')
    .on('provisioning_sessions')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('provisioning_sessions').execute();
  await db.schema.dropTable('mdoc_endorsed_auth_keys').execute();
  await db.schema.dropTable('mdoc_configured_documents').execute();
  await db.schema.dropTable('mdoc_provisioning_codes').execute();
  await db.schema.dropTable('mdoc_documents').execute();
  await db.schema.dropTable('mdoc_persons').execute();
}
