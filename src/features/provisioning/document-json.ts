import { Tag } from 'cbor2';
import { contentError } from '../../errors.js';
import { decodeDocumentData, encodeDocumentData } from './document-data.js';
import { FULL_DATE_TAG, fullDate, normalizeElementValue, TDATE_TAG, tdateText } from './issuer/element-value.js';
import type { AccessControlProfile, NamespaceEntry } from './protocol/data.js';
import { isJsonObject } from '../../crypto/strict-json.js';

/**
 * The JSON form of a document's data, for the CLI and the operator API:
 *
 *   {"accessControlProfiles": [{"id": 0}],            // optional; default [{"id": 0}]
 *    "nameSpaces": {"org.iso.18013.5.1": {
 *       "family_name": "Mustermann",                   // text, numbers, booleans, null, arrays, objects
 *       "birth_date": {"fullDate": "1964-08-12"},      // full-date (tag 1004)
 *       "issue_date": {"dateTime": "2024-01-01T00:00:00Z"},  // tdate (tag 0)
 *       "portrait": {"bytes": "<base64>"},             // byte string
 *       "age_over_18": {"value": true, "accessControlProfiles": [0, 1]}  // explicit profiles
 *    }}}
 *
 * An element given plainly gets accessControlProfiles [0]. An object whose only key is fullDate,
 * dateTime or bytes is that typed value; an element object whose keys are "value" and optionally
 * "accessControlProfiles" is the explicit form; any other object is a CBOR map with text keys.
 * Every mistake is a CONTENT MDOC_DOCUMENT_JSON_INVALID naming where it is.
 */
export interface DocumentJson {
  accessControlProfiles?: ProfileJson[];
  nameSpaces: Record<string, Record<string, unknown>>;
}

export interface ProfileJson {
  id: number;
  readerCertificate?: string;
  userAuthenticationRequired?: boolean;
  timeoutMillis?: number;
}

const CODE = 'MDOC_DOCUMENT_JSON_INVALID';
const MAX_DEPTH = 16;
const MAX_ELEMENTS = 512;
const NAME = /^[\x20-\x7e]{1,256}$/;

const invalid = (detail: string) => contentError(CODE, `The document data is invalid: ${detail}.`, { detail });

const isUint = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const TYPED_KEYS = new Set(['fullDate', 'dateTime', 'bytes']);

/** The stored canonical CBOR (MdocDocument.data) for the JSON form; CONTENT MDOC_DOCUMENT_JSON_INVALID when it is not one. */
export function documentDataFromJson(json: unknown): Uint8Array {
  if (!isJsonObject(json)) throw invalid('the document data must be a JSON object');
  for (const key of Object.keys(json))
    if (key !== 'accessControlProfiles' && key !== 'nameSpaces') throw invalid(`unexpected key "${key}"`);
  const profiles = readProfiles(json.accessControlProfiles ?? [{ id: 0 }]);
  const profileIds = new Set(profiles.map((profile) => profile.id));
  if (!isJsonObject(json.nameSpaces)) throw invalid('nameSpaces must be an object of namespaces');
  const nameSpaces = new Map<string, NamespaceEntry[]>();
  let count = 0;
  for (const [namespace, elements] of Object.entries(json.nameSpaces)) {
    if (!NAME.test(namespace)) throw invalid(`namespace name "${namespace}" is empty, too long or not printable ASCII`);
    if (!isJsonObject(elements)) throw invalid(`nameSpaces["${namespace}"] must be an object of elements`);
    const entries: NamespaceEntry[] = [];
    for (const [name, given] of Object.entries(elements)) {
      const where = `${namespace}/${name}`;
      if (!NAME.test(name)) throw invalid(`element name "${where}" is empty, too long or not printable ASCII`);
      if (++count > MAX_ELEMENTS) throw invalid(`more than ${MAX_ELEMENTS} elements`);
      const explicit = isExplicit(given);
      const accessControlProfiles = explicit ? readProfileRefs(given.accessControlProfiles ?? [0], where) : [0];
      for (const id of accessControlProfiles)
        if (!profileIds.has(id)) throw invalid(`${where} refers to access-control profile ${id}, which is not defined`);
      entries.push({ name, value: valueFromJson(explicit ? given.value : given, where, 0), accessControlProfiles });
    }
    if (entries.length === 0) throw invalid(`namespace ${namespace} has no elements`);
    nameSpaces.set(namespace, entries);
  }
  if (nameSpaces.size === 0) throw invalid('nameSpaces has no namespace');
  let bytes: Uint8Array;
  try {
    bytes = encodeDocumentData({ accessControlProfiles: profiles, nameSpaces });
  } catch (error) {
    throw invalid(`cannot be encoded (${(error as Error).message})`);
  }
  // What Keyward stores must read back: the same reader the provisioning flow uses.
  decodeDocumentData('check', bytes);
  return bytes;
}

/** The JSON form of stored data (inverse of documentDataFromJson). */
export function documentDataToJson(docType: string, bytes: Uint8Array): DocumentJson {
  const data = decodeDocumentData(docType, bytes);
  const nameSpaces: Record<string, Record<string, unknown>> = {};
  for (const [namespace, entries] of data.nameSpaces) {
    const elements: Record<string, unknown> = {};
    for (const entry of entries) {
      const value = valueToJson(entry.value);
      const plain =
        entry.accessControlProfiles.length === 1 && entry.accessControlProfiles[0] === 0 && !looksExplicit(value);
      elements[entry.name] = plain ? value : { value, accessControlProfiles: [...entry.accessControlProfiles] };
    }
    nameSpaces[namespace] = elements;
  }
  return { accessControlProfiles: data.accessControlProfiles.map(profileToJson), nameSpaces };
}

