import { type Kysely, sql } from 'kysely';
import type { LoginThrottleState, LoginThrottleStore } from '../console-store.js';
import type { Tables } from '../tables.js';

/** Failed-login counters in the SQL database; a failure is counted by one atomic upsert. */
export class SqlLoginThrottleStore implements LoginThrottleStore {
  constructor(private readonly db: Kysely<Tables>) {}

  /**
   * INSERT … ON CONFLICT DO UPDATE: concurrent failures of one key serialize on its row (PostgreSQL
   * waits for the row lock and re-evaluates against the committed row), so every one is counted.
   * The SET expressions all read the row as it was before this failure.
   */
  async recordFailure(
    key: string,
    now: number,
    settings: { maxFailures: number; lockoutMs: number; windowMs: number },
  ): Promise<LoginThrottleState> {
    const lockEnd = now + settings.lockoutMs;
    const startsAgain = sql<boolean>`(login_throttles.locked_until is not null and login_throttles.locked_until <= ${now})
      or login_throttles.last_failure_at < ${now - settings.windowMs}`;
    const failures = sql<number>`case when ${startsAgain} then 1 else login_throttles.failures + 1 end`;
    const row = await this.db
      .insertInto('login_throttles')
      .values({
        key,
        failures: 1,
        last_failure_at: now,
        locked_until: settings.maxFailures <= 1 ? lockEnd : null,
      })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({
          failures,
          last_failure_at: now,
          locked_until: sql<number | null>`case
            when ${failures} >= ${settings.maxFailures} then ${lockEnd}
            when login_throttles.locked_until <= ${now} then null
            else login_throttles.locked_until end`,
        }),
      )
      .returning(['failures', 'locked_until'])
      .executeTakeFirstOrThrow();
    return { failures: row.failures, ...(row.locked_until === null ? {} : { lockedUntil: row.locked_until }) };
  }

  async lockedUntil(keys: readonly string[], now: number): Promise<number | undefined> {
    if (keys.length === 0) return undefined;
    const row = await this.db
      .selectFrom('login_throttles')
      .select((eb) => eb.fn.max('locked_until').as('until'))
      .where('key', 'in', [...keys])
      .where('locked_until', '>', now)
      .executeTakeFirst();
    return row?.until == null ? undefined : Number(row.until);
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('login_throttles').where('key', '=', key).execute();
  }

  async purge(now: number, before: number): Promise<number> {
    const deleted = await this.db
      .deleteFrom('login_throttles')
      .where('last_failure_at', '<', before)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}
