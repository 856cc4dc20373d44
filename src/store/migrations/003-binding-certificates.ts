import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('binding_certificates')
    .addColumn('serial', 'varchar(64)', (column) => column.primaryKey())
    .addColumn('policy', 'varchar(64)', (column) => column.notNull())
    .addColumn('platform', 'varchar(16)', (column) => column.notNull())
    .addColumn('subject', 'varchar(1024)', (column) => column.notNull())
    .addColumn('key_thumbprint', 'varchar(64)', (column) => column.notNull())
    .addColumn('summary', 'text', (column) => column.notNull())
    .addColumn('issued_at', 'bigint', (column) => column.notNull())
    .addColumn('not_after', 'bigint', (column) => column.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revocation_reason', 'varchar(64)')
    .execute();
  await db.schema
    .createIndex('binding_certificates_revoked_at')
    .on('binding_certificates')
    .column('revoked_at')
    .execute();
  await db.schema
    .createIndex('binding_certificates_key_thumbprint')
    .on('binding_certificates')
    .column('key_thumbprint')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('binding_certificates').execute();
}
