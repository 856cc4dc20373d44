import { createHash, timingSafeEqual } from 'node:crypto';
import { trustError } from '../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of secrets of any length (both sides are hashed to equal length first). */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Checks an `Authorization: Bearer <token>` header against the expected token in constant time. */
export function bearerTokenMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer +(\S+)\s*$/i.exec(header ?? '');
  return match !== null && secretsEqual(match[1]!, expected);
}

/** An onRequest hook admitting only requests that present one of `apiKeys` as a bearer token (operator endpoints). */
export function requireApiKey(apiKeys: readonly string[]) {
  return async (request: { headers: { authorization?: string | undefined } }): Promise<void> => {
    const header = request.headers.authorization;
    if (!apiKeys.some((key) => bearerTokenMatches(header, key))) {
      throw trustError('UNAUTHORIZED', 'A valid operator API key is required.', { status: 401 });
    }
  };
}
