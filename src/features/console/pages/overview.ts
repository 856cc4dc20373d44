import type { Services } from '../../../services.js';
import { decisionChart } from '../chart.js';
import { badge, sectionTabs, table, time } from '../components.js';
import { type Html, html } from '../html.js';
import type { ConsolePage } from '../page.js';
import { CAPABILITIES } from './events.js';

const HOUR = 3_600_000;

/** The ranges the overview offers: [label, length, bucket]. */
const RANGES = {
  '1h': ['the last hour', HOUR, 5 * 60_000],
  '24h': ['the last 24 hours', 24 * HOUR, HOUR],
  '7d': ['the last 7 days', 7 * 24 * HOUR, 6 * HOUR],
  '30d': ['the last 30 days', 30 * 24 * HOUR, 24 * HOUR],
} as const;
type Range = keyof typeof RANGES;

const card = (value: number | string, label: string, href?: string) =>
  html`<div class="card"><span class="value">${value}</span><span class="label">${href ? html`<a href="${href}">${label}</a>` : label}</span></div>`;

/** What each capability holds, counted by its store. */
async function holdings(services: Services): Promise<Html[]> {
  const { store } = services;
  const cards: Promise<Html>[] = [];
  if (services.warden)
    cards.push(
      store.bindingCertificates
        .page({ limit: 1, revoked: false })
        .then(({ total }) => card(total, 'binding certificates (not revoked)', '/console/certificates')),
    );
  if (services.mdvm)
    cards.push(
      store.mdvmAccounts
        .page({ limit: 1, revoked: false })
        .then(({ total }) => card(total, 'active wallets', '/console/wallets')),
    );
  if (services.fido2)
    cards.push(
      store.webauthnCredentials
        .list({ offset: 0, limit: 1 })
        .then(({ total }) => card(total, 'WebAuthn credentials', '/console/authenticators')),
    );
  if (services.dsr)
    cards.push(
      store.dsrRegistrations.list({ limit: 1 }).then(({ total }) => card(total, 'DSR devices', '/console/dsr')),
    );
  if (services.provisioning)
    cards.push(
      store.mdocRecords
        .configuredDocuments({ limit: 1 })
        .then(({ total }) => card(total, 'provisioned mdoc credentials', '/console/provisioning')),
    );
  return Promise.all(cards);
}

/** How long a check takes, or that it failed. */
async function probe(check: () => Promise<unknown>): Promise<Html> {
  const started = performance.now();
  try {
    await check();
    return html`${badge('ok', 'ok')} <span class="muted">${(performance.now() - started).toFixed(1)} ms</span>`;
  } catch {
    return badge('failed', 'bad');
  }
}

async function health(services: Services): Promise<[string, Html | string][]> {
  const rows: [string, Html | string][] = [
    [`Database (${services.store.location})`, await probe(() => services.store.ping())],
  ];
  if (services.redis) rows.push(['Redis', await probe(() => services.redis!.ping())]);
  else rows.push(['Redis', html`<span class="muted">not configured (challenges in the database)</span>`]);
  if (services.warden) {
    const now = services.clock.now();
    const revoked = await services.store.bindingCertificates.revokedUnexpired(now);
    rows.push([
      'Warden CRL (/api/v1/crl)',
      html`${badge('current', 'ok')} made on each request; ${revoked.length} revoked unexpired; valid ${services.config.warden.ca.crlValidityHours} h`,
    ]);
  }
  rows.push(['Android attestation status list', androidStatusList(services)]);
  if (services.mdvm) rows.push(['MDVM revocation list', html`${badge('current', 'ok')} signed on each request`]);
  if (services.fido2) {
    const state = services.fido2.metadata.state();
    const kind =
      state.status === 'current' ? 'ok' : state.status === 'disabled' || state.status === 'loading' ? 'neutral' : 'bad';
    rows.push([
      'FIDO metadata BLOB',
      html`${badge(state.status, kind)} ${state.no !== undefined ? `no. ${state.no}, next update ${state.nextUpdate}, ` : ''}${state.entries} entries, ${state.localEntries} local`,
    ]);
  }
  if (services.dsr) {
    const state = services.dsr.policies.state();
    rows.push([
      'DSR policy bundles',
      `active version ${state.active.version}${state.simulation ? `, simulation version ${state.simulation.version}` : ', no simulation'}`,
    ]);
  }
  return rows;
}

