import { Value } from '@sinclair/typebox/value';
import { contentError } from '../../../errors.js';
import { NewVulnerableClassSchema } from '../../mdvm/schemas.js';
import type { MdvmAccount } from '../../../store/mdvm-store.js';
import {
  badge,
  details,
  doneNotice,
  filterForm,
  input,
  json,
  pageNumber,
  pager,
  postForm,
  sectionTabs,
  select,
  table,
  time,
  truncate,
} from '../components.js';
import { html } from '../html.js';
import type { ConsolePage } from '../page.js';
import { oneOf } from './form-values.js';

const PATH = '/console/wallets';

const tabs = (current: 'accounts' | 'classes' | 'keys') =>
  sectionTabs('Wallet sections', current, [
    ['accounts', PATH, 'Accounts'],
    ['classes', `${PATH}/classes`, 'Vulnerable device classes'],
    ['keys', `${PATH}/leaked-keys`, 'Leaked keys'],
  ]);

const accountState = (account: MdvmAccount) =>
  account.revokedAt === undefined ? badge('active', 'ok') : badge(`revoked: ${account.revocationReason ?? ''}`, 'bad');

/** Comma- or newline-separated names, trimmed, empties dropped. */
const names = (value: string | undefined) =>
  (value ?? '')
    .split(/[,\n]/)
    .map((name) => name.trim())
    .filter(Boolean);

const DONE: Record<string, string> = {
  revoked: 'The account is revoked: it is on the revocation list and its renewals are refused.',
  deleted: 'The account is deleted; a revoked tombstone stays on the revocation list.',
  'class-added': 'The class is listed: matching devices are refused from now on.',
  'class-removed': 'The class is removed (accounts it revoked stay revoked).',
  'key-added': 'The key is listed: chains through it are refused.',
  'key-removed': 'The key is unlisted.',
};

/** The count a redirect carried, shown only when it is a number (the query is untrusted). */
const revokedCount = (value: string | undefined) =>
  value && /^\d{1,9}$/.test(value) ? ` ${value} account(s) revoked.` : '';

