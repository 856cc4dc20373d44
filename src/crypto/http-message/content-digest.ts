/**
 * Content-Digest (RFC 9530): a Dictionary of hash-algorithm keys to Byte Sequences holding the
 * digest of the message content (the body bytes as sent, after removing transfer coding but
 * with any content coding). Keyward computes it over the raw body, never over re-encoded JSON.
 *
 * Verification checks every member whose algorithm it knows (sha-256, sha-512), ignores unknown
 * and deprecated ones (md5, sha, unixsum, unixcksum, adler, crc32c: never trusted), and requires
 * the algorithms the caller names (sha-256 by default). The field only proves something when it
 * is covered by a signature.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { KeywardError, contentError, trustError } from '../../errors.js';
import { parseDictionary } from './structured-fields/index.js';

export type DigestAlgorithm = 'sha-256' | 'sha-512';

/** Digest length in bytes and node:crypto hash name per supported algorithm. */
const ALGORITHMS: Readonly<Record<DigestAlgorithm, { hash: string; length: number }>> = {
  'sha-256': { hash: 'sha256', length: 32 },
  'sha-512': { hash: 'sha512', length: 64 },
};

const DEFAULT_REQUIRED: readonly DigestAlgorithm[] = ['sha-256'];

const isDigestAlgorithm = (key: string): key is DigestAlgorithm => key === 'sha-256' || key === 'sha-512';

function digest(body: Uint8Array, algorithm: DigestAlgorithm): Buffer {
  return createHash(ALGORITHMS[algorithm].hash).update(body).digest();
}

/** The Content-Digest field value for `body`, e.g. `sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:`. */
export function contentDigest(body: Uint8Array, algorithm: DigestAlgorithm = 'sha-256'): string {
  if (!isDigestAlgorithm(algorithm)) throw new TypeError(`unsupported digest algorithm ${String(algorithm)}`);
  return `${algorithm}=:${digest(body, algorithm).toString('base64')}:`;
}

export interface VerifyContentDigestOptions {
  /**
   * Algorithms that must be present (default `['sha-256']`). An empty list accepts any supported
   * algorithm but still needs at least one: a field without any supported member proves nothing.
   */
  required?: readonly DigestAlgorithm[];
}

const malformed = (detail: string, cause?: unknown) =>
  contentError('CONTENT_DIGEST_MALFORMED', 'The Content-Digest header is malformed.', { detail, cause });
const missing = (detail: string) =>
  contentError('CONTENT_DIGEST_MISSING', 'A required content digest is missing.', { detail });

/**
 * Verifies the Content-Digest field value against the raw `body`; repeated field lines (as
 * Node.js gives them, an array) are combined with ", " as RFC 9110 §5.3 says. Throws CONTENT
 * CONTENT_DIGEST_MISSING / CONTENT_DIGEST_MALFORMED or TRUST CONTENT_DIGEST_MISMATCH.
 */
export function verifyContentDigest(
  field: string | readonly string[] | undefined,
  body: Uint8Array,
  options: VerifyContentDigestOptions = {},
): void {
  const header = typeof field === 'string' || field === undefined ? field : field.join(', ');
  const required = options.required ?? DEFAULT_REQUIRED;
  for (const algorithm of required) {
    if (!isDigestAlgorithm(algorithm)) throw new TypeError(`unsupported digest algorithm ${String(algorithm)}`);
  }
  if (header === undefined) throw missing('no Content-Digest header');

  let dictionary: ReturnType<typeof parseDictionary>;
  try {
    dictionary = parseDictionary(header);
  } catch (error) {
    if (error instanceof KeywardError) throw malformed(`Content-Digest: ${error.detail ?? error.message}`, error);
    throw error;
  }
  if (dictionary.duplicates.length > 0)
    throw malformed(`duplicate Content-Digest members: ${dictionary.duplicates.join(', ')}`);

  const checks: [DigestAlgorithm, Buffer][] = [];
  for (const [key, member] of dictionary.members) {
    if (!isDigestAlgorithm(key)) continue; // unknown or deprecated: ignored, never trusted
    if (member.kind !== 'item' || member.value.type !== 'binary') throw malformed(`${key} is not a byte sequence`);
    const expected = ALGORITHMS[key].length;
    if (member.value.value.length !== expected) {
      throw malformed(`${key} digest is ${member.value.value.length} bytes, expected ${expected}`);
    }
    checks.push([key, member.value.value]);
  }
  for (const algorithm of required) {
    if (!dictionary.members.has(algorithm)) throw missing(`no ${algorithm} member in Content-Digest`);
  }
  if (checks.length === 0) throw missing('no supported algorithm (sha-256, sha-512) in Content-Digest');

  for (const [algorithm, claimed] of checks) {
    const actual = digest(body, algorithm);
    if (!timingSafeEqual(actual, claimed)) {
      throw trustError('CONTENT_DIGEST_MISMATCH', 'The content digest does not match the body.', {
        detail: `${algorithm} of the ${body.length}-byte body is ${actual.toString('base64')}, the header claims ${claimed.toString('base64')}`,
      });
    }
  }
}
