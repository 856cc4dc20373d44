import type { Kysely } from 'kysely';
import type { BundleSlot, DsrBundleStore, StoredBundle } from '../dsr-store.js';
import type { Tables } from '../tables.js';

/** DSR policy bundles in the SQL database, one row per slot: rare writes (operator pushes), so plain Kysely. */
export class SqlDsrBundleStore implements DsrBundleStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async put(bundle: StoredBundle): Promise<boolean> {
    // One upsert whose update applies only to a lower stored version: the unique slot serializes
    // concurrent puts (PostgreSQL re-checks the condition against the latest committed row), so a
    // lower version never overwrites a higher one. A cleared slot (jws null) keeps its version.
    const stored = await this.db
      .insertInto('dsr_bundles')
      .values({
        slot: bundle.slot,
        version: bundle.version,
        kid: bundle.kid,
        jws: bundle.jws,
        stored_at: bundle.storedAt,
      })
      .onConflict((conflict) =>
        conflict
          .column('slot')
          .doUpdateSet((eb) => ({
            version: eb.ref('excluded.version'),
            kid: eb.ref('excluded.kid'),
            jws: eb.ref('excluded.jws'),
            stored_at: eb.ref('excluded.stored_at'),
          }))
          .where((eb) => eb('dsr_bundles.version', '<', eb.ref('excluded.version'))),
      )
      .returning('slot')
      .execute();
    return stored.length === 1;
  }

  async get(slot: BundleSlot): Promise<StoredBundle | undefined> {
    const row = await this.db
      .selectFrom('dsr_bundles')
      .selectAll()
      .where('slot', '=', slot)
      .where('jws', 'is not', null)
      .executeTakeFirst();
    if (!row || row.jws === null) return undefined;
    return { slot: row.slot as BundleSlot, version: row.version, kid: row.kid, jws: row.jws, storedAt: row.stored_at };
  }

  async clear(slot: BundleSlot): Promise<boolean> {
    const cleared = await this.db
      .updateTable('dsr_bundles')
      .set({ jws: null })
      .where('slot', '=', slot)
      .where('jws', 'is not', null)
      .executeTakeFirst();
    return Number(cleared.numUpdatedRows) === 1;
  }
}
