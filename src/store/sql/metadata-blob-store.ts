import { type Kysely, sql } from 'kysely';
import type { FidoMetadataBlobsTable, Tables } from '../tables.js';
import {
  KEPT_METADATA_BLOBS,
  type MetadataBlobStore,
  type MetadataBlobSummary,
  type StoredMetadataBlob,
} from '../webauthn-store.js';

const toSummary = (row: Omit<FidoMetadataBlobsTable, 'jwt'>): MetadataBlobSummary => ({
  no: row.no,
  source: row.source,
  nextUpdate: row.next_update,
  entries: row.entries,
  verifiedAt: row.verified_at,
  storedAt: row.stored_at,
});

/** Verified metadata BLOBs in the SQL database: rare writes (one per BLOB update), so plain Kysely. */
export class SqlMetadataBlobStore implements MetadataBlobStore {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  async latest(): Promise<StoredMetadataBlob | undefined> {
    const row = await this.db
      .selectFrom('fido_metadata_blobs')
      .selectAll()
      .orderBy('no', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { ...toSummary(row), jwt: row.jwt } : undefined;
  }

  async history(): Promise<MetadataBlobSummary[]> {
    const rows = await this.db
      .selectFrom('fido_metadata_blobs')
      .select(['no', 'source', 'next_update', 'entries', 'verified_at', 'stored_at'])
      .orderBy('no', 'desc')
      .execute();
    return rows.map(toSummary);
  }

  async save(blob: StoredMetadataBlob): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // PostgreSQL: saves wait for each other (readers do not), so the check below sees every
      // committed save. SQLite: the insert is one statement, which holds the write lock throughout.
      if (this.dialect === 'postgres')
        await sql`lock table ${sql.table('fido_metadata_blobs')} in share row exclusive mode`.execute(trx);
      // Casts give PostgreSQL the parameters' types (a select list has no target column to infer them from).
      const inserted = await sql<{ no: number }>`
        insert into ${sql.table('fido_metadata_blobs')} ("no", source, next_update, jwt, entries, verified_at, stored_at)
        select cast(${blob.no} as bigint), cast(${blob.source} as text), cast(${blob.nextUpdate} as text),
          cast(${blob.jwt} as text), cast(${blob.entries} as integer), cast(${blob.verifiedAt} as bigint),
          cast(${blob.storedAt} as bigint)
        where not exists (select 1 from ${sql.table('fido_metadata_blobs')} where "no" >= cast(${blob.no} as bigint))
        returning "no"`.execute(trx);
      if (inserted.rows.length === 0) return false;
      await trx
        .deleteFrom('fido_metadata_blobs')
        .where(
          'no',
          'not in',
          trx.selectFrom('fido_metadata_blobs').select('no').orderBy('no', 'desc').limit(KEPT_METADATA_BLOBS),
        )
        .execute();
      return true;
    });
  }
}
