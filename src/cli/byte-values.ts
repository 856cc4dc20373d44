import { InvalidArgumentError } from 'commander';
import { isBase64Url } from '../challenges/encoding.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^([0-9a-fA-F]{2})*$/;

/**
 * Byte-valued command-line flags take `b64:`, `b64url:`, `hex:` or `utf8:` prefixes; without a
 * prefix the value is base64. Malformed values are usage errors (exit 2).
 */
export function parseByteValue(text: string): Buffer {
  const colon = text.indexOf(':');
  const prefix = colon > 0 ? text.slice(0, colon) : '';
  const known = ['b64', 'b64url', 'hex', 'utf8'].includes(prefix);
  const kind = known ? prefix : 'b64';
  const value = known ? text.slice(colon + 1) : text;
  switch (kind) {
    case 'utf8':
      return Buffer.from(value, 'utf8');
    case 'hex':
      if (!HEX.test(value)) throw new InvalidArgumentError('not valid hex (expected an even number of hex digits)');
      return Buffer.from(value, 'hex');
    case 'b64url':
      if (!isBase64Url(value)) throw new InvalidArgumentError('not valid base64url');
      return Buffer.from(value, 'base64url');
    default:
      if (
        !BASE64.test(value) ||
        (value.includes('=') && value.length % 4 !== 0) ||
        value.replace(/=+$/, '').length % 4 === 1
      ) {
        throw new InvalidArgumentError('not valid base64 (use a b64:, b64url:, hex: or utf8: prefix)');
      }
      return Buffer.from(value, 'base64');
  }
}

/** Commander collector for repeatable flags. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** --at: an ISO-8601 time; the verification time in epoch ms. */
export function parseInstant(text: string): number {
  const time = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time)) throw new InvalidArgumentError('not an ISO-8601 time');
  return time;
}