function isExplicit(value: unknown): value is { value: unknown; accessControlProfiles?: unknown } {
  return (
    isJsonObject(value) &&
    'value' in value &&
    Object.keys(value).every((key) => key === 'value' || key === 'accessControlProfiles')
  );
}

const looksExplicit = (value: unknown) => isExplicit(value);

function readProfiles(value: unknown): AccessControlProfile[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('accessControlProfiles must be a non-empty array');
  const ids = new Set<number>();
  return value.map((item, index) => {
    const where = `accessControlProfiles[${index}]`;
    if (!isJsonObject(item)) throw invalid(`${where} must be an object`);
    for (const key of Object.keys(item))
      if (!['id', 'readerCertificate', 'userAuthenticationRequired', 'timeoutMillis'].includes(key))
        throw invalid(`${where} has an unexpected key "${key}"`);
    if (!isUint(item.id) || item.id > 2 ** 31) throw invalid(`${where}.id must be an unsigned integer`);
    if (ids.has(item.id)) throw invalid(`profile id ${item.id} appears twice`);
    ids.add(item.id);
    const profile: AccessControlProfile = { id: item.id };
    if (item.readerCertificate !== undefined) profile.readerCertificate = base64(item.readerCertificate, where);
    if (item.userAuthenticationRequired !== undefined) {
      if (typeof item.userAuthenticationRequired !== 'boolean')
        throw invalid(`${where}.userAuthenticationRequired must be a boolean`);
      profile.userAuthenticationRequired = item.userAuthenticationRequired;
    }
    if (item.timeoutMillis !== undefined) {
      if (!isUint(item.timeoutMillis)) throw invalid(`${where}.timeoutMillis must be an unsigned integer`);
      if (profile.userAuthenticationRequired !== true)
        throw invalid(`${where}.timeoutMillis needs userAuthenticationRequired true`);
      profile.timeoutMillis = item.timeoutMillis;
    }
    return profile;
  });
}

function readProfileRefs(value: unknown, where: string): number[] {
  if (!Array.isArray(value) || !value.every(isUint))
    throw invalid(`${where}.accessControlProfiles must be an array of profile ids`);
  if (new Set(value).size !== value.length) throw invalid(`${where}.accessControlProfiles repeats a profile id`);
  return value;
}

function base64(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value) || value.length % 4 === 1)
    throw invalid(`${where} must be base64`);
  return new Uint8Array(Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64'));
}

function valueFromJson(value: unknown, where: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw invalid(`${where} nests deeper than ${MAX_DEPTH}`);
  if (value === undefined) throw invalid(`${where} has no value`);
  if (
    typeof value === 'number' &&
    (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value)))
  )
    throw invalid(`${where} is not a finite number within ±2^53`);
  if (Array.isArray(value)) return value.map((item, index) => valueFromJson(item, `${where}[${index}]`, depth + 1));
  if (isJsonObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && TYPED_KEYS.has(keys[0]!)) {
      const [key] = keys as [string];
      const text = value[key];
      if (key === 'bytes') return base64(text, `${where}.bytes`);
      if (typeof text !== 'string') throw invalid(`${where}.${key} must be a string`);
      try {
        if (key === 'fullDate') {
          // Date.parse takes 1964-02-30 (rolling over to March): the calendar date must exist.
          if (!realDate(text)) throw new TypeError(`full-date "${text}" is not a calendar date YYYY-MM-DD`);
          return fullDate(text);
        }
        if (
          !/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ||
          !realDate(text.slice(0, 10))
        )
          throw new TypeError(`"${text}" is not an RFC 3339 date-time`);
        return new Tag(TDATE_TAG, tdateText(text));
      } catch (error) {
        throw invalid(`${where}: ${(error as Error).message}`);
      }
    }
    return new Map(
      Object.entries(value).map(([key, item]) => [key, valueFromJson(item, `${where}.${key}`, depth + 1)]),
    );
  }
  try {
    return normalizeElementValue(value, where);
  } catch (error) {
    throw invalid((error as Error).message);
  }
}

/** Whether YYYY-MM-DD names a day of the calendar. */
function realDate(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(text) && Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === text
  );
}

function valueToJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('base64') };
  if (value instanceof Tag) {
    const number = Number(value.tag);
    if (number === FULL_DATE_TAG && typeof value.contents === 'string') return { fullDate: value.contents };
    if (number === TDATE_TAG && typeof value.contents === 'string') return { dateTime: value.contents };
    return { tag: number, contents: valueToJson(value.contents) };
  }
  if (Array.isArray(value)) return value.map(valueToJson);
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([key, item]) => [String(key), valueToJson(item)]));
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

function profileToJson(profile: AccessControlProfile): ProfileJson {
  return {
    id: profile.id,
    ...(profile.readerCertificate === undefined
      ? {}
      : { readerCertificate: Buffer.from(profile.readerCertificate).toString('base64') }),
    ...(profile.userAuthenticationRequired === undefined
      ? {}
      : { userAuthenticationRequired: profile.userAuthenticationRequired }),
    ...(profile.timeoutMillis === undefined ? {} : { timeoutMillis: profile.timeoutMillis }),
  };
}