/** MDVM wallet instances: accounts (inspect, revoke, delete), vulnerable device classes and leaked keys (add, remove). */
export const walletsPage: ConsolePage = {
  nav: 'Wallets',
  path: PATH,
  role: 'viewer',
  enabled: (services) => services.mdvm !== undefined,
  routes(router) {
    router.page(PATH, async ({ services, query, pageSize }) => {
      const page = pageNumber(query.page);
      const platform = oneOf(query.platform, ['android', 'ios'] as const);
      const revoked = query.state === 'revoked' ? true : query.state === 'active' ? false : undefined;
      const search = query.q?.trim().toLowerCase().slice(0, 64) || undefined;
      const { items, total } = await services.store.mdvmAccounts.page({
        limit: pageSize,
        offset: (page - 1) * pageSize,
        ...(search ? { search } : {}),
        ...(platform ? { platform } : {}),
        ...(revoked === undefined ? {} : { revoked }),
      });
      const filters = { q: query.q, platform: query.platform, state: query.state };
      return {
        title: 'Wallets',
        body: html`${tabs('accounts')}
${filterForm(
  PATH,
  [
    { name: 'q', label: 'Account id', placeholder: 'mdvm_wi_id prefix' },
    {
      name: 'platform',
      label: 'Platform',
      options: [
        ['android', 'Android'],
        ['ios', 'iOS'],
      ],
    },
    {
      name: 'state',
      label: 'State',
      options: [
        ['active', 'Active'],
        ['revoked', 'Revoked'],
      ],
    },
  ],
  filters,
)}
${table({
  caption: `Wallet-instance accounts, newest first (${total} matching)`,
  rows: items,
  empty: 'No account matches.',
  columns: [
    {
      label: 'Account (mdvm_wi_id)',
      cell: (row) => html`<a href="${PATH}/accounts/${row.id}"><code>${row.id}</code></a>`,
    },
    { label: 'Platform', cell: (row) => row.platform },
    { label: 'Device', cell: (row) => Object.values(row.deviceClass).slice(0, 3).join(' · ') },
    { label: 'Registered', cell: (row) => time(row.createdAt) },
    { label: 'Last renewal', cell: (row) => time(row.updatedAt) },
    { label: 'State', cell: accountState },
  ],
})}
${pager(PATH, filters, page, pageSize, total)}`,
      };
    });

    router.page(`${PATH}/accounts/:id`, async ({ services, params, query, csrf, can }) => {
      const account = await services.store.mdvmAccounts.find(params.id!);
      if (!account) throw contentError('CONSOLE_NOT_FOUND', 'No wallet-instance account has this id.', { status: 404 });
      const operator = can('operator') && account.revokedAt === undefined;
      return {
        title: `Wallet ${truncate(account.id, 13)}`,
        body: html`${doneNotice(DONE, query.done)}
${details([
  ['Account (mdvm_wi_id)', html`<code>${account.id}</code>`],
  ['State', accountState(account)],
  ['Platform', account.platform],
  ['Auth key thumbprint', html`<code>${account.authKeyThumbprint}</code>`],
  ...(account.appAttestKeyId ? ([['App Attest key id', html`<code>${account.appAttestKeyId}</code>`]] as const) : []),
  ['Counter', String(account.counter)],
  ['Registered', time(account.createdAt)],
  ['Last renewal', time(account.updatedAt)],
  ...(account.revokedAt !== undefined ? ([['Revoked', time(account.revokedAt)]] as const) : []),
  ['Device class', json(account.deviceClass)],
  ['Attested facts', json(account.attested)],
])}
<p><a href="/console/events?subject=${account.id}">Decisions about this wallet</a> · <a href="${PATH}">All wallets</a></p>
${operator ? postForm({ action: `${PATH}/accounts/${account.id}/revoke`, csrf, label: 'Revoke this account', button: 'Revoke', danger: true, fields: input('reason', 'Reason', { value: 'operator', maxLength: 64, required: true }) }) : ''}
${can('operator') && account.revocationReason !== 'deleted' ? postForm({ action: `${PATH}/accounts/${account.id}/delete`, csrf, label: 'Delete this account', button: 'Delete', danger: true }) : ''}`,
      };
    });

    router.action(`${PATH}/accounts/:id/revoke`, 'operator', async ({ services, params, form, audit }) => {
      const reason = (form.reason ?? '').trim();
      if (!reason || reason.length > 64)
        throw contentError('CONSOLE_FORM_INVALID', 'Give a reason of 1 to 64 characters.');
      const account = await services.mdvm!.operations.revokeAccount(params.id!, reason);
      await audit('mdvm.account.revoke', account.id, { reason });
      return `${PATH}/accounts/${account.id}?done=revoked`;
    });

    router.action(`${PATH}/accounts/:id/delete`, 'operator', async ({ services, params, audit }) => {
      await services.mdvm!.operations.deleteAccount(params.id!);
      await audit('mdvm.account.delete', params.id);
      return `${PATH}/accounts/${params.id}?done=deleted`;
    });

    router.page(`${PATH}/classes`, async ({ services, query, csrf, can }) => {
      const classes = await services.mdvm!.operations.listVulnerableClasses();
      return {
        title: 'Vulnerable device classes',
        body: html`${tabs('classes')}${doneNotice(DONE, query.done, revokedCount(query.revoked))}
${table({
  caption: 'Device classes whose wallets are refused',
  rows: classes,
  empty: 'No vulnerable device class is listed.',
  columns: [
    { label: 'Id', cell: (row) => row.id },
    { label: 'Platform', cell: (row) => row.platform },
    {
      label: 'Classification',
      cell: (row) => badge(row.classification, row.classification === 'unfixable' ? 'bad' : 'warn'),
    },
    { label: 'Match', cell: (row) => html`<code>${JSON.stringify(row.match)}</code>` },
    { label: 'Description', cell: (row) => row.description },
    { label: 'Added', cell: (row) => time(row.createdAt) },
    ...(can('operator')
      ? [
          {
            label: 'Action',
            cell: (row: (typeof classes)[number]) =>
              postForm({
                action: `${PATH}/classes/${encodeURIComponent(row.id)}/remove`,
                csrf,
                button: 'Remove',
                label: `Remove ${row.id}`,
              }),
          },
        ]
      : []),
  ],
})}
${
  can('operator')
    ? html`<h2>Add a class</h2>${postForm({
        action: `${PATH}/classes`,
        csrf,
        label: 'Add a vulnerable device class',
        button: 'Add class',
        fields: html`${input('id', 'Id', { required: true, placeholder: 'DCVDB-2026-015', maxLength: 128 })}
${select('platform', 'Platform', ['android', 'ios'])}
${select('classification', 'Classification', ['fixable', 'unfixable'])}
${input('models', 'Models (comma-separated)')}
${input('products', 'Products (comma-separated, Android)')}
${input('patchLevelFrom', 'Patch level from (YYYY-MM, Android)')}
${input('patchLevelTo', 'Patch level to (YYYY-MM, Android)')}
${input('versionFrom', 'Version from (iOS)')}
${input('versionTo', 'Version to (iOS)')}
${input('description', 'Description', { maxLength: 1024 })}
${select('revokeAccounts', 'Revoke accounts already on matching devices', ['default (unfixable only)', 'yes', 'no'])}`,
      })}`
    : ''
}`,
      };
    });

    router.action(`${PATH}/classes`, 'operator', async ({ services, form, audit }) => {
      const match: Record<string, unknown> = {};
      for (const key of ['models', 'products'] as const) if (names(form[key]).length) match[key] = names(form[key]);
      for (const key of ['patchLevelFrom', 'patchLevelTo', 'versionFrom', 'versionTo'] as const)
        if (form[key]?.trim()) match[key] = form[key]!.trim();
      const candidate = {
        id: (form.id ?? '').trim(),
        platform: form.platform,
        classification: form.classification,
        match,
        ...(form.description?.trim() ? { description: form.description.trim() } : {}),
        ...(form.revokeAccounts === 'yes'
          ? { revokeAccounts: true }
          : form.revokeAccounts === 'no'
            ? { revokeAccounts: false }
            : {}),
      };
      if (!Value.Check(NewVulnerableClassSchema, candidate)) {
        const first = [...Value.Errors(NewVulnerableClassSchema, candidate)][0];
        throw contentError(
          'CONSOLE_FORM_INVALID',
          `The class is not valid: ${first ? `${first.path || '/'} ${first.message}` : 'check the fields'}.`,
        );
      }
      const outcome = await services.mdvm!.operations.addVulnerableClass(candidate);
      await audit('mdvm.class.add', candidate.id, {
        platform: candidate.platform,
        classification: candidate.classification,
        match,
        revokedAccounts: outcome.revokedAccounts,
      });
      return `${PATH}/classes?done=class-added&revoked=${outcome.revokedAccounts}`;
    });

    router.action(`${PATH}/classes/:id/remove`, 'operator', async ({ services, params, audit }) => {
      await services.mdvm!.operations.removeVulnerableClass(params.id!);
      await audit('mdvm.class.remove', params.id);
      return `${PATH}/classes?done=class-removed`;
    });

    router.page(`${PATH}/leaked-keys`, async ({ services, query, csrf, can }) => {
      const keys = await services.mdvm!.operations.listLeakedKeys();
      return {
        title: 'Leaked attestation keys',
        body: html`${tabs('keys')}${doneNotice(DONE, query.done, revokedCount(query.revoked))}
${table({
  caption: 'Attestation keys whose chains are refused',
  rows: keys,
  empty: 'No leaked key is listed.',
  columns: [
    { label: 'Thumbprint (SHA-256 of SPKI)', cell: (row) => html`<code>${row.thumbprint}</code>` },
    { label: 'Description', cell: (row) => row.description },
    { label: 'Added', cell: (row) => time(row.createdAt) },
    ...(can('operator')
      ? [
          {
            label: 'Action',
            cell: (row: (typeof keys)[number]) =>
              postForm({
                action: `${PATH}/leaked-keys/${row.thumbprint}/remove`,
                csrf,
                button: 'Remove',
                label: `Remove key ${truncate(row.thumbprint, 12)}`,
              }),
          },
        ]
      : []),
  ],
})}
${
  can('operator')
    ? html`<h2>List a key</h2>${postForm({
        action: `${PATH}/leaked-keys`,
        csrf,
        label: 'List a leaked key',
        button: 'Add key',
        fields: html`${input('thumbprint', 'Thumbprint (SHA-256 of SPKI, hex)', { required: true, maxLength: 64 })}${input('description', 'Description', { maxLength: 1024 })}`,
      })}`
    : ''
}`,
      };
    });

    router.action(`${PATH}/leaked-keys`, 'operator', async ({ services, form, audit }) => {
      const thumbprint = (form.thumbprint ?? '').trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(thumbprint))
        throw contentError(
          'CONSOLE_FORM_INVALID',
          'The thumbprint is 64 hexadecimal characters (SHA-256 of the SubjectPublicKeyInfo).',
        );
      const description = (form.description ?? '').trim().slice(0, 1024);
      const outcome = await services.mdvm!.operations.addLeakedKey(thumbprint, description);
      await audit('mdvm.leaked-key.add', thumbprint, { description, revokedAccounts: outcome.revokedAccounts });
      return `${PATH}/leaked-keys?done=key-added&revoked=${outcome.revokedAccounts}`;
    });

    router.action(`${PATH}/leaked-keys/:thumbprint/remove`, 'operator', async ({ services, params, audit }) => {
      await services.mdvm!.operations.removeLeakedKey(params.thumbprint!);
      await audit('mdvm.leaked-key.remove', params.thumbprint);
      return `${PATH}/leaked-keys?done=key-removed`;
    });
  },
};
