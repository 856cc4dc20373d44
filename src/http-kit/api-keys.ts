import { createHash, timingSafeEqual } from 'node:crypto';
import { trustError } from '../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of secrets of any length (both sides are hashed to equal length first). */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

const BEARER = /^Bearer +(\S+)\s*$/i;

/** The token of an Authorization: Bearer header, if it has one. */
export const bearerToken = (authorization: string | undefined) => BEARER.exec(authorization ?? '')?.[1];

/**
 * An onRequest hook admitting only requests that present one of `apiKeys` as a bearer token
 * (operator endpoints, /metrics); others are refused with 401 and `message`. The keys are
 * hashed once here and the token once per request, so every comparison is a constant-time
 * one of equal-length digests.
 */
export function requireApiKey(apiKeys: readonly string[], message = 'A valid operator API key is required.') {
  const expected = apiKeys.map(digest);
  return async (request: { headers: { authorization?: string | undefined } }): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    const presented = token === undefined ? undefined : digest(token);
    if (!presented || !expected.some((key) => timingSafeEqual(presented, key))) {
      throw trustError('UNAUTHORIZED', message, { status: 401 });
    }
  };
}
