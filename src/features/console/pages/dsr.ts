import { contentError } from '../../../errors.js';
import type { DecisionEvent } from '../../../store/console-store.js';
import {
  badge,
  details,
  doneNotice,
  filterForm,
  json,
  keysetPager,
  link,
  pageNumber,
  pager,
  postForm,
  sectionTabs,
  table,
  time,
  truncate,
} from '../components.js';
import { html } from '../html.js';
import type { ConsolePage } from '../page.js';
import { outcomeBadge } from './events.js';
import { oneOf, rowId } from './form-values.js';

const PATH = '/console/dsr';
/** The decision log's operation for PEP decisions: denials, and allowed requests the simulation bundle decided otherwise. */
const PEP_OPERATION = 'pep';

const tabs = (current: 'registrations' | 'policies' | 'pep') =>
  sectionTabs('DSR sections', current, [
    ['registrations', PATH, 'Registrations'],
    ['policies', `${PATH}/policies`, 'Policy bundles'],
    ['pep', `${PATH}/pep`, 'PEP denials and shadow divergences'],
  ]);

const DONE: Record<string, string> = {
  deleted: 'The registration is deleted: its certificate gets no more device tokens.',
  'simulation-cleared': 'The simulation bundle is cleared: no request is shadowed any more.',
};

/** A sub is base64 (it may hold '/' and '+'): one path segment only when encoded. */
const registrationPath = (sub: string) => `${PATH}/registrations/${encodeURIComponent(sub)}`;

const validity = (notAfter: number, now: number) => (notAfter <= now ? badge('expired', 'warn') : badge('valid', 'ok'));

const divergence = (event: DecisionEvent) => (event.summary.divergent === true ? badge('diverges', 'warn') : '');

