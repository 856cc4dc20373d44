import { contentError } from '../../../errors.js';
import type { Services } from '../../../services.js';
import type { ConfiguredDocument, MdocDocument, ProvisioningCode } from '../../../store/provisioning-store.js';
import { decodeDocumentData } from '../../provisioning/document-data.js';
import { documentDataToJson } from '../../provisioning/document-json.js';
import { codeStateAt } from '../../provisioning/records.js';
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
import type { ConsolePage, PageContext } from '../page.js';

const PATH = '/console/provisioning';

const tabs = (current: 'persons' | 'codes' | 'credentials' | '') =>
  sectionTabs('Provisioning sections', current, [
    ['persons', PATH, 'Persons'],
    ['codes', `${PATH}/codes`, 'Provisioning codes'],
    ['credentials', `${PATH}/credentials`, 'Issued credentials'],
  ]);

const DONE: Record<string, string> = {
  'code-issued': 'A provisioning code is issued: it is the newest in the list below. Hand it to the person once.',
  'code-revoked': 'The provisioning code is revoked: it can no longer provision a credential.',
};

const documentStatus = (document: MdocDocument) =>
  document.status === 'active' ? badge('active', 'ok') : badge('marked for deletion', 'warn');

const CODE_KINDS = { usable: 'ok', used: 'neutral', expired: 'warn', revoked: 'bad' } as const;

/**
 * A code is a bearer secret until used: operators (who may issue and revoke them) see it whole,
 * viewers only its last digits.
 */
const codeText = (code: ProvisioningCode, can: PageContext['can']) =>
  html`<code>${can('operator') ? code.code : `…${code.code.slice(-4)}`}</code>`;

function codeTable(codes: readonly ProvisioningCode[], { services, csrf, can }: PageContext, withDocument: boolean) {
  const now = services.clock.now();
  return table({
    caption: 'Provisioning codes, newest first',
    rows: codes,
    empty: 'No provisioning code.',
    columns: [
      { label: 'Code', cell: (row) => codeText(row, can) },
      ...(withDocument
        ? [
            {
              label: 'Document',
              cell: (row: ProvisioningCode) =>
                html`<a href="${PATH}/documents/${row.documentId}"><code>${truncate(row.documentId, 13)}</code></a>`,
            },
          ]
        : []),
      {
        label: 'State',
        cell: (row) => {
          const state = codeStateAt(row, now);
          return badge(state, CODE_KINDS[state]);
        },
      },
      { label: 'Issued', cell: (row) => time(row.createdAt) },
      { label: 'Expires', cell: (row) => time(row.expiresAt) },
      { label: 'Used', cell: (row) => time(row.usedAt) },
      { label: 'Revoked', cell: (row) => time(row.revokedAt) },
      ...(can('operator')
        ? [
            {
              label: 'Action',
              cell: (row: ProvisioningCode) =>
                codeStateAt(row, now) === 'usable'
                  ? postForm({
                      // The code goes in the body, not the URL: URLs end up in access logs.
                      action: `${PATH}/documents/${row.documentId}/codes/revoke`,
                      csrf,
                      button: 'Revoke',
                      danger: true,
                      label: `Revoke the code ending ${row.code.slice(-4)}`,
                      fields: html`<input type="hidden" name="code" value="${row.code}">`,
                    })
                  : '',
            },
          ]
        : []),
    ],
  });
}

/** Issued credentials with their endorsed authentication keys (count and the latest expiry), in one query. */
async function credentialRows(services: Services, configured: readonly ConfiguredDocument[]) {
  const totals = await services.store.mdocRecords.authKeyTotals(
    configured.map((each) => each.credentialKeyFingerprint),
  );
  return configured.map((credential) => {
    const keys = totals.get(credential.credentialKeyFingerprint);
    return { credential, authKeys: keys?.count ?? 0, authKeysUntil: keys?.latestExpiry };
  });
}

