import { OPERATOR_ROLES } from '../../../store/console-store.js';
import { doneNotice, input, postForm, select, table, time } from '../components.js';
import { html } from '../html.js';
import type { ConsolePage } from '../page.js';

const PATH = '/console/operators';

const DONE: Record<string, string> = {
  added: 'The operator is added.',
  role: 'The role is changed; their sessions ended.',
  password: 'The password is changed; their sessions ended.',
  removed: 'The operator is removed; their sessions ended.',
};

/** Operator accounts (admins): add, change role, set password, remove. Every change is audited. */
export const operatorsPage: ConsolePage = {
  nav: 'Operators',
  path: PATH,
  role: 'admin',
  enabled: () => true,
  routes(router) {
    router.page(PATH, async ({ operators, query, csrf, signedIn }) => {
      const accounts = await operators.list();
      return {
        title: 'Operators',
        body: html`${doneNotice(DONE, query.done)}
${table({
  caption: 'Operator accounts',
  rows: accounts,
  columns: [
    {
      label: 'Name',
      cell: (row) =>
        html`${row.name}${row.name === signedIn.account.name ? html` <span class="muted">(you)</span>` : ''}`,
    },
    { label: 'Role', cell: (row) => row.role },
    { label: 'Added', cell: (row) => time(row.createdAt) },
    { label: 'Changed', cell: (row) => time(row.updatedAt) },
    {
      label: 'Change role',
      cell: (row) =>
        postForm({
          action: `${PATH}/${encodeURIComponent(row.name)}/role`,
          csrf,
          label: `Change the role of ${row.name}`,
          button: 'Set role',
          fields: select('role', `Role of ${row.name}`, OPERATOR_ROLES, { selected: row.role, id: `role-${row.name}` }),
        }),
    },
    {
      label: 'Remove',
      cell: (row) =>
        postForm({
          action: `${PATH}/${encodeURIComponent(row.name)}/remove`,
          csrf,
          label: `Remove ${row.name}`,
          button: 'Remove',
          danger: true,
        }),
    },
  ],
})}
<h2>Add an operator</h2>
${postForm({
  action: PATH,
  csrf,
  label: 'Add an operator',
  button: 'Add operator',
  fields: html`${input('name', 'Name', { required: true, maxLength: 64, id: 'add-name' })}${select('role', 'Role', OPERATOR_ROLES, { selected: 'viewer', id: 'add-role' })}${input('password', 'Initial password (12 characters at least)', { type: 'password', required: true, maxLength: 1024, id: 'add-password' })}`,
})}
<h2>Set a password</h2>
${postForm({
  action: `${PATH}/password`,
  csrf,
  label: 'Set a password',
  button: 'Set password',
  fields: html`${select(
    'name',
    'Operator',
    accounts.map((account) => account.name),
    { id: 'password-name' },
  )}${input('password', 'New password (12 characters at least)', { type: 'password', required: true, maxLength: 1024, id: 'password-new' })}`,
})}`,
      };
    });

    router.action(PATH, 'admin', async ({ operators, form, actor }) => {
      await operators.add(form.name ?? '', (form.role ?? '') as never, form.password ?? '', actor);
      return `${PATH}?done=added`;
    });
    router.action(`${PATH}/password`, 'admin', async ({ operators, form, actor }) => {
      await operators.setPassword(form.name ?? '', form.password ?? '', actor);
      return `${PATH}?done=password`;
    });
    router.action(`${PATH}/:name/role`, 'admin', async ({ operators, params, form, actor }) => {
      await operators.setRole(params.name!, (form.role ?? '') as never, actor);
      return `${PATH}?done=role`;
    });
    router.action(`${PATH}/:name/remove`, 'admin', async ({ operators, params, actor }) => {
      await operators.remove(params.name!, actor);
      return `${PATH}?done=removed`;
    });
  },
};
