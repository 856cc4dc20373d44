import type { Kysely } from 'kysely';
import { rejectionOf, type ChallengeRecord, type ChallengeStore, type ConsumeResult } from '../challenge-store.js';
import type { ChallengesTable, Tables } from '../tables.js';
import { param, precompile, type QueryRunner } from './precompiled.js';

type RecordRow = Pick<ChallengesTable, 'purpose' | 'subject' | 'issued_at' | 'expires_at'>;

const toRecord = (row: RecordRow): ChallengeRecord => ({
  purpose: row.purpose,
  subject: row.subject,
  issuedAt: row.issued_at,
  expiresAt: row.expires_at,
});

const stateOf = (row: ChallengesTable | undefined) =>
  row && { purpose: row.purpose, subject: row.subject, expiresAt: row.expires_at, consumed: row.consumed_at !== null };

/** Challenges in the SQL database; the hot statements are compiled once and run through `runner`. */
export class SqlChallengeStore implements ChallengeStore {
  private readonly insertRow;
  private readonly consumeUnbound;
  private readonly consumeAsSubject;
  private readonly readRow;

  constructor(
    private readonly db: Kysely<Tables>,
    runner: QueryRunner,
  ) {
    this.insertRow = precompile<
      never,
      { id: string; purpose: string; subject: string | null; issuedAt: number; expiresAt: number }
    >(db, runner, (db) =>
      db.insertInto('challenges').values({
        id: param('id'),
        purpose: param('purpose'),
        subject: param('subject'),
        issued_at: param('issuedAt'),
        expires_at: param('expiresAt'),
      }),
    );
    // The compare-and-set: one statement, so concurrent consumes of one challenge cannot both match.
    // The subject matches exactly: a bound consume only a challenge issued for that subject, an unbound one only an unbound challenge.
    const consume = (bound: boolean) =>
      precompile<RecordRow, { id: string; purpose: string; now: number; subject?: string }>(
        db,
        runner,
        (db: Kysely<Tables>) =>
          db
            .updateTable('challenges')
            .set({ consumed_at: param('now') })
            .where('id', '=', param('id'))
            .where('purpose', '=', param('purpose'))
            .where('consumed_at', 'is', null)
            .where('expires_at', '>', param('now'))
            .where((eb) => (bound ? eb('subject', '=', param('subject')) : eb('subject', 'is', null)))
            .returning(['purpose', 'subject', 'issued_at', 'expires_at']),
      );
    this.consumeUnbound = consume(false);
    this.consumeAsSubject = consume(true);
    this.readRow = precompile<ChallengesTable, { id: string }>(db, runner, (db: Kysely<Tables>) =>
      db.selectFrom('challenges').selectAll().where('id', '=', param('id')),
    );
  }

  async insert(id: string, record: ChallengeRecord): Promise<void> {
    await this.insertRow({
      id,
      purpose: record.purpose,
      subject: record.subject,
      issuedAt: record.issuedAt,
      expiresAt: record.expiresAt,
    });
  }

  async consume(id: string, purpose: string, subject: string | null, now: number): Promise<ConsumeResult> {
    const [consumed] =
      subject === null
        ? await this.consumeUnbound({ id, purpose, now })
        : await this.consumeAsSubject({ id, purpose, now, subject });
    if (consumed) return { ok: true, record: toRecord(consumed) };

    // The compare-and-set failed; read the row only to say why. Rows are never un-consumed, so the
    // row cannot read as consumable now: the fallback only satisfies the type.
    const [row] = await this.readRow({ id });
    return { ok: false, reason: rejectionOf(stateOf(row), purpose, subject, now) ?? 'used' };
  }

  async check(id: string, purpose: string, subject: string | null, now: number): Promise<ConsumeResult> {
    const [row] = await this.readRow({ id });
    const reason = rejectionOf(stateOf(row), purpose, subject, now);
    return reason === null ? { ok: true, record: toRecord(row!) } : { ok: false, reason };
  }

  async purge(before: number): Promise<number> {
    const result = await this.db.deleteFrom('challenges').where('expires_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