function credentialTable(
  rows: Awaited<ReturnType<typeof credentialRows>>,
  documents: ReadonlyMap<string, MdocDocument | undefined>,
  withDocument: boolean,
) {
  return table({
    caption: 'Credentials devices hold, newest first',
    rows,
    empty: 'No credential is provisioned.',
    columns: [
      {
        label: 'Credential key (SHA-256 of SPKI)',
        cell: (row) =>
          html`<code title="${row.credential.credentialKeyFingerprint}">${truncate(row.credential.credentialKeyFingerprint, 16)}</code>`,
      },
      ...(withDocument
        ? [
            {
              label: 'Document',
              cell: (row: (typeof rows)[number]) =>
                html`<a href="${PATH}/documents/${row.credential.documentId}">${documents.get(row.credential.documentId)?.docType ?? row.credential.documentId}</a>`,
            },
          ]
        : []),
      {
        label: 'Data',
        cell: (row) => {
          const document = documents.get(row.credential.documentId);
          return document && row.credential.dataTimestamp < document.dataTimestamp
            ? badge('update pending', 'warn')
            : badge('current', 'ok');
        },
      },
      { label: 'Provisioned', cell: (row) => time(row.credential.createdAt) },
      { label: 'Updated', cell: (row) => time(row.credential.updatedAt) },
      { label: 'Endorsed auth keys', cell: (row) => String(row.authKeys), numeric: true },
      { label: 'Auth keys valid until', cell: (row) => time(row.authKeysUntil) },
    ],
  });
}

