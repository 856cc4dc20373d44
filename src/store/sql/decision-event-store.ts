import { type Kysely, type Selectable, sql } from 'kysely';
import type { ErrorCategory } from '../../errors.js';
import type {
  DecisionBucket,
  DecisionEvent,
  DecisionEventFilter,
  DecisionEventStore,
  DecisionOutcome,
  NewDecisionEvent,
} from '../console-store.js';
import type { DecisionEventsTable, Tables } from '../tables.js';

/** Rows per INSERT: 200 × 10 parameters stays far below SQLite's limit on bound parameters. */
const CHUNK = 200;

const toEvent = (row: Selectable<DecisionEventsTable>): DecisionEvent => ({
  id: row.id,
  at: row.at,
  capability: row.capability,
  operation: row.operation,
  platform: row.platform,
  outcome: row.outcome as DecisionOutcome,
  ...(row.category === null ? {} : { category: row.category as ErrorCategory }),
  ...(row.code === null ? {} : { code: row.code }),
  ...(row.subject === null ? {} : { subject: row.subject }),
  summary: JSON.parse(row.summary) as Record<string, unknown>,
  ...(row.request_id === null ? {} : { requestId: row.request_id }),
});

const rowOf = (event: NewDecisionEvent) => ({
  at: event.at,
  capability: event.capability,
  operation: event.operation,
  platform: event.platform,
  outcome: event.outcome,
  category: event.category ?? null,
  code: event.code ?? null,
  subject: event.subject ?? null,
  summary: JSON.stringify(event.summary),
  request_id: event.requestId ?? null,
});

const HOUR = 3_600_000;

/** The events' counts per hour, capability, outcome and category, sorted by that key. */
function hourlyCounts(events: readonly NewDecisionEvent[]) {
  const counts = new Map<
    string,
    { hour: number; capability: string; outcome: string; category: string; count: number }
  >();
  for (const event of events) {
    const hour = event.at - (event.at % HOUR);
    const category = event.category ?? '';
    const key = JSON.stringify([hour, event.capability, event.outcome, category]);
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { hour, capability: event.capability, outcome: event.outcome, category, count: 1 });
  }
  return [...counts.values()].sort(
    (a, b) =>
      a.hour - b.hour ||
      a.capability.localeCompare(b.capability) ||
      a.outcome.localeCompare(b.outcome) ||
      a.category.localeCompare(b.category),
  );
}

/** Integers in both dialects: better-sqlite3 binds every JS number as a REAL, which would make `/` divide exactly. */
const integer = (value: number) => sql<number>`cast(${value} as bigint)`;

/**
 * The decision log in the SQL database. Written in batches by a background recorder, read by the
 * console: every listing walks an index newest-first, the histogram scans only the index on
 * (at, capability, outcome, category).
 */
export class SqlDecisionEventStore implements DecisionEventStore {
  constructor(private readonly db: Kysely<Tables>) {}

  /** The events and their hourly counts, in one transaction (the counts rows in key order, so concurrent appends never deadlock). */
  async append(events: readonly NewDecisionEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < events.length; start += CHUNK)
        await trx
          .insertInto('decision_events')
          .values(events.slice(start, start + CHUNK).map(rowOf))
          .execute();
      const counts = hourlyCounts(events);
      for (let start = 0; start < counts.length; start += CHUNK)
        await trx
          .insertInto('decision_counts')
          .values(counts.slice(start, start + CHUNK))
          .onConflict((conflict) =>
            conflict
              .columns(['hour', 'capability', 'outcome', 'category'])
              .doUpdateSet({ count: (eb) => eb('decision_counts.count', '+', eb.ref('excluded.count')) }),
          )
          .execute();
    });
  }

  async get(id: number): Promise<DecisionEvent | undefined> {
    const row = await this.db.selectFrom('decision_events').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEvent(row) : undefined;
  }

  async list(filter: DecisionEventFilter, page: { limit: number; before?: number }): Promise<DecisionEvent[]> {
    let query = this.db.selectFrom('decision_events').selectAll();
    for (const column of ['capability', 'operation', 'outcome', 'code', 'platform', 'subject'] as const) {
      const value = filter[column];
      if (value !== undefined) query = query.where(column, '=', value);
    }
    if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('at', '<', filter.to);
    if (page.before !== undefined) query = query.where('id', '<', page.before);
    const rows = await query.orderBy('id', 'desc').limit(page.limit).execute();
    return rows.map(toEvent);
  }

  /**
   * Buckets of whole hours starting on an hour come from the hourly counts; any other bucketing
   * (minutes, an unaligned start) from the events themselves.
   */
  async histogram(from: number, to: number, bucketMs: number): Promise<DecisionBucket[]> {
    if (!(bucketMs > 0)) throw new RangeError('bucketMs must be positive');
    const hourly = from % HOUR === 0 && bucketMs % HOUR === 0;
    const table = hourly ? 'decision_counts' : 'decision_events';
    const time = sql.ref(hourly ? 'hour' : 'at');
    // time >= from, so the integer division is the floor.
    const start = sql<number>`${integer(from)} + ((${time} - ${integer(from)}) / ${integer(bucketMs)}) * ${integer(bucketMs)}`;
    const rows = await this.db
      .selectFrom(table)
      .select([
        start.as('start'),
        'capability',
        'outcome',
        sql<string>`coalesce(category, '')`.as('category'),
        hourly ? sql<number>`sum(count)`.as('count') : sql<number>`count(*)`.as('count'),
      ])
      .where(time, '>=', from)
      .where(time, '<', to)
      .groupBy([sql`1`, sql`2`, sql`3`, sql`4`])
      .orderBy(sql`1`)
      .orderBy(sql`2`)
      .orderBy(sql`3`)
      .orderBy(sql`4`)
      .execute();
    return rows.map((row) => ({
      start: Number(row.start),
      capability: row.capability,
      outcome: row.outcome as DecisionOutcome,
      category: row.category,
      count: Number(row.count),
    }));
  }

  /**
   * Oldest first, in statements of at most `limit` rows so that a large purge never holds a long
   * write lock. The subquery walks the (at, …) index, so finding nothing to purge is instant.
   */
  async purgeBefore(before: number, limit: number): Promise<number> {
    const deleted = await this.db
      .deleteFrom('decision_events')
      .where('id', 'in', (eb) =>
        eb.selectFrom('decision_events').select('id').where('at', '<', before).orderBy('at').limit(limit),
      )
      .executeTakeFirst();
    // Hours wholly before the cutoff go with their events.
    await this.db
      .deleteFrom('decision_counts')
      .where('hour', '<=', before - HOUR)
      .execute();
    return Number(deleted.numDeletedRows);
  }
}
