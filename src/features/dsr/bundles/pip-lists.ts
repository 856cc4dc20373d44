import { isIP } from 'node:net';
import { parseStrictJson } from '../../../crypto/strict-json.js';
import { contentError } from '../../../errors.js';
import type { PdpData } from '../pdp/context.js';

/**
 * PIP lists: the policy information a bundle's security_data carries that changes faster than
 * policies — blocked client IPs and CIDR ranges, blocked users, allowed countries, Tor exit
 * nodes. Each list comes as a JSON array of strings or as text with one entry a line (blank
 * lines and `#` comments skipped: the form of Tor's bulk exit list), is validated entry by
 * entry, and is merged into a bundle's data, so that a later feature can refresh the lists from
 * files or URLs without re-signing policies.
 */

export type PipListKind = 'blockedIps' | 'blockedUsers' | 'allowedCountries' | 'torExitNodes';

/** Where each list lands in the bundle's security_data. */
export const PIP_LIST_FIELDS = {
  blockedIps: 'blocklistClientIPs',
  blockedUsers: 'blocklistUserIdentifier',
  allowedCountries: 'allowedCountryCodes',
  torExitNodes: 'torExitNodes',
} as const satisfies Record<PipListKind, keyof NonNullable<PdpData['security_data']>>;

/** Bound on one list's text and on its number of entries. */
export const MAX_PIP_LIST_LENGTH = 16 * 1024 * 1024;
export const MAX_PIP_LIST_ENTRIES = 1_000_000;

export interface PipListOptions {
  /** 'json' (an array of strings), 'text' (one entry a line) or, by default, 'auto': JSON when the text starts with `[`. */
  format?: 'json' | 'text' | 'auto';
  /** For error details: where the list came from (a file name, a URL). */
  source?: string;
}

const invalid = (kind: PipListKind, source: string | undefined, detail: string) =>
  contentError('DSR_PIP_LIST_INVALID', 'A PIP list is invalid.', {
    detail: `${kind}${source ? ` (${source})` : ''}: ${detail}`,
  });

// A user identifier: printable, no spaces (a KVNR such as X123456789, or another stable id).
const USER_IDENTIFIER = /^[\x21-\x7e]{1,128}$/;
const COUNTRY_CODE = /^[A-Za-z]{2}$/;
const PREFIX = /^[0-9]{1,3}$/;

/** An address, or an address and prefix length within the family's bits. */
function isAddressOrCidr(entry: string): boolean {
  const slash = entry.indexOf('/');
  if (slash < 0) return isIP(entry) !== 0;
  const family = isIP(entry.slice(0, slash));
  const bits = entry.slice(slash + 1);
  return family !== 0 && PREFIX.test(bits) && Number(bits) <= (family === 6 ? 128 : 32);
}

/** Checks one entry and gives the form the PDP compares (country codes upper-cased), or undefined when invalid. */
function normalize(kind: PipListKind, entry: string): string | undefined {
  switch (kind) {
    case 'blockedIps':
      return isAddressOrCidr(entry) ? entry : undefined;
    case 'torExitNodes':
      return isIP(entry) !== 0 ? entry : undefined;
    case 'blockedUsers':
      return USER_IDENTIFIER.test(entry) ? entry : undefined;
    case 'allowedCountries':
      return COUNTRY_CODE.test(entry) ? entry.toUpperCase() : undefined;
  }
}

function rawEntries(kind: PipListKind, text: string, options: PipListOptions): string[] {
  const format = options.format ?? 'auto';
  const json = format === 'json' || (format === 'auto' && text.trimStart().startsWith('['));
  if (!json) {
    return text
      .split(/\r?\n/)
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line !== '');
  }
  const value = parseStrictJson(text, (detail) => invalid(kind, options.source, `not JSON: ${detail}`));
  if (!Array.isArray(value)) throw invalid(kind, options.source, 'the JSON is not an array');
  return value.map((item, index) => {
    if (typeof item !== 'string') throw invalid(kind, options.source, `entry ${index} is not a string`);
    return item.trim();
  });
}

/**
 * Parses one list: every entry validated (addresses and CIDRs with node:net, Tor exit nodes as
 * addresses, user identifiers as printable text without spaces, country codes as two letters,
 * upper-cased), duplicates dropped, order kept. Throws DSR_PIP_LIST_INVALID naming the first bad
 * entry.
 */
export function parsePipList(kind: PipListKind, text: string, options: PipListOptions = {}): string[] {
  if (!Object.hasOwn(PIP_LIST_FIELDS, kind)) throw new TypeError(`unknown PIP list ${JSON.stringify(kind)}`);
  if (text.length > MAX_PIP_LIST_LENGTH)
    throw invalid(kind, options.source, `longer than ${MAX_PIP_LIST_LENGTH} characters`);
  const entries = rawEntries(kind, text, options);
  if (entries.length > MAX_PIP_LIST_ENTRIES)
    throw invalid(kind, options.source, `more than ${MAX_PIP_LIST_ENTRIES} entries`);
  const parsed = new Set<string>();
  entries.forEach((entry, index) => {
    const value = normalize(kind, entry);
    if (value === undefined)
      throw invalid(kind, options.source, `entry ${index}: ${JSON.stringify(entry.slice(0, 80))} is not valid`);
    parsed.add(value);
  });
  return [...parsed];
}

export type PipLists = Partial<Record<PipListKind, readonly string[]>>;

/** Merges several parsed lists of each kind into one (union, first occurrence kept in order). */
export function mergePipLists(...lists: PipLists[]): PipLists {
  const merged: Partial<Record<PipListKind, Set<string>>> = {};
  for (const list of lists) {
    for (const kind of Object.keys(list) as PipListKind[]) {
      const set = (merged[kind] ??= new Set());
      for (const entry of list[kind] ?? []) set.add(entry);
    }
  }
  return Object.fromEntries(Object.entries(merged).map(([kind, set]) => [kind, [...set]])) as PipLists;
}

/**
 * A copy of a bundle's data with the lists applied to security_data: 'replace' (the default)
 * puts each given list in place of the bundle's, 'union' adds its entries to the bundle's. Kinds
 * not given keep the bundle's list; the bundle's other sections are shared, not copied.
 */
export function applyPipLists(data: PdpData, lists: PipLists, mode: 'replace' | 'union' = 'replace'): PdpData {
  const security: Record<string, string[] | undefined> = { ...data.security_data };
  for (const kind of Object.keys(lists) as PipListKind[]) {
    if (!Object.hasOwn(PIP_LIST_FIELDS, kind)) throw new TypeError(`unknown PIP list ${JSON.stringify(kind)}`);
    const field = PIP_LIST_FIELDS[kind];
    const entries = lists[kind] ?? [];
    security[field] = mode === 'union' ? [...new Set([...(security[field] ?? []), ...entries])] : [...entries];
  }
  return { ...data, security_data: security };
}
