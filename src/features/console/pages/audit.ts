import { contentError } from '../../../errors.js';
import type { AuditEventFilter } from '../../../store/console-store.js';
import { badge, details, filterForm, json, keysetPager, table, time } from '../components.js';
import { html } from '../html.js';
import type { ConsolePage } from '../page.js';
import { parseTime, text, rowId } from './form-values.js';

const PATH = '/console/audit';

/** The audit trail: who did what, when and from where (admins only). */
export const auditPage: ConsolePage = {
  nav: 'Audit',
  path: PATH,
  role: 'admin',
  enabled: () => true,
  routes(router) {
    router.page(PATH, async ({ services, query, pageSize }) => {
      const filter: AuditEventFilter = {};
      if (text(query.actor)) filter.actor = text(query.actor)!;
      if (text(query.action)) filter.action = text(query.action)!;
      if (text(query.target)) filter.target = text(query.target)!;
      const from = parseTime(query.from);
      const to = parseTime(query.to);
      if (from !== undefined) filter.from = from;
      if (to !== undefined) filter.to = to;
      const before = rowId(query.before);
      const rows = await services.store.auditEvents.list(filter, {
        limit: pageSize + 1,
        ...(before === undefined ? {} : { before }),
      });
      const shown = rows.slice(0, pageSize);
      const values = { actor: query.actor, action: query.action, target: query.target, from: query.from, to: query.to };
      return {
        title: 'Audit trail',
        body: html`${filterForm(
          PATH,
          [
            { name: 'actor', label: 'Who', placeholder: 'operator, api-key:…, cli:…' },
            { name: 'action', label: 'Action', placeholder: 'login, certificate.revoke, …' },
            { name: 'target', label: 'Target', placeholder: 'serial, account, name…' },
            { name: 'from', label: 'From (UTC)', type: 'datetime-local' },
            { name: 'to', label: 'To (UTC)', type: 'datetime-local' },
          ],
          values,
        )}
${table({
  caption: 'Operator actions, newest first',
  rows: shown,
  empty: 'No action matches.',
  columns: [
    { label: 'When', cell: (row) => html`<a href="${PATH}/${row.id}">${time(row.at)}</a>` },
    { label: 'Who', cell: (row) => row.actor },
    { label: 'What', cell: (row) => row.action },
    { label: 'Target', cell: (row) => (row.target ? html`<code>${row.target}</code>` : '') },
    { label: 'From', cell: (row) => row.address },
    { label: 'Outcome', cell: (row) => (row.outcome === 'ok' ? badge('ok', 'ok') : badge('refused', 'bad')) },
  ],
})}
${keysetPager(PATH, { ...values, before: query.before }, shown.at(-1)?.id, rows.length > pageSize)}`,
      };
    });

    router.page(`${PATH}/:id`, async ({ services, params }) => {
      const id = rowId(params.id);
      const event = id === undefined ? undefined : await services.store.auditEvents.get(id);
      if (!event) throw contentError('CONSOLE_NOT_FOUND', 'No audit entry has this id.', { status: 404 });
      return {
        title: `Audit entry ${event.id}`,
        body: html`${details([
          ['When', time(event.at)],
          ['Who', `${event.actor} (${event.actorKind})`],
          ['What', event.action],
          ['Target', event.target ?? '—'],
          ['Outcome', event.outcome],
          ['From', event.address],
          ['Request id', event.requestId ?? '—'],
          ['Detail', json(event.detail)],
        ])}<p><a href="${PATH}">The whole trail</a></p>`,
      };
    });
  },
};
