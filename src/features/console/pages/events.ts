import { contentError } from '../../../errors.js';
import { DECISION_OUTCOMES, type DecisionEvent, type DecisionEventFilter } from '../../../store/console-store.js';
import { badge, details, filterForm, json, keysetPager, table, time, truncate } from '../components.js';
import { html } from '../html.js';
import type { ConsolePage } from '../page.js';
import { oneOf, parseTime, text, rowId } from './form-values.js';

const PATH = '/console/events';

export const CAPABILITIES = ['warden', 'mdvm', 'fido2', 'dsr', 'provisioning'] as const;

export const outcomeBadge = (event: DecisionEvent) =>
  event.outcome === 'accepted' ? badge('accepted', 'ok') : badge('rejected', 'bad');

/** The decision log: every verification decision, filterable, newest first. */
export const eventsPage: ConsolePage = {
  nav: 'Events',
  path: PATH,
  role: 'viewer',
  enabled: () => true,
  routes(router) {
    router.page(PATH, async ({ services, query, pageSize }) => {
      const filter: DecisionEventFilter = {};
      const capability = oneOf(query.capability, CAPABILITIES);
      const outcome = oneOf(query.outcome, DECISION_OUTCOMES);
      const from = parseTime(query.from);
      const to = parseTime(query.to);
      if (capability) filter.capability = capability;
      if (outcome) filter.outcome = outcome;
      if (text(query.code)) filter.code = text(query.code)!.toUpperCase();
      if (text(query.platform)) filter.platform = text(query.platform)!;
      if (text(query.operation)) filter.operation = text(query.operation)!;
      if (text(query.subject, 256)) filter.subject = text(query.subject, 256)!;
      if (from !== undefined) filter.from = from;
      if (to !== undefined) filter.to = to;
      const before = rowId(query.before);
      const rows = await services.store.decisionEvents.list(filter, {
        limit: pageSize + 1,
        ...(before === undefined ? {} : { before }),
      });
      const shown = rows.slice(0, pageSize);
      const values = {
        capability: query.capability,
        outcome: query.outcome,
        code: query.code,
        platform: query.platform,
        operation: query.operation,
        subject: query.subject,
        from: query.from,
        to: query.to,
      };
      return {
        title: 'Decision log',
        body: html`${filterForm(
          PATH,
          [
            { name: 'capability', label: 'Capability', options: CAPABILITIES.map((name) => [name, name] as const) },
            { name: 'outcome', label: 'Outcome', options: DECISION_OUTCOMES.map((name) => [name, name] as const) },
            { name: 'code', label: 'Code', placeholder: 'e.g. CHALLENGE_MISMATCH' },
            { name: 'platform', label: 'Platform', placeholder: 'android, ios, …' },
            { name: 'operation', label: 'Operation', placeholder: 'attest, register, …' },
            { name: 'subject', label: 'Subject', placeholder: 'serial, account, credential…' },
            { name: 'from', label: 'From (UTC)', type: 'datetime-local' },
            { name: 'to', label: 'To (UTC)', type: 'datetime-local' },
          ],
          { ...values, before: undefined },
        )}
${table({
  caption: 'Verification decisions, newest first',
  rows: shown,
  empty: 'No decision matches.',
  columns: [
    { label: 'Time', cell: (row) => html`<a href="${PATH}/${row.id}">${time(row.at)}</a>` },
    { label: 'Capability', cell: (row) => row.capability },
    { label: 'Operation', cell: (row) => row.operation },
    { label: 'Platform', cell: (row) => row.platform || '—' },
    { label: 'Outcome', cell: outcomeBadge },
    { label: 'Code', cell: (row) => (row.code ? html`<code>${row.code}</code>` : '') },
    { label: 'Subject', cell: (row) => (row.subject ? html`<code>${truncate(row.subject, 20)}</code>` : '') },
  ],
})}
${keysetPager(PATH, { ...values, before: query.before }, shown.at(-1)?.id, rows.length > pageSize)}`,
      };
    });

    router.page(`${PATH}/:id`, async ({ services, params }) => {
      const id = rowId(params.id);
      const event = id === undefined ? undefined : await services.store.decisionEvents.get(id);
      if (!event) throw contentError('CONSOLE_NOT_FOUND', 'No decision has this id.', { status: 404 });
      return {
        title: `Decision ${event.id}`,
        body: html`${details([
          ['Time', time(event.at)],
          ['Capability', event.capability],
          ['Operation', event.operation],
          ['Platform', event.platform || '—'],
          ['Outcome', outcomeBadge(event)],
          ...(event.code
            ? ([
                ['Category', event.category ?? ''],
                ['Code', html`<code>${event.code}</code> (<a href="/docs">error reference</a>)`],
              ] as const)
            : []),
          ['Subject', event.subject ? html`<code>${event.subject}</code>` : '—'],
          ['Request id', event.requestId ? html`<code>${event.requestId}</code>` : '—'],
          ['Facts', json(event.summary)],
        ])}
<p><a href="${PATH}">All decisions</a>${event.subject ? html` · <a href="${PATH}?subject=${encodeURIComponent(event.subject)}">Decisions about the same subject</a>` : ''}</p>`,
      };
    });
  },
};
