import { createHash, randomBytes, randomInt } from 'node:crypto';
import { canonicalCbor, embeddedCbor } from './canonical-cbor.js';
import { normalizeElementValue } from './element-value.js';

/** IssuerSignedItem (ISO 18013-5 §8.3.2.1.2.2): one data element with its salt and digest ID. */
export interface IssuerSignedItem {
  digestID: number;
  /** The salt: at least 16 random bytes. */
  random: Uint8Array;
  elementIdentifier: string;
  elementValue: unknown;
}

export const MIN_SALT_LENGTH = 16;
export const DEFAULT_SALT_LENGTH = 32;
/**
 * Digest IDs are drawn at random below 2^31: unrelated to the elements' order or number (a
 * reader who sees some IDs learns nothing about the others), and within a signed 32-bit integer,
 * which the Java holder reads them as.
 */
const DIGEST_ID_LIMIT = 2 ** 31;

/** A fresh item for `elementIdentifier` with a random salt of `saltLength` bytes. */
export function createIssuerSignedItem(
  digestID: number,
  elementIdentifier: string,
  elementValue: unknown,
  saltLength = DEFAULT_SALT_LENGTH,
): IssuerSignedItem {
  if (!Number.isInteger(saltLength) || saltLength < MIN_SALT_LENGTH)
    throw new TypeError(`the salt must be at least ${MIN_SALT_LENGTH} bytes, not ${saltLength}`);
  if (elementIdentifier === '') throw new TypeError('an element identifier is empty');
  return {
    digestID,
    random: new Uint8Array(randomBytes(saltLength)),
    elementIdentifier,
    elementValue: normalizeElementValue(elementValue, elementIdentifier),
  };
}

/** `count` distinct random digest IDs. */
export function randomDigestIds(count: number): number[] {
  const ids = new Set<number>();
  while (ids.size < count) ids.add(randomInt(DIGEST_ID_LIMIT));
  return [...ids];
}

/** The canonical encoding of the item map (keys length-first: random, digestID, elementValue, elementIdentifier). */
export const encodeIssuerSignedItem = (item: IssuerSignedItem): Uint8Array =>
  canonicalCbor(
    new Map<string, unknown>([
      ['digestID', item.digestID],
      ['random', item.random],
      ['elementIdentifier', item.elementIdentifier],
      ['elementValue', item.elementValue],
    ]),
  );

/** IssuerSignedItemBytes = #6.24(bstr .cbor IssuerSignedItem): what the MSO digests and IssuerSigned lists. */
export const issuerSignedItemBytes = (item: IssuerSignedItem): Uint8Array =>
  canonicalCbor(embeddedCbor(encodeIssuerSignedItem(item)));

/** The MSO's value digest of an item: SHA-256 over its IssuerSignedItemBytes. */
export const itemDigest = (itemBytes: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha256').update(itemBytes).digest());