/** DSR: registered devices (inspect, delete), the policy bundles and PIP lists, and the PEP's denials and shadow divergences. */
export const dsrPage: ConsolePage = {
  nav: 'DSR',
  path: PATH,
  role: 'viewer',
  enabled: (services) => services.dsr !== undefined,
  routes(router) {
    router.page(PATH, async ({ services, query, pageSize }) => {
      const page = pageNumber(query.page);
      const platform = oneOf(query.platform, ['android', 'ios'] as const);
      const userId = query.user?.trim().slice(0, 64) || undefined;
      const { items, total } = await services.store.dsrRegistrations.list({
        limit: pageSize,
        offset: (page - 1) * pageSize,
        ...(userId ? { userId } : {}),
        ...(platform ? { platform } : {}),
      });
      const now = services.clock.now();
      const filters = { user: query.user, platform: query.platform };
      return {
        title: 'DSR',
        body: html`${tabs('registrations')}${doneNotice(DONE, query.done)}
${filterForm(
  PATH,
  [
    { name: 'user', label: 'User (KVNR)', placeholder: 'exact KVNR' },
    {
      name: 'platform',
      label: 'Platform',
      options: [
        ['android', 'Android'],
        ['ios', 'iOS'],
      ],
    },
  ],
  filters,
)}
${table({
  caption: `Registered devices, newest first (${total} matching)`,
  rows: items,
  empty: 'No registration matches.',
  columns: [
    {
      label: 'Device (sub)',
      cell: (row) => html`<a href="${registrationPath(row.sub)}"><code>${truncate(row.sub, 16)}</code></a>`,
    },
    { label: 'User (KVNR)', cell: (row) => row.userId },
    { label: 'Platform', cell: (row) => row.platform },
    { label: 'Registered', cell: (row) => time(row.createdAt) },
    {
      label: 'Certificate until',
      cell: (row) => html`${time(row.certificateNotAfter)} ${validity(row.certificateNotAfter, now)}`,
    },
  ],
})}
${pager(PATH, filters, page, pageSize, total)}`,
      };
    });

    router.page(`${PATH}/registrations/:sub`, async ({ services, params, csrf, can }) => {
      const registration = await services.store.dsrRegistrations.bySub(params.sub!);
      if (!registration) throw contentError('CONSOLE_NOT_FOUND', 'No DSR registration has this sub.', { status: 404 });
      const now = services.clock.now();
      return {
        title: `Device ${truncate(registration.sub, 16)}`,
        body: html`${details([
          ['Device (sub: SHA-256 of its mTLS key)', html`<code>${registration.sub}</code>`],
          ['User (KVNR)', registration.userId],
          ['Platform', registration.platform],
          ['Client certificate serial', html`<code>${registration.certificateSerial}</code>`],
          [
            'Client certificate valid until',
            html`${time(registration.certificateNotAfter)} ${validity(registration.certificateNotAfter, now)}`,
          ],
          ...(registration.appAttestKeyId
            ? ([['App Attest key id', html`<code>${registration.appAttestKeyId}</code>`]] as const)
            : []),
          ...(registration.attestKeySpki
            ? ([['Attestation key (SPKI)', html`<code>${truncate(registration.attestKeySpki, 48)}</code>`]] as const)
            : []),
          ['Registered', time(registration.createdAt)],
          ['Last re-registration', time(registration.updatedAt)],
          ['Attested facts (app, device)', json(registration.facts)],
        ])}
<p><a href="${link('/console/events', { subject: registration.sub })}">Decisions about this device</a> · <a href="${PATH}">All registrations</a></p>
${can('operator') ? postForm({ action: `${registrationPath(registration.sub)}/delete`, csrf, label: 'Delete this registration', button: 'Delete', danger: true }) : ''}`,
      };
    });

    router.action(`${PATH}/registrations/:sub/delete`, 'operator', async ({ services, params, audit }) => {
      const registration = await services.store.dsrRegistrations.bySub(params.sub!);
      if (!registration || !(await services.dsr!.service.removeRegistration(registration.sub)))
        throw contentError('CONSOLE_NOT_FOUND', 'No DSR registration has this sub.', { status: 404 });
      await audit('dsr.registration.delete', registration.sub, {
        userId: registration.userId,
        platform: registration.platform,
        certificateSerial: registration.certificateSerial,
      });
      return `${PATH}?done=deleted`;
    });

    router.page(`${PATH}/policies`, async ({ services, query, csrf, can }) => {
      const state = services.dsr!.policies.state();
      const bundles = [
        { slot: 'active', bundle: state.active },
        ...(state.simulation ? [{ slot: 'simulation', bundle: state.simulation }] : []),
      ];
      const pip = Object.entries(state.pip).map(([kind, list]) => ({ kind, ...list }));
      return {
        title: 'DSR policy bundles',
        body: html`${tabs('policies')}${doneNotice(DONE, query.done)}
${table({
  caption: 'Bundles in force on this instance (version 0 is the shipped default set)',
  rows: bundles,
  columns: [
    { label: 'Slot', cell: (row) => row.slot },
    { label: 'Version', cell: (row) => String(row.bundle.version), numeric: true },
    { label: 'Signing key (kid)', cell: (row) => html`<code>${row.bundle.kid}</code>` },
    // since is 0 for the shipped default set, in force from start-up.
    { label: 'In force since', cell: (row) => time(row.bundle.since || undefined) },
  ],
})}
${state.simulation ? '' : html`<p>No simulation bundle: requests are not shadowed.</p>`}
${
  state.simulation && can('operator')
    ? postForm({
        action: `${PATH}/policies/clear-simulation`,
        csrf,
        label: 'Clear the simulation bundle',
        button: 'Clear simulation',
        danger: true,
      })
    : ''
}
<h2>PIP lists</h2>
${table({
  caption: 'Policy information lists applied over the bundles’ data',
  rows: pip,
  empty: 'No PIP list source is configured.',
  columns: [
    { label: 'List', cell: (row) => row.kind },
    { label: 'Source', cell: (row) => html`<code>${row.source}</code>` },
    {
      label: 'State',
      cell: (row) =>
        'error' in row
          ? badge(`failed: ${row.error}`, 'bad')
          : html`${badge(`${row.entries} entries`, 'ok')} refreshed ${time(row.refreshedAt)}`,
    },
  ],
})}`,
      };
    });

    router.action(`${PATH}/policies/clear-simulation`, 'operator', async ({ services, audit }) => {
      const cleared = services.dsr!.policies.state().simulation;
      if (!(await services.dsr!.policies.clearSimulation()))
        throw contentError('CONSOLE_NOT_FOUND', 'There is no simulation bundle.', { status: 404 });
      await audit('dsr.bundle.clear-simulation', cleared ? `simulation v${cleared.version}` : 'simulation', {
        ...(cleared ? { version: cleared.version, kid: cleared.kid } : {}),
      });
      return `${PATH}/policies?done=simulation-cleared`;
    });

    router.page(`${PATH}/pep`, async ({ services, query, pageSize }) => {
      const before = rowId(query.before);
      const rows = await services.store.decisionEvents.list(
        { capability: 'dsr', operation: PEP_OPERATION },
        { limit: pageSize + 1, ...(before === undefined ? {} : { before }) },
      );
      const shown = rows.slice(0, pageSize);
      return {
        title: 'PEP denials and shadow divergences',
        body: html`${tabs('pep')}
<p>The PEP logs every denial and every request the simulation bundle decided otherwise; requests it allowed in agreement are not logged.</p>
${table({
  caption: 'PEP decisions, newest first',
  rows: shown,
  empty: 'No PEP denial or shadow divergence is logged.',
  columns: [
    { label: 'Time', cell: (row) => html`<a href="/console/events/${row.id}">${time(row.at)}</a>` },
    { label: 'Profile', cell: (row) => String(row.summary.profile ?? '') },
    { label: 'Outcome', cell: outcomeBadge },
    { label: 'Shadow', cell: divergence },
    { label: 'Code', cell: (row) => (row.code ? html`<code>${row.code}</code>` : '') },
    {
      label: 'Request',
      cell: (row) =>
        row.summary.path ? html`<code>${String(row.summary.method ?? '')} ${String(row.summary.path)}</code>` : '',
    },
    { label: 'Device (sub)', cell: (row) => (row.subject ? html`<code>${truncate(row.subject, 16)}</code>` : '') },
  ],
})}
${keysetPager(`${PATH}/pep`, { before: query.before }, shown.at(-1)?.id, rows.length > pageSize)}`,
      };
    });
  },
};
