import { type Kysely, PostgresAdapter } from 'kysely';

/**
 * The operator console (issue 13): operators, their sessions, failed-login counters, the decision
 * log and the audit trail; and indexes for the console's listings of existing tables. Times are
 * epoch milliseconds (bigint); JSON columns are text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  await db.schema
    .createTable('operators')
    .addColumn('name', 'varchar(64)', (column) => column.primaryKey())
    .addColumn('role', 'varchar(16)', (column) => column.notNull())
    .addColumn('password_hash', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('console_sessions')
    .addColumn('id_hash', 'varchar(64)', (column) => column.primaryKey())
    .addColumn('operator', 'varchar(64)', (column) => column.notNull().references('operators.name').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (column) => column.notNull())
    .addColumn('address', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('last_seen_at', 'bigint', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('console_sessions_operator').on('console_sessions').column('operator').execute();
  await db.schema.createIndex('console_sessions_last_seen_at').on('console_sessions').column('last_seen_at').execute();

  await db.schema
    .createTable('login_throttles')
    .addColumn('key', 'text', (column) => column.primaryKey())
    .addColumn('failures', 'integer', (column) => column.notNull())
    .addColumn('last_failure_at', 'bigint', (column) => column.notNull())
    .addColumn('locked_until', 'bigint')
    .execute();
  // Counters keyed by address can be many (an attack); the purge finds stale ones by it.
  await db.schema
    .createIndex('login_throttles_last_failure_at')
    .on('login_throttles')
    .column('last_failure_at')
    .execute();

  // Text, not varchar(n): a longer value than expected must never make a batch of the log fail.
  await db.schema
    .createTable('decision_events')
    .addColumn('id', postgres ? 'bigint' : 'integer', (column) =>
      // SQLite's AUTOINCREMENT: ids are never reused, even after the retention purge emptied the table.
      postgres ? column.primaryKey().generatedAlwaysAsIdentity() : column.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'bigint', (column) => column.notNull())
    .addColumn('capability', 'text', (column) => column.notNull())
    .addColumn('operation', 'text', (column) => column.notNull())
    .addColumn('platform', 'text', (column) => column.notNull())
    .addColumn('outcome', 'text', (column) => column.notNull())
    .addColumn('category', 'text')
    .addColumn('code', 'text')
    .addColumn('subject', 'text')
    .addColumn('summary', 'text', (column) => column.notNull())
    .addColumn('request_id', 'text')
    .execute();
  // Newest-first listings filtered by one column walk (column, id) backwards.
  for (const column of ['capability', 'operation', 'platform', 'outcome', 'code', 'subject'])
    await db.schema.createIndex(`decision_events_${column}`).on('decision_events').columns([column, 'id']).execute();
  // Covers the histogram (an index-only scan of [from, to)), time ranges and the retention purge.
  await db.schema
    .createIndex('decision_events_at')
    .on('decision_events')
    .columns(['at', 'capability', 'outcome', 'category'])
    .execute();
  // Hourly counts kept with the log (same transaction), so charts over days read a few hundred
  // rows instead of every decision. category is '' for accepted decisions.
  await db.schema
    .createTable('decision_counts')
    .addColumn('hour', 'bigint', (column) => column.notNull())
    .addColumn('capability', 'text', (column) => column.notNull())
    .addColumn('outcome', 'text', (column) => column.notNull())
    .addColumn('category', 'text', (column) => column.notNull())
    .addColumn('count', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('decision_counts_pk', ['hour', 'capability', 'outcome', 'category'])
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', postgres ? 'bigint' : 'integer', (column) =>
      postgres ? column.primaryKey().generatedAlwaysAsIdentity() : column.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'bigint', (column) => column.notNull())
    .addColumn('actor', 'text', (column) => column.notNull())
    .addColumn('actor_kind', 'varchar(16)', (column) => column.notNull())
    .addColumn('action', 'text', (column) => column.notNull())
    .addColumn('target', 'text')
    .addColumn('outcome', 'varchar(16)', (column) => column.notNull())
    .addColumn('address', 'text', (column) => column.notNull())
    .addColumn('detail', 'text', (column) => column.notNull())
    .addColumn('request_id', 'text')
    .execute();
  for (const column of ['actor', 'action', 'target'])
    await db.schema.createIndex(`audit_events_${column}`).on('audit_events').columns([column, 'id']).execute();

  // The console's newest-first listings of existing tables.
  await db.schema
    .createIndex('binding_certificates_issued_at')
    .on('binding_certificates')
    .columns(['issued_at', 'serial'])
    .execute();
  await db.schema.createIndex('mdvm_accounts_created_at').on('mdvm_accounts').columns(['created_at', 'id']).execute();
  await db.schema
    .createIndex('mdoc_configured_documents_created_at')
    .on('mdoc_configured_documents')
    .columns(['created_at', 'credential_key_fingerprint'])
    .execute();
  // Replaces the index on document_id alone: one document's credentials come in order without a sort.
  await db.schema.dropIndex('mdoc_configured_documents_document_id').execute();
  await db.schema
    .createIndex('mdoc_configured_documents_document_id')
    .on('mdoc_configured_documents')
    .columns(['document_id', 'created_at', 'credential_key_fingerprint'])
    .execute();
  // The operators' credential listing: newest first, ties by id, straight off one index.
  await db.schema.dropIndex('webauthn_credentials_created_at').execute();
  await db.schema
    .createIndex('webauthn_credentials_created_at_id')
    .on('webauthn_credentials')
    .columns(['created_at', 'credential_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webauthn_credentials_created_at_id').execute();
  await db.schema
    .createIndex('webauthn_credentials_created_at')
    .on('webauthn_credentials')
    .column('created_at')
    .execute();
  await db.schema.dropIndex('mdoc_configured_documents_document_id').execute();
  await db.schema
    .createIndex('mdoc_configured_documents_document_id')
    .on('mdoc_configured_documents')
    .column('document_id')
    .execute();
  await db.schema.dropIndex('mdoc_configured_documents_created_at').execute();
  await db.schema.dropIndex('mdvm_accounts_created_at').execute();
  await db.schema.dropIndex('binding_certificates_issued_at').execute();
  await db.schema.dropTable('audit_events').execute();
  await db.schema.dropTable('decision_counts').execute();
  await db.schema.dropTable('decision_events').execute();
  await db.schema.dropTable('login_throttles').execute();
  await db.schema.dropTable('console_sessions').execute();
  await db.schema.dropTable('operators').execute();
}
