import type { Kysely, Selectable } from 'kysely';
import type { AuditActorKind, AuditEvent, AuditEventFilter, AuditEventStore, NewAuditEvent } from '../console-store.js';
import type { AuditEventsTable, Tables } from '../tables.js';

const toEvent = (row: Selectable<AuditEventsTable>): AuditEvent => ({
  id: row.id,
  at: row.at,
  actor: row.actor,
  actorKind: row.actor_kind as AuditActorKind,
  action: row.action,
  ...(row.target === null ? {} : { target: row.target }),
  outcome: row.outcome as AuditEvent['outcome'],
  address: row.address,
  detail: JSON.parse(row.detail) as Record<string, unknown>,
  ...(row.request_id === null ? {} : { requestId: row.request_id }),
});

/** The audit trail in the SQL database; listings walk (actor | action | target, id) newest-first. */
export class SqlAuditEventStore implements AuditEventStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async append(event: NewAuditEvent): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        at: event.at,
        actor: event.actor,
        actor_kind: event.actorKind,
        action: event.action,
        target: event.target ?? null,
        outcome: event.outcome,
        address: event.address,
        detail: JSON.stringify(event.detail),
        request_id: event.requestId ?? null,
      })
      .execute();
  }

  async get(id: number): Promise<AuditEvent | undefined> {
    const row = await this.db.selectFrom('audit_events').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEvent(row) : undefined;
  }

  async list(filter: AuditEventFilter, page: { limit: number; before?: number }): Promise<AuditEvent[]> {
    let query = this.db.selectFrom('audit_events').selectAll();
    for (const column of ['actor', 'action', 'target'] as const) {
      const value = filter[column];
      if (value !== undefined) query = query.where(column, '=', value);
    }
    if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('at', '<', filter.to);
    if (page.before !== undefined) query = query.where('id', '<', page.before);
    const rows = await query.orderBy('id', 'desc').limit(page.limit).execute();
    return rows.map(toEvent);
  }
}
