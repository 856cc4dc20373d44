import { Tag } from 'cbor2';
import { sameBytes } from '../../../crypto/bytes.js';
import { contentError, type ErrorCode } from '../../../errors.js';
import { canonicalCbor } from '../issuer/canonical-cbor.js';

/**
 * The document data of PROTOCOLS.md §7 as DataToProvisionMessage carries it and
 * ProofOfProvisioning restates it:
 *
 *   AccessControlProfile = {"id": uint, ? "readerCertificate": bstr,
 *                           ? ("userAuthenticationRequired": bool, "timeoutMillis": uint)}
 *   NameSpaces = {* tstr => [+ {"name": tstr, "value": any, "accessControlProfiles": [* uint]}]}
 */
export interface AccessControlProfile {
  id: number;
  readerCertificate?: Uint8Array;
  userAuthenticationRequired?: boolean;
  timeoutMillis?: number;
}

export interface NamespaceEntry {
  name: string;
  /** Any CBOR value as cbor2 reads and writes it (tags as cbor2 Tag, byte strings as Uint8Array). */
  value: unknown;
  accessControlProfiles: number[];
}

/** Namespace name → its entries, in the order they are sent. */
export type NameSpaces = ReadonlyMap<string, readonly NamespaceEntry[]>;

/** The document a session provisions: what Keyward sends and what the proofs must restate. */
export interface DocumentData {
  docType: string;
  accessControlProfiles: readonly AccessControlProfile[];
  nameSpaces: NameSpaces;
}

/**
 * Deterministic CBOR as ISO 18013-5 requires, with the issuer's encoder (so two values compare
 * equal here exactly when the issuer would digest the same bytes for them). Buffers are written
 * as byte strings (cbor2 would write a Buffer as a map).
 */
export function encodeCanonical(value: unknown): Uint8Array {
  return canonicalCbor(plainValue(value));
}

/** `value` with every Buffer replaced by a plain Uint8Array view of the same bytes. */
function plainValue(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) return value.map(plainValue);
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [plainValue(key), plainValue(item)]));
  if (value instanceof Tag) return new Tag(value.tag, plainValue(value.contents));
  return value;
}

/** The CBOR map of one profile, with only the fields it states. */
export function profileToCbor(profile: AccessControlProfile): Map<string, unknown> {
  const map = new Map<string, unknown>([['id', profile.id]]);
  if (profile.readerCertificate !== undefined) map.set('readerCertificate', profile.readerCertificate);
  if (profile.userAuthenticationRequired !== undefined) {
    map.set('userAuthenticationRequired', profile.userAuthenticationRequired);
  }
  if (profile.timeoutMillis !== undefined) map.set('timeoutMillis', profile.timeoutMillis);
  return map;
}

export function nameSpacesToCbor(nameSpaces: NameSpaces): Map<string, unknown> {
  return new Map(
    [...nameSpaces].map(([namespace, entries]) => [
      namespace,
      entries.map(
        (entry) =>
          new Map<string, unknown>([
            ['name', entry.name],
            ['value', entry.value],
            ['accessControlProfiles', [...entry.accessControlProfiles]],
          ]),
      ),
    ]),
  );
}

const isUint = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Reads CBOR-decoded data strictly; every failure is a CONTENT error with `code`. */
export class DataReader {
  constructor(
    private readonly code: ErrorCode,
    private readonly what: string,
  ) {}

  fail(detail: string) {
    return contentError(this.code, `The ${this.what} is malformed.`, { detail });
  }

  /** A map with text keys, of which `required` must all be present and nothing beyond `optional`. */
  map(value: unknown, where: string, required: readonly string[], optional: readonly string[] = []) {
    if (!(value instanceof Map)) throw this.fail(`${where} is not a map`);
    for (const key of value.keys()) {
      if (typeof key !== 'string' || (!required.includes(key) && !optional.includes(key))) {
        throw this.fail(`${where} has an unexpected key ${JSON.stringify(String(key))}`);
      }
    }
    for (const key of required) if (!value.has(key)) throw this.fail(`${where} lacks "${key}"`);
    return value as Map<string, unknown>;
  }

  uint(value: unknown, where: string): number {
    if (!isUint(value)) throw this.fail(`${where} is not an unsigned integer`);
    return value;
  }

  text(value: unknown, where: string): string {
    if (typeof value !== 'string') throw this.fail(`${where} is not a text string`);
    return value;
  }

  bytes(value: unknown, where: string): Uint8Array {
    if (!(value instanceof Uint8Array)) throw this.fail(`${where} is not a byte string`);
    return value;
  }

  boolean(value: unknown, where: string): boolean {
    if (typeof value !== 'boolean') throw this.fail(`${where} is not a boolean`);
    return value;
  }

