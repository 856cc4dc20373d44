import { Tag } from 'cbor2';

/**
 * The values a data element may hold (ISO 18013-5 §7.2 and the AAMVA namespace): text, byte
 * strings, integers, booleans, null, full-date (tag 1004), tdate (tag 0), and arrays and maps of
 * them (driving_privileges). Floats are allowed; JavaScript Dates are not, because a date is
 * either a full-date or a tdate and the caller must say which (`fullDate`, `dateTime`).
 */
export type ElementValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | Tag
  | readonly ElementValue[]
  | ReadonlyMap<string | number, ElementValue>
  | { readonly [key: string]: ElementValue };

export const TDATE_TAG = 0;
export const FULL_DATE_TAG = 1004;

/** full-date (RFC 8943, tag 1004): "YYYY-MM-DD", e.g. birth_date. */
export function fullDate(date: string): Tag {
  // Date.parse rolls 1964-02-30 over into March: the date must read back as itself.
  const time = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== date)
    throw new TypeError(`full-date "${date}" is not a calendar date YYYY-MM-DD`);
  return new Tag(FULL_DATE_TAG, date);
}

/** tdate (tag 0) as ISO 18013-5 wants it: UTC with "Z", no fractional seconds (they are cut off). */
export function dateTime(at: Date | number | string): Tag {
  return new Tag(TDATE_TAG, tdateText(at));
}

/** The text of a tdate: "YYYY-MM-DDTHH:MM:SSZ". */
export function tdateText(at: Date | number | string): string {
  const time = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(time)) throw new TypeError(`date-time ${String(at)} is not a valid time`);
  return new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * `value` as cbor2 should encode it: plain objects become Maps, Buffers become plain Uint8Arrays
 * (cbor2 writes a Buffer as a JSON-like map), everything checked. TypeError, naming `path`, for
 * anything outside ElementValue.
 */
export function normalizeElementValue(value: unknown, path: string): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be encoded`);
      return value;
    case 'object': {
      if (value === null) return null;
      if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
      if (value instanceof Tag) return normalizeTag(value, path);
      if (Array.isArray(value)) return value.map((item, index) => normalizeElementValue(item, `${path}[${index}]`));
      if (value instanceof Map) {
        const map = new Map<string | number, unknown>();
        for (const [key, item] of value) {
          if (typeof key !== 'string' && !Number.isSafeInteger(key))
            throw new TypeError(`${path}: map key ${String(key)} is neither text nor an integer`);
          map.set(key, normalizeElementValue(item, `${path}.${String(key)}`));
        }
        return map;
      }
      if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
        return new Map(
          Object.entries(value).map(([key, item]) => [key, normalizeElementValue(item, `${path}.${key}`)]),
        );
      throw new TypeError(
        `${path}: ${value.constructor?.name ?? 'object'} is not an element value${value instanceof Date ? ' (use fullDate or dateTime)' : ''}`,
      );
    }
    default:
      throw new TypeError(`${path}: ${typeof value} is not an element value`);
  }
}

function normalizeTag(tag: Tag, path: string): Tag {
  const number = Number(tag.tag);
  if (number === FULL_DATE_TAG && typeof tag.contents === 'string') return fullDate(tag.contents);
  if (number === TDATE_TAG && typeof tag.contents === 'string') {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(tag.contents))
      throw new TypeError(`${path}: tdate "${tag.contents}" is not YYYY-MM-DDTHH:MM:SSZ`);
    return new Tag(TDATE_TAG, tag.contents);
  }
  throw new TypeError(`${path}: tag ${String(tag.tag)} is not an element value (only full-date 1004 and tdate 0)`);
}