/** The mdoc system of record: persons, their documents, provisioning codes (issue, revoke), issued credentials. */
export const provisioningPage: ConsolePage = {
  nav: 'Provisioning',
  path: PATH,
  role: 'viewer',
  enabled: (services) => services.provisioning !== undefined,
  routes(router) {
    router.page(PATH, async ({ services, query, pageSize }) => {
      const page = pageNumber(query.page);
      const search = query.q?.trim().slice(0, 200) || undefined;
      const { items, total } = await services.store.mdocRecords.persons({
        limit: pageSize,
        offset: (page - 1) * pageSize,
        ...(search ? { search } : {}),
      });
      const filters = { q: query.q };
      return {
        title: 'Provisioning',
        body: html`${tabs('persons')}
${filterForm(PATH, [{ name: 'q', label: 'Name', placeholder: 'part of the name' }], filters)}
${table({
  caption: `Persons, newest first (${total} matching)`,
  rows: items,
  empty: 'No person matches.',
  columns: [
    { label: 'Name', cell: (row) => html`<a href="${PATH}/persons/${row.id}">${row.name}</a>` },
    { label: 'Id', cell: (row) => html`<code>${row.id}</code>` },
    { label: 'Added', cell: (row) => time(row.createdAt) },
  ],
})}
${pager(PATH, filters, page, pageSize, total)}`,
      };
    });

    router.page(`${PATH}/persons/:id`, async ({ services, params, query, pageSize }) => {
      const person = await services.store.mdocRecords.person(params.id!);
      if (!person) throw contentError('CONSOLE_NOT_FOUND', 'No person has this id.', { status: 404 });
      const page = pageNumber(query.page);
      const { items, total } = await services.store.mdocRecords.documents({
        personId: person.id,
        limit: pageSize,
        offset: (page - 1) * pageSize,
      });
      return {
        title: person.name,
        body: html`${tabs('')}
${details([
  ['Name', person.name],
  ['Id', html`<code>${person.id}</code>`],
  ['Added', time(person.createdAt)],
])}
${table({
  caption: `Documents, newest first (${total})`,
  rows: items,
  empty: 'This person has no document.',
  columns: [
    { label: 'DocType', cell: (row) => html`<a href="${PATH}/documents/${row.id}">${row.docType}</a>` },
    { label: 'Status', cell: documentStatus },
    { label: 'Data as of', cell: (row) => time(row.dataTimestamp) },
    { label: 'Added', cell: (row) => time(row.createdAt) },
  ],
})}
${pager(`${PATH}/persons/${person.id}`, {}, page, pageSize, total)}`,
      };
    });

    router.page(`${PATH}/documents/:id`, async (context) => {
      const { services, params, query, csrf, can, pageSize, signedIn } = context;
      const document = await services.store.mdocRecords.document(params.id!);
      if (!document) throw contentError('CONSOLE_NOT_FOUND', 'No document has this id.', { status: 404 });
      const person = await services.store.mdocRecords.person(document.personId);
      const page = pageNumber(query.page);
      const codes = await services.store.mdocRecords.codes({
        documentId: document.id,
        limit: pageSize,
        offset: (page - 1) * pageSize,
      });
      const credentials = await credentialRows(
        services,
        await services.store.mdocRecords.configuredForDocument(document.id),
      );
      // Element values are personal data: only administrators see them; others see which elements there are.
      const admin = signedIn.account.role === 'admin';
      const data = decodeDocumentData(document.docType, document.data);
      const elements = admin
        ? json(documentDataToJson(document.docType, document.data).nameSpaces)
        : html`<dl class="details">${[...data.nameSpaces].map(
            ([namespace, entries]) =>
              html`<dt><code>${namespace}</code></dt><dd>${entries.map((entry) => entry.name).join(', ')}</dd>`,
          )}</dl>`;
      return {
        title: `${document.docType} of ${person?.name ?? 'an unknown person'}`,
        body: html`${tabs('')}${doneNotice(DONE, query.done)}
${details([
  ['Document id', html`<code>${document.id}</code>`],
  [
    'Person',
    person ? html`<a href="${PATH}/persons/${person.id}">${person.name}</a>` : html`<code>${document.personId}</code>`,
  ],
  ['DocType', document.docType],
  ['Status', documentStatus(document)],
  ['Data as of', time(document.dataTimestamp)],
  ['Added', time(document.createdAt)],
  ['Changed', time(document.updatedAt)],
])}
<h2>Data elements</h2>
${admin ? '' : html`<p>Element names only: their values are personal data, shown to administrators.</p>`}${elements}
<h2>Provisioning codes</h2>
${
  can('operator') && document.status === 'active'
    ? postForm({
        action: `${PATH}/documents/${document.id}/codes`,
        csrf,
        label: 'Issue a provisioning code',
        button: 'Issue a code',
        fields: html`<p>Valid for ${Math.round(services.config.provisioning.codeTtlSeconds / 3600)} h (provisioning.codeTtlSeconds).</p>`,
      })
    : ''
}
${codeTable(codes.items, context, false)}
${pager(`${PATH}/documents/${document.id}`, {}, page, pageSize, codes.total)}
<h2>Issued credentials</h2>
${credentialTable(credentials, new Map([[document.id, document]]), false)}
<p><a href="${link('/console/events', { capability: 'provisioning' })}">Provisioning decisions</a></p>`,
      };
    });

    router.action(`${PATH}/documents/:id/codes`, 'operator', async ({ services, params, audit }) => {
      const code = await services.provisioning!.records.issueCode(params.id!);
      // The code itself stays off the trail (viewers of the audit page could use it); its last digits identify it.
      await audit('mdoc.code.issue', code.documentId, { codeEnding: code.code.slice(-4), expiresAt: code.expiresAt });
      return `${PATH}/documents/${code.documentId}?done=code-issued`;
    });

    router.action(`${PATH}/documents/:id/codes/revoke`, 'operator', async ({ services, params, form, audit }) => {
      const given = (form.code ?? '').trim();
      if (!/^\d{1,64}$/.test(given))
        throw contentError('CONSOLE_FORM_INVALID', 'A provisioning code is decimal digits.');
      const { code: record } = await services.store.mdocRecords.codeState(given, services.clock.now());
      // Revoking through a document's page only reaches that document's codes.
      if (!record || record.documentId !== params.id)
        throw contentError('CONSOLE_NOT_FOUND', 'This document has no such provisioning code.', { status: 404 });
      const revoked = await services.provisioning!.records.revokeCode(record.code);
      await audit('mdoc.code.revoke', revoked.documentId, { codeEnding: revoked.code.slice(-4) });
      return `${PATH}/documents/${revoked.documentId}?done=code-revoked`;
    });

    router.page(`${PATH}/codes`, async (context) => {
      const { services, query, pageSize } = context;
      const page = pageNumber(query.page);
      const { items, total } = await services.store.mdocRecords.codes({
        limit: pageSize,
        offset: (page - 1) * pageSize,
      });
      return {
        title: 'Provisioning codes',
        body: html`${tabs('codes')}
<p>${total} codes in all.</p>
${codeTable(items, context, true)}
${pager(`${PATH}/codes`, {}, page, pageSize, total)}`,
      };
    });

    router.page(`${PATH}/credentials`, async ({ services, query, pageSize }) => {
      const page = pageNumber(query.page);
      const documentId = query.document?.trim().slice(0, 64) || undefined;
      const { items, total } = await services.store.mdocRecords.configuredDocuments({
        limit: pageSize,
        offset: (page - 1) * pageSize,
        ...(documentId ? { documentId } : {}),
      });
      const documents = await services.store.mdocRecords.documentsById([
        ...new Set(items.map((item) => item.documentId)),
      ]);
      const filters = { document: query.document };
      return {
        title: 'Issued credentials',
        body: html`${tabs('credentials')}
${filterForm(`${PATH}/credentials`, [{ name: 'document', label: 'Document id', placeholder: 'UUID' }], filters)}
<p>${total} matching.</p>
${credentialTable(await credentialRows(services, items), documents, true)}
${pager(`${PATH}/credentials`, filters, page, pageSize, total)}`,
      };
    });
  },
};
