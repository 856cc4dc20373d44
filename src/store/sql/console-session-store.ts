import type { Kysely } from 'kysely';
import type { ConsoleSession, ConsoleSessionStore } from '../console-store.js';
import type { ConsoleSessionsTable, Tables } from '../tables.js';

const toSession = (row: ConsoleSessionsTable): ConsoleSession => ({
  idHash: row.id_hash,
  operator: row.operator,
  csrfToken: row.csrf_token,
  address: row.address,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  expiresAt: row.expires_at,
});

/** Console sessions in the SQL database; they go with their operator (foreign key, ON DELETE CASCADE). */
export class SqlConsoleSessionStore implements ConsoleSessionStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async create(session: ConsoleSession): Promise<void> {
    await this.db
      .insertInto('console_sessions')
      .values({
        id_hash: session.idHash,
        operator: session.operator,
        csrf_token: session.csrfToken,
        address: session.address,
        created_at: session.createdAt,
        last_seen_at: session.lastSeenAt,
        expires_at: session.expiresAt,
      })
      .execute();
  }

  async get(idHash: string): Promise<ConsoleSession | undefined> {
    const row = await this.db
      .selectFrom('console_sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return row ? toSession(row) : undefined;
  }

  async touch(idHash: string, at: number): Promise<void> {
    // Only forward: a late, slower request never moves the idle clock back.
    await this.db
      .updateTable('console_sessions')
      .set({ last_seen_at: at })
      .where('id_hash', '=', idHash)
      .where('last_seen_at', '<', at)
      .execute();
  }

  async delete(idHash: string): Promise<boolean> {
    const deleted = await this.db.deleteFrom('console_sessions').where('id_hash', '=', idHash).executeTakeFirst();
    return Number(deleted.numDeletedRows) === 1;
  }

  async deleteForOperator(name: string): Promise<number> {
    const deleted = await this.db.deleteFrom('console_sessions').where('operator', '=', name).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }

  async purge(now: number, idleBefore: number): Promise<number> {
    const deleted = await this.db
      .deleteFrom('console_sessions')
      .where((eb) => eb.or([eb('last_seen_at', '<', idleBefore), eb('expires_at', '<=', now)]))
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}
