import { normalizeAaguid } from '../../../attestation/webauthn/metadata/index.js';
import type { AttestationTrust } from '../../../attestation/webauthn/types.js';
import { contentError } from '../../../errors.js';
import type { Services } from '../../../services.js';
import type { WebAuthnCredential } from '../../../store/webauthn-store.js';
import { describeEntry } from '../../fido2/metadata-describe.js';
import {
  badge,
  details,
  doneNotice,
  filterForm,
  json,
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

const PATH = '/console/authenticators';

const tabs = (current: 'credentials' | 'metadata') =>
  sectionTabs('Authenticator sections', current, [
    ['credentials', PATH, 'Credentials'],
    ['metadata', `${PATH}/metadata`, 'FIDO metadata'],
  ]);

const credentialState = (credential: WebAuthnCredential) =>
  credential.possiblyClonedAt !== undefined ? badge('possibly cloned', 'bad') : badge('in use', 'ok');

/** none: the attestation reached no trusted root (or was not checked). */
const trustBadge = (trust: AttestationTrust) => badge(trust, trust === 'none' ? 'warn' : 'ok');

/** What the metadata Keyward trusts now says about an authenticator model (undefined: not in metadata). */
function metadataOf(services: Services, aaguid: string) {
  const entry = services.fido2!.metadata.lookup()?.byAaguid(aaguid);
  if (!entry) return undefined;
  const { refuseStatuses, minCertificationLevel } = services.config.fido2.mds;
  const described = describeEntry(entry, services.clock.now(), {
    refuse: refuseStatuses,
    minCertificationLevel,
  });
  // Status reports are in the order the statement gives them; the latest is the one with the latest effective date.
  const latest = [...entry.statusReports]
    .sort((a, b) => (a.effectiveDate ?? '').localeCompare(b.effectiveDate ?? ''))
    .at(-1);
  return { ...described, latest };
}

const metadataCells = (metadata: ReturnType<typeof metadataOf>) =>
  metadata
    ? {
        description: metadata.description,
        status: metadata.latest
          ? html`${metadata.latest.status}${metadata.latest.effectiveDate ? html` (since ${metadata.latest.effectiveDate})` : ''}`
          : '—',
        decision: metadata.refused
          ? badge(`refused: ${metadata.refusedBy?.status ?? ''}`, 'bad')
          : badge('acceptable', 'ok'),
      }
    : { description: html`<em>not in metadata</em>`, status: '—', decision: badge('unknown', 'warn') };

const DONE: Record<string, string> = {
  deleted: 'The credential is deleted: its user can no longer sign in with it.',
};

/** WebAuthn credentials (search, detail, delete) and the FIDO metadata they are judged by. */
export const authenticatorsPage: ConsolePage = {
  nav: 'Authenticators',
  path: PATH,
  role: 'viewer',
  enabled: (services) => services.fido2 !== undefined,
  routes(router) {
    router.page(PATH, async ({ services, query, pageSize }) => {
      const page = pageNumber(query.page);
      const userName = query.user?.trim().slice(0, 256) || undefined;
      const aaguid = query.aaguid?.trim() ? normalizeAaguid(query.aaguid.trim()) : undefined;
      if (query.aaguid?.trim() && !aaguid)
        throw contentError('CONSOLE_FORM_INVALID', 'An AAGUID is 32 hexadecimal digits, dashed or not.');
      const { credentials, total } = await services.fido2!.service.listCredentials({
        offset: (page - 1) * pageSize,
        limit: pageSize,
        ...(userName ? { userName } : {}),
        ...(aaguid ? { aaguid } : {}),
      });
      const models = [...new Set(credentials.map((credential) => credential.aaguid))].map((id) => ({
        aaguid: id,
        ...metadataCells(metadataOf(services, id)),
      }));
      const filters = { user: query.user, aaguid: query.aaguid };
      return {
        title: 'Authenticators',
        body: html`${tabs('credentials')}${doneNotice(DONE, query.done)}
${filterForm(
  PATH,
  [
    { name: 'user', label: 'User name', placeholder: 'exact user name' },
    { name: 'aaguid', label: 'AAGUID', placeholder: 'authenticator model' },
  ],
  filters,
)}
${table({
  caption: `WebAuthn credentials, newest first (${total} matching)`,
  rows: credentials,
  empty: 'No credential matches.',
  columns: [
    {
      label: 'Credential',
      cell: (row) =>
        html`<a href="${PATH}/credentials/${row.credentialId}"><code>${truncate(row.credentialId, 16)}</code></a>`,
    },
    { label: 'User', cell: (row) => row.userName },
    { label: 'AAGUID', cell: (row) => html`<code>${row.aaguid}</code>` },
    { label: 'Format', cell: (row) => row.fmt },
    { label: 'Trust', cell: (row) => trustBadge(row.trust) },
    { label: 'Registered', cell: (row) => time(row.createdAt) },
    { label: 'Last used', cell: (row) => time(row.lastUsedAt) },
    { label: 'State', cell: credentialState },
  ],
})}
${pager(PATH, filters, page, pageSize, total)}
<h2>Authenticator models on this page</h2>
${table({
  caption: 'What the FIDO metadata in use says about these authenticators',
  rows: models,
  empty: 'No authenticator listed.',
  columns: [
    {
      label: 'AAGUID',
      cell: (row) => html`<a href="${link(PATH, { aaguid: row.aaguid })}"><code>${row.aaguid}</code></a>`,
    },
    { label: 'Description', cell: (row) => row.description },
    { label: 'Latest status report', cell: (row) => row.status },
    { label: 'Status policy', cell: (row) => row.decision },
  ],
})}`,
      };
    });

    router.page(`${PATH}/credentials/:id`, async ({ services, params, csrf, can }) => {
      const credential = await services.store.webauthnCredentials.get(params.id!);
      if (!credential) throw contentError('CONSOLE_NOT_FOUND', 'No WebAuthn credential has this id.', { status: 404 });
      const user = await services.store.webauthnUsers.byHandle(credential.userHandle);
      const metadata = metadataOf(services, credential.aaguid);
      return {
        title: `Credential ${truncate(credential.credentialId, 16)}`,
        body: html`${details([
          ['Credential id', html`<code>${credential.credentialId}</code>`],
          ['State', credentialState(credential)],
          ['User name', user?.userName ?? '—'],
          ['Display name', user?.displayName ?? '—'],
          ['User handle', html`<code>${credential.userHandle}</code>`],
          ['AAGUID', html`<code>${credential.aaguid}</code>`],
          ['Attestation format', credential.fmt],
          ['Attestation type', credential.attestationType],
          ['Attestation trust', trustBadge(credential.trust)],
          ['COSE algorithm', String(credential.alg)],
          ['Signature counter', String(credential.counter)],
          ['User verified at registration', credential.userVerified ? 'yes' : 'no'],
          ['Backup eligible', credential.backupEligible ? 'yes' : 'no'],
          ['Backed up (as of last use)', credential.backedUp ? 'yes' : 'no'],
          [
            'Discoverable',
            credential.discoverable === undefined ? 'not reported' : credential.discoverable ? 'yes' : 'no',
          ],
          ['Transports', credential.transports.join(', ') || '—'],
          ['Registered', time(credential.createdAt)],
          ['Last used', time(credential.lastUsedAt)],
          ...(credential.possiblyClonedAt !== undefined
            ? ([
                [
                  'Possibly cloned since',
                  html`${time(credential.possiblyClonedAt)} ${badge('counter went back', 'bad')}`,
                ],
              ] as const)
            : []),
          ['Attestation outcome', json(credential.attestation)],
          ['Metadata at registration', json(credential.metadata)],
          [
            'Metadata now',
            metadata
              ? json({
                  description: metadata.description,
                  source: metadata.source,
                  statuses: metadata.statuses,
                  statusReports: metadata.statusReports,
                  refused: metadata.refused,
                  ...(metadata.refusedBy ? { refusedBy: metadata.refusedBy } : {}),
                })
              : 'Not in the metadata in use.',
          ],
        ])}
<p><a href="${link('/console/events', { subject: credential.credentialId })}">Decisions about this credential</a> · <a href="${PATH}">All credentials</a></p>
${can('operator') ? postForm({ action: `${PATH}/credentials/${credential.credentialId}/delete`, csrf, label: 'Delete this credential', button: 'Delete', danger: true }) : ''}`,
      };
    });

    router.action(`${PATH}/credentials/:id/delete`, 'operator', async ({ services, params, audit }) => {
      const credential = await services.fido2!.service.credential(params.id!);
      await services.fido2!.service.deleteCredential(credential.credentialId);
      await audit('webauthn.credential.delete', credential.credentialId, {
        userName: credential.userName,
        aaguid: credential.aaguid,
      });
      return `${PATH}?done=deleted`;
    });

    router.page(`${PATH}/metadata`, async ({ services }) => {
      const state = services.fido2!.metadata.state();
      const statusKind =
        state.status === 'current'
          ? 'ok'
          : state.status === 'stale' || state.status === 'loading'
            ? 'warn'
            : state.status === 'disabled'
              ? 'neutral'
              : 'bad';
      return {
        title: 'FIDO metadata',
        body: html`${tabs('metadata')}
${details([
  ['Status', badge(state.status, statusKind)],
  ['BLOB no.', state.no === undefined ? '—' : String(state.no)],
  ['Next update', state.nextUpdate ?? '—'],
  ['Source', state.source ? html`<code>${state.source}</code>` : '—'],
  ['Verified', time(state.verifiedAt)],
  ['Entries in the BLOB', String(state.entries)],
  ['Local entries (metadata folder)', String(state.localEntries)],
  ['Last attempt', state.lastAttempt ? html`${time(state.lastAttempt.at)}: ${state.lastAttempt.outcome}` : '—'],
  [
    'Last error',
    state.lastError
      ? html`${time(state.lastError.at)}: <code>${state.lastError.code}</code> ${state.lastError.message}`
      : '—',
  ],
  ['Next attempt', time(state.nextAttemptAt)],
])}`,
      };
    });
  },
};
