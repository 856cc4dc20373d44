import { hash } from 'node:crypto';
import { contentError, type ErrorCode } from '../errors.js';

/** Sizes a challenge may have; the configuration schemas bound their size options by them too. */
export const MIN_CHALLENGE_BYTES = 4;
export const MAX_CHALLENGE_BYTES = 128;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict base64url: the URL-safe alphabet only, no padding, no length that cannot encode whole bytes. */
export const isBase64Url = (text: string): boolean => BASE64URL.test(text) && text.length % 4 !== 1;

/** Strict base64url (no padding, no other characters): the one textual form of challenges on the wire. */
export function decodeBase64Url(text: string, what: string, code: ErrorCode = 'MALFORMED_BASE64URL'): Buffer {
  if (!isBase64Url(text)) {
    throw contentError(code, `${what} is not base64url`);
  }
  return Buffer.from(text, 'base64url');
}

/** Challenge rows are keyed by the hash of the challenge, so a database reader cannot replay one. */
export const challengeId = (value: Uint8Array): string => hash('sha256', value, 'base64url');

/** A UUID in its canonical lowercase text form. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** RFC 9562 version 4 from 16 random bytes: the version and variant bits are set in place. */
export function uuidV4Bytes(random: Buffer): Buffer {
  random[6] = (random[6]! & 0x0f) | 0x40;
  random[8] = (random[8]! & 0x3f) | 0x80;
  return random;
}

/** A UUID's 16 bytes from its canonical text (check it against UUID first). */
export const uuidBytes = (text: string): Buffer => Buffer.from(text.replaceAll('-', ''), 'hex');

/** The canonical text of a UUID's 16 bytes. */
export function uuidText(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
