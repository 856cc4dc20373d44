import type { Kysely } from 'kysely';

/**
 * WebAuthn users whose registration is under way: /fido2/attestation/options keeps the user name,
 * display name and the user handle it generated here until the challenge expires, and the user row
 * is created (with that handle) only when the registration result verifies.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webauthn_pending_users')
    .addColumn('user_handle', 'varchar(128)', (column) => column.primaryKey())
    .addColumn('user_name', 'text', (column) => column.notNull())
    .addColumn('display_name', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema
    .createIndex('webauthn_pending_users_user_name')
    .on('webauthn_pending_users')
    .column('user_name')
    .execute();
  await db.schema
    .createIndex('webauthn_pending_users_expires_at')
    .on('webauthn_pending_users')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webauthn_pending_users').execute();
}
