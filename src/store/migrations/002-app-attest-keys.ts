import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('app_attest_keys')
    .addColumn('key_id', 'varchar(64)', (column) => column.primaryKey())
    .addColumn('app_id', 'varchar(255)', (column) => column.notNull())
    .addColumn('public_key', 'varchar(512)', (column) => column.notNull())
    .addColumn('environment', 'varchar(16)', (column) => column.notNull())
    .addColumn('counter', 'bigint', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('app_attest_keys').execute();
}
