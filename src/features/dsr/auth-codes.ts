import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { ChallengeService } from '../../challenges/challenge-service.js';
import { type KeywardError, contentError, timeError, trustError } from '../../errors.js';
import type { MacKey, MacKeyRing } from '../../keys/mac-keys.js';
import { parseStrictJson } from '../../crypto/strict-json.js';
import { pkceMatches, parseCodeChallenge, s256Challenge } from './pkce.js';

/**
 * DSR authorization codes (RFC-02): POST /device-attestation answers one, POST /device-token
 * exchanges it with the PKCE code_verifier for the device token.
 *
 * A code is `<kid>.<nonce>.<sealed>` (base64url segments): `nonce` is an ordinary single-use
 * challenge of the challenge service, bound (subject) to the PKCE code_challenge; `sealed` is
 * the pending token's content (the DeviceTokenSubject and the code_challenge) under AES-256-GCM
 * with a key derived (HKDF) from the MAC key named by kid, the nonce being authenticated data.
 * So the store keeps nothing but the challenge row (SQL or Redis, no new table), single use is
 * the store's atomic consume on every backend, the token is minted at the exchange (its iat
 * and 60 minutes start then, signed with the current key), and a leaked code reveals nothing
 * of the user or device. A code is never still processing: the attestation has verified before
 * the code exists, so the exchange has no 202 case.
 *
 * A wrong code_verifier does not spend the code (the store's subject check refuses without
 * consuming): whoever intercepted a code cannot burn it for its device; guessing a verifier is
 * guessing a SHA-256 preimage.
 */

export const AUTH_CODE_PURPOSE = 'dsr:auth-code';
export const AUTH_CODE_TTL_SECONDS = 60;

const NONCE_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_CODE_LENGTH = 32_768;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const HKDF_INFO = Buffer.from('keyward dsr auth-code v1');

export interface IssuedAuthCode {
  code: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const invalid = (detail: string) =>
  contentError('DSR_AUTH_CODE_INVALID', 'The authorization code is not valid.', { detail });

/** Sealing keys by MAC key (derived once per key). */
const sealingKeys = new WeakMap<MacKey, Buffer>();

function sealingKey(key: MacKey): Buffer {
  let derived = sealingKeys.get(key);
  if (!derived) {
    derived = Buffer.from(hkdfSync('sha256', key.secret, Buffer.alloc(0), HKDF_INFO, 32));
    sealingKeys.set(key, derived);
  }
  return derived;
}

const segment = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const aad = (kidSegment: string, nonceSegment: string) => Buffer.from(`dsr-auth-code.${kidSegment}.${nonceSegment}`);

function unsegment(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (!SEGMENT.test(text) || bytes.toString('base64url') !== text) throw invalid(`${what} is not base64url`);
  return bytes;
}

interface Sealed<T> {
  /** The PKCE code_challenge (S256) the code was issued for. */
  c: string;
  /** The pending token's content. */
  p: T;
}

/** What a consume rejection means for a code. */
function rejection(error: unknown): unknown {
  const code = (error as KeywardError | undefined)?.code;
  switch (code) {
    case 'CHALLENGE_UNKNOWN':
      return invalid('no such code in the store');
    case 'CHALLENGE_EXPIRED':
      return timeError('DSR_AUTH_CODE_EXPIRED', 'The authorization code has expired.');
    case 'CHALLENGE_USED':
      return trustError('DSR_AUTH_CODE_USED', 'The authorization code has already been used.', { status: 400 });
    case 'CHALLENGE_SUBJECT_MISMATCH':
      return trustError('DSR_PKCE_MISMATCH', 'The code_verifier does not match the code_challenge.', { status: 400 });
    default:
      return error;
  }
}

/**
 * Issues and redeems authorization codes carrying a pending device token (`T`: JSON, the
 * DeviceTokenSubject in practice). Single instance per process; state lives in the challenge store.
 */
export class DsrAuthCodes<T = unknown> {
  private readonly ttlSeconds: number;

  constructor(
    private readonly challenges: ChallengeService,
    private readonly keys: MacKeyRing,
    options: { ttlSeconds?: number } = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? AUTH_CODE_TTL_SECONDS;
  }

  /** A code for `pending`, redeemable once within the TTL with a verifier of `codeChallenge` (DSR_PKCE_INVALID if malformed). */
  async issue(codeChallenge: string, pending: T): Promise<IssuedAuthCode> {
    const challenge = parseCodeChallenge(codeChallenge);
    const issued = await this.challenges.issue(AUTH_CODE_PURPOSE, {
      subject: challenge,
      bytes: NONCE_BYTES,
      ttlSeconds: this.ttlSeconds,
    });
    const key = this.keys.current;
    const kidSegment = segment(key.kid);
    const nonceSegment = segment(issued.value);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', sealingKey(key), iv);
    cipher.setAAD(aad(kidSegment, nonceSegment));
    const sealed: Sealed<T> = { c: challenge, p: pending };
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(sealed), 'utf8'), cipher.final()]);
    const code = `${kidSegment}.${nonceSegment}.${segment(Buffer.concat([iv, ciphertext, cipher.getAuthTag()]))}`;
    return { code, expiresAt: issued.expiresAt };
  }

  /**
   * The pending token of `code`, once: checks the code's integrity, the verifier's syntax and its
   * S256 hash against the sealed challenge (constant time), then consumes the code atomically
   * with the challenge as subject. Throws DSR_AUTH_CODE_INVALID, DSR_PKCE_INVALID,
   * DSR_PKCE_MISMATCH, DSR_AUTH_CODE_EXPIRED or DSR_AUTH_CODE_USED. `accept` may refuse the
   * pending token (by throwing) before the code is spent: a code presented by the wrong party
   * stays usable by the right one.
   */
  async redeem(code: string, codeVerifier: string, accept?: (pending: T) => void): Promise<T> {
    if (typeof code !== 'string' || code.length > MAX_CODE_LENGTH) throw invalid('not a string of acceptable length');
    const parts = code.split('.');
    if (parts.length !== 3) throw invalid('not three dot-separated segments');
    const [kidSegment, nonceSegment, sealedSegment] = parts as [string, string, string];
    const key = this.keys.get(unsegment(kidSegment, 'kid').toString('utf8'));
    if (!key) throw invalid('unknown key');
    const nonce = unsegment(nonceSegment, 'nonce');
    if (nonce.length !== NONCE_BYTES) throw invalid('nonce size');
    const sealed = unsegment(sealedSegment, 'sealed');
    if (sealed.length < IV_BYTES + TAG_BYTES + 1) throw invalid('sealed part too short');
    let opened: Sealed<T>;
    try {
      const decipher = createDecipheriv('aes-256-gcm', sealingKey(key), sealed.subarray(0, IV_BYTES));
      decipher.setAAD(aad(kidSegment, nonceSegment));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plaintext = Buffer.concat([
        decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
      opened = parseStrictJson(plaintext.toString('utf8'), (detail) => new SyntaxError(detail)) as Sealed<T>;
    } catch {
      throw invalid('not sealed by this service');
    }
    const challenge = s256Challenge(codeVerifier);
    if (!pkceMatches(codeVerifier, opened.c))
      throw trustError('DSR_PKCE_MISMATCH', 'The code_verifier does not match the code_challenge.', { status: 400 });
    accept?.(opened.p);
    try {
      await this.challenges.consume(AUTH_CODE_PURPOSE, nonce, challenge);
    } catch (error) {
      throw rejection(error);
    }
    return opened.p;
  }
}