/** Google's attestation status list: fetched on the first Android verification, then whenever stale. */
function androidStatusList(services: Services): Html {
  const state = services.androidStatusList();
  if (!state) return html`${badge('off', 'warn')} revocation checking is off (android.revocation.enabled)`;
  if (state.fetchedAt === undefined)
    return html`${state.lastError ? badge('failed', 'bad') : badge('not fetched yet', 'neutral')} ${state.source}${state.lastError ? html` — ${state.lastError}` : ' (fetched on the first Android verification)'}`;
  const fresh = state.freshUntil === undefined || services.clock.now() < state.freshUntil;
  return html`${state.lastError ? badge('refresh failing', 'bad') : fresh ? badge('current', 'ok') : badge('due for refresh', 'neutral')} ${state.entries} entries, fetched ${time(state.fetchedAt)}${state.freshUntil ? html`, fresh until ${time(state.freshUntil)}` : ''} from ${state.source}${state.lastError ? html` — last refresh: ${state.lastError}` : ''}`;
}

/** Counts per capability, decisions over time, the health of what Keyward depends on. */
export const overviewPage: ConsolePage = {
  nav: 'Overview',
  path: '/console',
  role: 'viewer',
  enabled: () => true,
  routes(router) {
    router.page('/console', async ({ services, query }) => {
      const range: Range = query.range && query.range in RANGES ? (query.range as Range) : '24h';
      const [label, length, bucketMs] = RANGES[range];
      const now = services.clock.now();
      const to = Math.ceil(now / bucketMs) * bucketMs;
      const from = to - length;
      const [cards, buckets, checks] = await Promise.all([
        holdings(services),
        services.store.decisionEvents.histogram(from, to, bucketMs),
        health(services),
      ]);
      const perCapability = CAPABILITIES.map((capability) => {
        const mine = buckets.filter((bucket) => bucket.capability === capability);
        const accepted = mine
          .filter((bucket) => bucket.outcome === 'accepted')
          .reduce((sum, bucket) => sum + bucket.count, 0);
        const rejected = mine
          .filter((bucket) => bucket.outcome === 'rejected')
          .reduce((sum, bucket) => sum + bucket.count, 0);
        return { capability, accepted, rejected };
      }).filter((row) => row.accepted + row.rejected > 0);
      const since = new Date(from).toISOString().slice(0, 16);
      return {
        title: 'Overview',
        body: html`<section aria-labelledby="holdings"><h2 id="holdings">Devices and credentials</h2><div class="cards">${cards}</div></section>
<section aria-labelledby="decisions"><h2 id="decisions">Decisions over ${label}</h2>
${sectionTabs(
  'Range',
  range,
  (Object.keys(RANGES) as Range[]).map((name) => [name, `/console?range=${name}`, name] as const),
)}
${decisionChart(buckets, from, to, bucketMs, `Verification decisions over ${label}, by outcome and failure category`)}
${table({
  caption: `Decisions per capability over ${label}`,
  rows: perCapability,
  empty: `No decision over ${label}.`,
  columns: [
    {
      label: 'Capability',
      cell: (row) => html`<a href="/console/events?capability=${row.capability}&from=${since}">${row.capability}</a>`,
    },
    { label: 'Accepted', numeric: true, cell: (row) => row.accepted },
    {
      label: 'Rejected',
      numeric: true,
      cell: (row) =>
        row.rejected
          ? html`<a href="/console/events?capability=${row.capability}&outcome=rejected&from=${since}">${row.rejected}</a>`
          : 0,
    },
  ],
})}</section>
<section aria-labelledby="health"><h2 id="health">Health</h2>
${table({
  caption: 'Backing services and revocation lists',
  rows: checks,
  columns: [
    { label: 'Component', cell: (row) => row[0] },
    { label: 'State', cell: (row) => row[1] },
  ],
})}</section>`,
      };
    });
  },
};
