/** `value` when it is one of `choices`, else undefined (query and form values are untrusted). */
export function oneOf<T extends string>(value: string | undefined, choices: readonly T[]): T | undefined {
  return choices.includes(value as T) ? (value as T) : undefined;
}

/** A datetime-local value (UTC) as epoch ms, or undefined. */
export function parseTime(value: string | undefined): number | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return undefined;
  const ms = Date.parse(`${value}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A trimmed, bounded text filter; undefined when empty. */
export const text = (value: string | undefined, max = 128) => value?.trim().slice(0, max) || undefined;

/** A log row's id from the URL (a detail view, or `before` for keyset paging): a positive integer, else undefined. */
export function rowId(value: string | undefined): number | undefined {
  const id = Number(value);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}
