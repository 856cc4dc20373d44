import { getEncoded, Tag } from 'cbor2';
import { contentError, type ErrorCode } from '../../errors.js';
import { decodeStrictCbor } from '../../crypto/cose/cbor.js';

/**
 * Small readers for the decoded CBOR of ISO 18013-5 structures: typed member access that fails
 * with a stable code, tag-24 embedded CBOR with its exact received bytes, and tdate.
 */

/** CBOR tag 24: embedded CBOR data item (bstr .cbor). */
export const TAG_EMBEDDED_CBOR = 24;
/** CBOR tag 0: RFC 3339 date-time text. */
export const TAG_DATE_TIME = 0;

export type Fail = (detail: string) => Error;

export const failWith =
  (code: ErrorCode, message: string): Fail =>
  (detail) =>
    contentError(code, message, { detail });

export function asMap(value: unknown, what: string, fail: Fail): Map<unknown, unknown> {
  if (!(value instanceof Map)) throw fail(`${what} is not a map`);
  return value;
}

export function asArray(value: unknown, what: string, fail: Fail): unknown[] {
  if (!Array.isArray(value)) throw fail(`${what} is not an array`);
  return value;
}

export function asText(value: unknown, what: string, fail: Fail): string {
  if (typeof value !== 'string') throw fail(`${what} is not a text string`);
  return value;
}

export function asBytes(value: unknown, what: string, fail: Fail): Uint8Array {
  if (!(value instanceof Uint8Array)) throw fail(`${what} is not a byte string`);
  return value;
}

export function asUint(value: unknown, what: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw fail(`${what} is not an unsigned integer`);
  return value;
}

/** Map members with text keys only; `allowed`, when given, lists every key the map may hold. */
export function textKeyed(map: Map<unknown, unknown>, what: string, fail: Fail, allowed?: readonly string[]): void {
  for (const key of map.keys()) {
    if (typeof key !== 'string') throw fail(`${what} has a non-text key`);
    if (allowed && !allowed.includes(key)) throw fail(`${what} has an unknown member ${key}`);
  }
}

export interface Embedded {
  /** The exact bytes received for the whole tag-24 item (D8 18, bstr head, content). */
  taggedBytes: Uint8Array;
  /** The embedded item's bytes (the bstr content). */
  contentBytes: Uint8Array;
  /** The embedded item, decoded (strict, bounded). */
  value: unknown;
}

/**
 * A tag-24 item (#6.24(bstr .cbor T)) from a structure decoded with saveOriginal: its exact
 * received bytes, and its content decoded on its own.
 */
export function embedded(value: unknown, what: string, fail: Fail, code: ErrorCode, maxDepth: number): Embedded {
  if (!(value instanceof Tag) || Number(value.tag) !== TAG_EMBEDDED_CBOR) throw fail(`${what} is not tag 24`);
  const contentBytes = asBytes(value.contents, `${what} content`, fail);
  const taggedBytes = getEncoded(value);
  if (!taggedBytes) throw new TypeError('tag-24 item decoded without saveOriginal');
  const decoded = decodeStrictCbor(contentBytes, code, what, { maxDepth, saveOriginal: true });
  return { taggedBytes, contentBytes, value: decoded };
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/**
 * A tdate (#6.0(tstr)) as epoch ms. ISO 18013-5 §9.1.2.4 wants UTC ("Z") without fractions;
 * fractions are tolerated, offsets and impossible dates are not.
 */
export function tdate(value: unknown, what: string, fail: Fail): number {
  if (!(value instanceof Tag) || Number(value.tag) !== TAG_DATE_TIME || typeof value.contents !== 'string') {
    throw fail(`${what} is not a tag-0 date-time`);
  }
  const match = DATE_TIME.exec(value.contents);
  const time = match ? Date.parse(value.contents) : Number.NaN;
  if (!match || Number.isNaN(time)) throw fail(`${what} "${value.contents}" is not an RFC 3339 UTC date-time`);
  // Date.parse rolls 2021-02-30 over to March: compare the fields back.
  const check = new Date(time);
  if (check.getUTCDate() !== Number(match[3]) || check.getUTCHours() !== Number(match[4])) {
    throw fail(`${what} "${value.contents}" is not a calendar date-time`);
  }
  return time;
}
