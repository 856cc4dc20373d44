import type { Kysely } from 'kysely';
import type { ChallengeRecord, ChallengeStore, ConsumeResult } from '../challenge-store.js';
import type { ChallengesTable, Tables } from '../tables.js';

const toRecord = (row: Pick<ChallengesTable, 'purpose' | 'subject' | 'issued_at' | 'expires_at'>): ChallengeRecord => ({
  purpose: row.purpose,
  subject: row.subject,
  issuedAt: row.issued_at,
  expiresAt: row.expires_at,
});

export class SqlChallengeStore implements ChallengeStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(id: string, record: ChallengeRecord): Promise<void> {
    await this.db
      .insertInto('challenges')
      .values({
        id,
        purpose: record.purpose,
        subject: record.subject,
        issued_at: record.issuedAt,
        expires_at: record.expiresAt,
        consumed_at: null,
      })
      .execute();
  }

  async consume(id: string, purpose: string, subject: string | null, now: number): Promise<ConsumeResult> {
    const consumed = await this.db
      .updateTable('challenges')
      .set({ consumed_at: now })
      .where('id', '=', id)
      .where('purpose', '=', purpose)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .where((eb) => (subject === null ? eb('subject', 'is', null) : eb.or([eb('subject', 'is', null), eb('subject', '=', subject)])))
      .returning(['purpose', 'subject', 'issued_at', 'expires_at'])
      .executeTakeFirst();
    if (consumed) return { ok: true, record: toRecord(consumed) };

    // The compare-and-set failed; read the row only to say why.
    const row = await this.db.selectFrom('challenges').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.purpose !== purpose) return { ok: false, reason: 'unknown' };
    if (row.consumed_at !== null) return { ok: false, reason: 'used' };
    if (row.expires_at <= now) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'subject' };
  }

  async purge(before: number): Promise<number> {
    const result = await this.db.deleteFrom('challenges').where('expires_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
