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
