import { hash } from 'node:crypto';
import { contentError } from '../errors.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict base64url (no padding, no other characters): the one textual form of challenges on the wire. */
export function decodeBase64Url(text: string, what: string, code = 'MALFORMED_BASE64URL'): Buffer {
  if (!BASE64URL.test(text) || text.length % 4 === 1) {
    throw contentError(code, `${what} is not base64url`);
  }
  return Buffer.from(text, 'base64url');
}

/** Challenge rows are keyed by the hash of the challenge, so a database reader cannot replay one. */
export const challengeId = (value: Uint8Array): string => hash('sha256', value, 'base64url');
