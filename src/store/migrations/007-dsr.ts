import type { Kysely } from 'kysely';

/**
 * Device Security Rating: registered devices (by the SHA-256 of their mTLS key) and the policy
 * bundles, one row per slot. Times are epoch milliseconds (bigint); JSON columns are text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('dsr_registrations')
    .addColumn('sub', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull())
    .addColumn('platform', 'varchar(16)', (column) => column.notNull())
    .addColumn('certificate_serial', 'text', (column) => column.notNull())
    .addColumn('certificate_not_after', 'bigint', (column) => column.notNull())
    .addColumn('attest_key_spki', 'text')
    .addColumn('app_attest_key_id', 'text')
    .addColumn('facts', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('dsr_registrations_user_id').on('dsr_registrations').column('user_id').execute();
  await db.schema.createIndex('dsr_registrations_created_at').on('dsr_registrations').column('created_at').execute();

  await db.schema
    .createTable('dsr_bundles')
    .addColumn('slot', 'varchar(16)', (column) => column.primaryKey())
    .addColumn('version', 'bigint', (column) => column.notNull())
    .addColumn('kid', 'text', (column) => column.notNull())
    .addColumn('jws', 'text')
    .addColumn('stored_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('dsr_bundles').execute();
  await db.schema.dropTable('dsr_registrations').execute();
}
