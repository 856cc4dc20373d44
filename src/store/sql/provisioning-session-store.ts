import type { Kysely } from 'kysely';
import type { ProvisioningSession, ProvisioningSessionStore } from '../provisioning-store.js';
import type { Tables } from '../tables.js';

/**
 * Provisioning sessions in the SQL database: one statement per call, so each is atomic on its own;
 * update is a compare-and-set on the version in its WHERE clause (PostgreSQL re-checks it against
 * the latest committed row after waiting for a concurrent update's lock, so one of concurrent
 * updates with the same expected version wins).
 */
export class SqlProvisioningSessionStore implements ProvisioningSessionStore {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Throws when a session with this id is stored (even an expired one not purged yet). */
  async create(session: ProvisioningSession): Promise<void> {
    await this.db
      .insertInto('provisioning_sessions')
      .values({
        id: session.id,
        step: session.step,
        state: JSON.stringify(session.state),
        expires_at: session.expiresAt,
        version: session.version,
      })
      .execute();
  }

  async get(id: string, now: number): Promise<ProvisioningSession | undefined> {
    const row = await this.db
      .selectFrom('provisioning_sessions')
      .selectAll()
      .where('id', '=', id)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      step: row.step,
      state: JSON.parse(row.state) as Record<string, unknown>,
      expiresAt: row.expires_at,
      version: row.version,
    };
  }

  async update(
    id: string,
    expectedVersion: number,
    next: Pick<ProvisioningSession, 'step' | 'state' | 'expiresAt'>,
  ): Promise<boolean> {
    const updated = await this.db
      .updateTable('provisioning_sessions')
      .set((eb) => ({
        step: next.step,
        state: JSON.stringify(next.state),
        expires_at: next.expiresAt,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('provisioning_sessions').where('id', '=', id).execute();
  }

  /** Deletes the sessions `get` no longer returns at `now` (expiresAt <= now). */
  async purgeExpired(now: number): Promise<number> {
    const deleted = await this.db.deleteFrom('provisioning_sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}
