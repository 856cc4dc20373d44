import { type Html, html } from './html.js';

type Cell = Parameters<typeof html>[1];

export interface Column<Row> {
  label: string;
  cell: (row: Row) => Cell;
  /** Right-aligned numbers. */
  numeric?: boolean;
}

/** A data table with a caption (read by screen readers) and column headers. */
export function table<Row>(options: { caption: string; columns: Column<Row>[]; rows: readonly Row[]; empty?: string }) {
  const { caption, columns, rows } = options;
  if (rows.length === 0) return html`<p class="empty">${options.empty ?? 'Nothing to show.'}</p>`;
  return html`<div class="table-wrap"><table>
<caption>${caption}</caption>
<thead><tr>${columns.map((column) => html`<th scope="col"${column.numeric ? html` class="num"` : ''}>${column.label}</th>`)}</tr></thead>
<tbody>${rows.map((row) => html`<tr>${columns.map((column) => html`<td${column.numeric ? html` class="num"` : ''}>${column.cell(row)}</td>`)}</tr>`)}</tbody>
</table></div>`;
}

export interface FilterField {
  name: string;
  label: string;
  type?: 'text' | 'search' | 'datetime-local';
  /** A select instead of an input: [value, label] pairs; '' is "any". */
  options?: readonly (readonly [string, string])[];
  placeholder?: string;
}

/** A GET form of labelled filters; submitting starts at the first page. */
export function filterForm(action: string, fields: FilterField[], values: Record<string, string | undefined>): Html {
  return html`<form class="filters" method="get" action="${action}" role="search" aria-label="Filter">
${fields.map((field) => {
  const id = `filter-${field.name}`;
  const value = values[field.name] ?? '';
  const control = field.options
    ? html`<select id="${id}" name="${field.name}"><option value="">Any</option>${field.options.map(
        ([optionValue, label]) =>
          html`<option value="${optionValue}"${optionValue === value ? html` selected` : ''}>${label}</option>`,
      )}</select>`
    : html`<input id="${id}" name="${field.name}" type="${field.type ?? 'search'}" value="${value}"${field.placeholder ? html` placeholder="${field.placeholder}"` : ''}>`;
  return html`<div class="field"><label for="${id}">${field.label}</label>${control}</div>`;
})}
<div class="field actions"><button type="submit">Apply</button> <a href="${action}">Clear</a></div>
</form>`;
}

/** `base` with the query parameters that have a value. */
export function link(base: string, query: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `${base}?${text}` : base;
}

/** Page N of an offset listing with a known total. */
export function pager(
  base: string,
  query: Record<string, string | undefined>,
  page: number,
  pageSize: number,
  total: number,
): Html {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return html`<nav class="pager" aria-label="Pages"><span>${first}–${last} of ${total}</span>
${page > 1 ? html`<a rel="prev" href="${link(base, { ...query, page: page - 1 })}">Previous</a>` : ''}
${page < pages ? html`<a rel="next" href="${link(base, { ...query, page: page + 1 })}">Next</a>` : ''}</nav>`;
}

/** Keyset paging, newest first: "Newer" goes back to the start, "Older" continues below the last id shown. */
export function keysetPager(
  base: string,
  query: Record<string, string | undefined>,
  lastId: number | undefined,
  hasMore: boolean,
): Html {
  const { before, ...rest } = query;
  return html`<nav class="pager" aria-label="Pages">
${before ? html`<a href="${link(base, rest)}">Newest</a>` : ''}
${hasMore && lastId !== undefined ? html`<a rel="next" href="${link(base, { ...rest, before: lastId })}">Older</a>` : ''}</nav>`;
}

/** A definition list of facts. */
export const details = (rows: readonly (readonly [string, Cell])[]) =>
  html`<dl class="details">${rows.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;

const pad = (value: number) => String(value).padStart(2, '0');

/** A UTC time, readable and machine-readable. */
export function time(epochMs: number | undefined): Html | string {
  if (epochMs === undefined) return '—';
  const date = new Date(epochMs);
  const text = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return html`<time datetime="${date.toISOString()}">${text} UTC</time>`;
}

export const json = (value: unknown) => html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;

export const badge = (text: string, kind: 'ok' | 'bad' | 'warn' | 'neutral' = 'neutral') =>
  html`<span class="badge badge-${kind}">${text}</span>`;

export const truncate = (text: string, length = 24) => (text.length > length ? `${text.slice(0, length)}…` : text);

/** A state-changing form: POST with the session's CSRF token. */
export function postForm(options: {
  action: string;
  csrf: string;
  button: string;
  danger?: boolean;
  fields?: Html;
  label?: string;
}): Html {
  return html`<form class="action" method="post" action="${options.action}"${options.label ? html` aria-label="${options.label}"` : ''}>
<input type="hidden" name="_csrf" value="${options.csrf}">${options.fields ?? ''}
<button type="submit"${options.danger ? html` class="danger"` : ''}>${options.button}</button></form>`;
}

/** A labelled text input for a post form; `id` must be unique on the page (default field-<name>). */
export function input(
  name: string,
  label: string,
  options: {
    required?: boolean;
    value?: string;
    type?: string;
    placeholder?: string;
    maxLength?: number;
    id?: string;
  } = {},
): Html {
  const id = options.id ?? `field-${name}`;
  return html`<div class="field"><label for="${id}">${label}</label><input id="${id}" name="${name}" type="${options.type ?? 'text'}"${options.value ? html` value="${options.value}"` : ''}${options.placeholder ? html` placeholder="${options.placeholder}"` : ''}${options.maxLength ? html` maxlength="${options.maxLength}"` : ''}${options.required ? html` required` : ''}></div>`;
}

/** A labelled select for a post form; `id` must be unique on the page (default field-<name>). */
export function select(
  name: string,
  label: string,
  choices: readonly string[],
  options: { selected?: string; id?: string } = {},
): Html {
  const { selected } = options;
  const id = options.id ?? `field-${name}`;
  return html`<div class="field"><label for="${id}">${label}</label><select id="${id}" name="${name}">${choices.map(
    (choice) => html`<option${choice === selected ? html` selected` : ''}>${choice}</option>`,
  )}</select></div>`;
}

/** A page's position from ?page=, 1-based and bounded. */
export function pageNumber(value: string | undefined): number {
  const page = Number(value);
  return Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1;
}

/** Links between a page's sections, the current one marked for assistive technology. */
export function sectionTabs(
  label: string,
  current: string,
  sections: readonly (readonly [name: string, href: string, text: string])[],
): Html {
  return html`<nav class="pager" aria-label="${label}">${sections.map(
    ([name, href, text]) => html`<a href="${href}"${name === current ? html` aria-current="page"` : ''}>${text}</a>`,
  )}</nav>`;
}

/** The success notice a redirect asked for with ?done=<key>: only the page's own texts are shown (the query is untrusted). */
export function doneNotice(
  messages: Readonly<Record<string, string>>,
  done: string | undefined,
  extra = '',
): Html | '' {
  return done && Object.hasOwn(messages, done)
    ? html`<div class="notice notice-ok" role="status">${messages[done]}${extra}</div>`
    : '';
}
