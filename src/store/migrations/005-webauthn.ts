import type { Kysely } from 'kysely';

/**
 * WebAuthn users and credentials, and the verified FIDO metadata BLOBs. Flags are integers (0/1)
 * and binary values base64 text on both dialects; JSON columns are text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webauthn_users')
    .addColumn('user_handle', 'varchar(128)', (column) => column.primaryKey())
    .addColumn('user_name', 'text', (column) => column.notNull().unique())
    .addColumn('display_name', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('webauthn_credentials')
    .addColumn('credential_id', 'text', (column) => column.primaryKey())
    .addColumn('user_handle', 'varchar(128)', (column) =>
      column.notNull().references('webauthn_users.user_handle').onDelete('cascade'),
    )
    .addColumn('public_key', 'text', (column) => column.notNull())
    .addColumn('alg', 'integer', (column) => column.notNull())
    .addColumn('counter', 'bigint', (column) => column.notNull())
    .addColumn('transports', 'text', (column) => column.notNull())
    .addColumn('aaguid', 'varchar(36)', (column) => column.notNull())
    .addColumn('fmt', 'varchar(64)', (column) => column.notNull())
    .addColumn('attestation_type', 'varchar(16)', (column) => column.notNull())
    .addColumn('trust', 'varchar(16)', (column) => column.notNull())
    .addColumn('attestation', 'text', (column) => column.notNull())
    .addColumn('metadata', 'text', (column) => column.notNull())
    .addColumn('user_verified', 'integer', (column) => column.notNull())
    .addColumn('backup_eligible', 'integer', (column) => column.notNull())
    .addColumn('backed_up', 'integer', (column) => column.notNull())
    .addColumn('discoverable', 'integer')
    .addColumn('possibly_cloned_at', 'bigint')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('webauthn_credentials_user_handle')
    .on('webauthn_credentials')
    .column('user_handle')
    .execute();
  await db.schema.createIndex('webauthn_credentials_aaguid').on('webauthn_credentials').column('aaguid').execute();
  await db.schema
    .createIndex('webauthn_credentials_created_at')
    .on('webauthn_credentials')
    .column('created_at')
    .execute();

  await db.schema
    .createTable('fido_metadata_blobs')
    .addColumn('no', 'bigint', (column) => column.primaryKey())
    .addColumn('source', 'text', (column) => column.notNull())
    .addColumn('next_update', 'varchar(10)', (column) => column.notNull())
    .addColumn('jwt', 'text', (column) => column.notNull())
    .addColumn('entries', 'integer', (column) => column.notNull())
    .addColumn('verified_at', 'bigint', (column) => column.notNull())
    .addColumn('stored_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('fido_metadata_blobs').execute();
  await db.schema.dropTable('webauthn_credentials').execute();
  await db.schema.dropTable('webauthn_users').execute();
}
