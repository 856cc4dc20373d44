import { createHash, timingSafeEqual } from 'node:crypto';
import { trustError } from '../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of secrets of any length (both sides are hashed to equal length first). */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

const BEARER = /^Bearer +(\S+)\s*$/i;

/** Requests an API key admitted, with the key's fingerprint: the first 8 hex digits of its SHA-256. */
const admitted = new WeakMap<object, string>();

/** The fingerprint of the API key `requireApiKey` admitted this request with, if any (never the key). */
export const admittedKeyFingerprint = (request: object): string | undefined => admitted.get(request);

/**
 * An onRequest hook admitting only requests that present one of `apiKeys` as a bearer token
 * (operator endpoints, /metrics); others are refused with 401 and `message`. The keys are
 * hashed once here and the token once per request, so every comparison is a constant-time
 * one of equal-length digests.
 */
export function requireApiKey(apiKeys: readonly string[], message = 'A valid operator API key is required.') {
  const expected = apiKeys.map(digest);
  return async (request: { headers: { authorization?: string | undefined } }): Promise<void> => {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const presented = token === undefined ? undefined : digest(token);
    if (!presented || !expected.some((key) => timingSafeEqual(presented, key))) {
      throw trustError('UNAUTHORIZED', message, { status: 401 });
    }
    admitted.set(request, presented.toString('hex', 0, 4));
  };
}
