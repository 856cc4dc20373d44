import { contentError } from '../../../errors.js';
import { type BindingCertificateRecord, REVOCATION_REASONS } from '../../../store/binding-certificate-store.js';
import {
  badge,
  details,
  filterForm,
  json,
  pageNumber,
  pager,
  postForm,
  select,
  table,
  time,
  truncate,
} from '../components.js';
import { html } from '../html.js';
import type { ConsolePage } from '../page.js';
import { oneOf } from './form-values.js';

const PATH = '/console/certificates';

const state = (record: BindingCertificateRecord, now: number) =>
  record.revokedAt !== undefined
    ? badge('revoked', 'bad')
    : record.notAfter <= now
      ? badge('expired', 'warn')
      : badge('valid', 'ok');

/** Warden binding certificates: search, detail, revoke (the serial is on the next CRL at /api/v1/crl). */
export const certificatesPage: ConsolePage = {
  nav: 'Certificates',
  path: PATH,
  role: 'viewer',
  enabled: (services) => services.warden !== undefined,
  routes(router) {
    router.page(PATH, async ({ services, query, pageSize }) => {
      const page = pageNumber(query.page);
      const platform = oneOf(query.platform, ['android', 'apple'] as const);
      const revoked = query.state === 'revoked' ? true : query.state === 'unrevoked' ? false : undefined;
      const search = query.q?.trim().slice(0, 128) || undefined;
      const { items, total } = await services.store.bindingCertificates.page({
        limit: pageSize,
        offset: (page - 1) * pageSize,
        ...(search ? { search } : {}),
        ...(platform ? { platform } : {}),
        ...(revoked === undefined ? {} : { revoked }),
      });
      const now = services.clock.now();
      const filters = { q: query.q, platform: query.platform, state: query.state };
      return {
        title: 'Binding certificates',
        body: html`${filterForm(
          PATH,
          [
            { name: 'q', label: 'Serial or subject', placeholder: 'serial prefix or subject text' },
            {
              name: 'platform',
              label: 'Platform',
              options: [
                ['android', 'Android'],
                ['apple', 'Apple'],
              ],
            },
            {
              name: 'state',
              label: 'Revocation',
              options: [
                ['unrevoked', 'Not revoked'],
                ['revoked', 'Revoked'],
              ],
            },
          ],
          filters,
        )}
${table({
  caption: `Issued binding certificates, newest first (${total} matching)`,
  rows: items,
  empty: 'No binding certificate matches.',
  columns: [
    {
      label: 'Serial',
      cell: (row) => html`<a href="${PATH}/${row.serial}"><code>${truncate(row.serial, 20)}</code></a>`,
    },
    { label: 'Subject', cell: (row) => row.subject },
    { label: 'Platform', cell: (row) => row.platform },
    { label: 'Policy', cell: (row) => row.policy },
    { label: 'Issued', cell: (row) => time(row.issuedAt) },
    { label: 'Expires', cell: (row) => time(row.notAfter) },
    { label: 'State', cell: (row) => state(row, now) },
  ],
})}
${pager(PATH, filters, page, pageSize, total)}`,
      };
    });

    router.page(`${PATH}/:serial`, async ({ services, params, csrf, can, query }) => {
      const record = await services.store.bindingCertificates.find(params.serial!.toLowerCase());
      if (!record) throw contentError('CONSOLE_NOT_FOUND', 'No binding certificate has this serial.', { status: 404 });
      const now = services.clock.now();
      return {
        title: `Certificate ${truncate(record.serial, 20)}`,
        body: html`${query.done === 'revoked' ? html`<div class="notice notice-ok" role="status">Revoked: the certificate is on the CRL (<a href="/api/v1/crl">/api/v1/crl</a>) from now on.</div>` : ''}
${details([
  ['Serial', html`<code>${record.serial}</code>`],
  ['State', state(record, now)],
  ['Subject', record.subject],
  ['Platform', record.platform],
  ['Policy', record.policy],
  ['Key thumbprint (SHA-256 of SPKI)', html`<code>${record.keyThumbprint}</code>`],
  ['Issued', time(record.issuedAt)],
  ['Expires', time(record.notAfter)],
  ...(record.revokedAt !== undefined
    ? ([
        ['Revoked', time(record.revokedAt)],
        ['Reason', record.revocationReason ?? ''],
      ] as const)
    : []),
  ['Attested facts', json(record.summary)],
])}
<p><a href="/console/events?subject=${record.serial}">Decisions about this certificate</a> · <a href="${PATH}">All certificates</a></p>
${
  record.revokedAt === undefined && can('operator')
    ? postForm({
        action: `${PATH}/${record.serial}/revoke`,
        csrf,
        label: 'Revoke this certificate',
        button: 'Revoke',
        danger: true,
        fields: select('reason', 'Reason', REVOCATION_REASONS, { selected: 'unspecified' }),
      })
    : ''
}`,
      };
    });

    router.action(`${PATH}/:serial/revoke`, 'operator', async ({ services, params, form, audit }) => {
      const reason = oneOf(form.reason, REVOCATION_REASONS);
      if (!reason) throw contentError('CONSOLE_FORM_INVALID', 'Choose one of the listed revocation reasons.');
      const revoked = await services.warden!.revokeCertificate(params.serial!.toLowerCase(), reason);
      await audit('certificate.revoke', revoked.serial, { reason });
      return `${PATH}/${revoked.serial}?done=revoked`;
    });
  },
};