  array(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) throw this.fail(`${where} is not an array`);
    return value;
  }

  profiles(value: unknown): AccessControlProfile[] {
    const ids = new Set<number>();
    return this.array(value, 'accessControlProfiles').map((item, index) => {
      const where = `accessControlProfiles[${index}]`;
      const map = this.map(item, where, ['id'], ['readerCertificate', 'userAuthenticationRequired', 'timeoutMillis']);
      const profile: AccessControlProfile = { id: this.uint(map.get('id'), `${where}.id`) };
      if (ids.has(profile.id)) throw this.fail(`profile id ${profile.id} appears twice`);
      ids.add(profile.id);
      if (map.has('readerCertificate')) {
        profile.readerCertificate = this.bytes(map.get('readerCertificate'), `${where}.readerCertificate`);
      }
      if (map.has('userAuthenticationRequired')) {
        profile.userAuthenticationRequired = this.boolean(
          map.get('userAuthenticationRequired'),
          `${where}.userAuthenticationRequired`,
        );
      }
      if (map.has('timeoutMillis'))
        profile.timeoutMillis = this.uint(map.get('timeoutMillis'), `${where}.timeoutMillis`);
      return profile;
    });
  }

  nameSpaces(value: unknown): Map<string, NamespaceEntry[]> {
    if (!(value instanceof Map)) throw this.fail('nameSpaces is not a map');
    const result = new Map<string, NamespaceEntry[]>();
    for (const [namespace, entries] of value) {
      const ns = this.text(namespace, 'a namespace name');
      const names = new Set<string>();
      result.set(
        ns,
        this.array(entries, `nameSpaces["${ns}"]`).map((item, index) => {
          const where = `nameSpaces["${ns}"][${index}]`;
          const map = this.map(item, where, ['name', 'value', 'accessControlProfiles']);
          const name = this.text(map.get('name'), `${where}.name`);
          if (names.has(name)) throw this.fail(`${where}: element ${name} appears twice`);
          names.add(name);
          const accessControlProfiles = this.array(
            map.get('accessControlProfiles'),
            `${where}.accessControlProfiles`,
          ).map((id, position) => this.uint(id, `${where}.accessControlProfiles[${position}]`));
          return { name, value: map.get('value'), accessControlProfiles };
        }),
      );
    }
    return result;
  }
}

/**
 * Why two access-control profile lists differ, or undefined when they state the same profiles.
 * Order is not significant (profiles are referred to by id). The Identity Credential HAL writes
 * only the fields that say something: no readerCertificate when there is none, and neither
 * userAuthenticationRequired nor timeoutMillis when user authentication is not required. So an
 * absent readerCertificate equals an empty one, absent userAuthenticationRequired equals false,
 * and timeoutMillis counts only when user authentication is required.
 */
export function profilesDiffer(
  sent: readonly AccessControlProfile[],
  stated: readonly AccessControlProfile[],
): string | undefined {
  if (sent.length !== stated.length) return `${stated.length} profiles stated, ${sent.length} sent`;
  const byId = new Map(stated.map((profile) => [profile.id, profile]));
  for (const profile of sent) {
    const other = byId.get(profile.id);
    if (!other) return `profile ${profile.id} missing`;
    if (!sameBytes(profile.readerCertificate ?? new Uint8Array(), other.readerCertificate ?? new Uint8Array())) {
      return `profile ${profile.id}: readerCertificate differs`;
    }
    const userAuth = profile.userAuthenticationRequired === true;
    if (userAuth !== (other.userAuthenticationRequired === true)) {
      return `profile ${profile.id}: userAuthenticationRequired differs`;
    }
    if (userAuth && (profile.timeoutMillis ?? 0) !== (other.timeoutMillis ?? 0)) {
      return `profile ${profile.id}: timeoutMillis differs`;
    }
  }
  return undefined;
}

/**
 * Why two namespace maps differ, or undefined when they state the same elements. Namespaces and
 * elements are compared by name (order is not significant; names are unique), values by their
 * deterministic encoding (the device may encode a value differently, e.g. a longer integer head,
 * without stating something else), profile references as sets.
 */
export function nameSpacesDiffer(sent: NameSpaces, stated: NameSpaces): string | undefined {
  if (sent.size !== stated.size) return `${stated.size} namespaces stated, ${sent.size} sent`;
  for (const [namespace, entries] of sent) {
    const others = stated.get(namespace);
    if (!others) return `namespace ${namespace} missing`;
    if (others.length !== entries.length)
      return `${namespace}: ${others.length} elements stated, ${entries.length} sent`;
    const byName = new Map(others.map((entry) => [entry.name, entry]));
    for (const entry of entries) {
      const other = byName.get(entry.name);
      if (!other) return `${namespace}/${entry.name} missing`;
      if (!sameValue(entry.value, other.value)) {
        return `${namespace}/${entry.name}: value differs`;
      }
      const ids = new Set(entry.accessControlProfiles);
      const otherIds = new Set(other.accessControlProfiles);
      if (ids.size !== otherIds.size || [...ids].some((id) => !otherIds.has(id))) {
        return `${namespace}/${entry.name}: accessControlProfiles differ`;
      }
    }
  }
  return undefined;
}

/**
 * Whether a stated value encodes as the sent one does. A stated value the encoder refuses (CBOR
 * undefined, say) cannot be one Keyward sent, whose own encoding succeeded.
 */
function sameValue(sent: unknown, stated: unknown): boolean {
  const expected = encodeCanonical(sent);
  let actual: Uint8Array;
  try {
    actual = encodeCanonical(stated);
  } catch {
    return false;
  }
  return sameBytes(expected, actual);
}
