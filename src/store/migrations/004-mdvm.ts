import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mdvm_accounts')
    .addColumn('id', 'varchar(36)', (column) => column.primaryKey())
    .addColumn('platform', 'varchar(16)', (column) => column.notNull())
    .addColumn('auth_key_thumbprint', 'varchar(64)', (column) => column.notNull().unique())
    .addColumn('auth_public_key', 'varchar(1024)', (column) => column.notNull())
    .addColumn('device_class', 'text', (column) => column.notNull())
    .addColumn('attested', 'text', (column) => column.notNull())
    .addColumn('app_attest_key_id', 'varchar(64)', (column) => column.unique())
    .addColumn('counter', 'bigint', (column) => column.notNull())
    .addColumn('version', 'bigint', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revocation_reason', 'varchar(64)')
    .execute();
  await db.schema.createIndex('mdvm_accounts_revoked_at').on('mdvm_accounts').column('revoked_at').execute();

  await db.schema
    .createTable('mdvm_vulnerable_classes')
    .addColumn('id', 'varchar(128)', (column) => column.primaryKey())
    .addColumn('platform', 'varchar(16)', (column) => column.notNull())
    .addColumn('classification', 'varchar(16)', (column) => column.notNull())
    .addColumn('match', 'text', (column) => column.notNull())
    .addColumn('description', 'varchar(1024)', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('mdvm_leaked_keys')
    .addColumn('thumbprint', 'varchar(64)', (column) => column.primaryKey())
    .addColumn('description', 'varchar(1024)', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mdvm_leaked_keys').execute();
  await db.schema.dropTable('mdvm_vulnerable_classes').execute();
  await db.schema.dropTable('mdvm_accounts').execute();
}
