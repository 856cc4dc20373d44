import { createHash } from 'node:crypto';
import { contentError, trustError } from '../../errors.js';
import { constantTimeEqual } from '../../crypto/bytes.js';

/**
 * PKCE (RFC 7636) as the DSR device-token exchange uses it: S256 only. A `plain` challenge
 * would let whoever sees the device-attestation request (which carries the challenge) redeem
 * the code, so it is refused, as is any other method.
 */

/** code_verifier = 43*128unreserved (RFC 7636 §4.1): ALPHA / DIGIT / "-" / "." / "_" / "~". */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 code_challenge: base64url (no padding) of 32 bytes, 43 characters, last one carrying 4 bits. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export const PKCE_METHOD = 'S256';

const invalid = (detail: string) => contentError('DSR_PKCE_INVALID', 'The PKCE parameters are malformed.', { detail });

export const isCodeVerifier = (verifier: string): boolean => VERIFIER.test(verifier);
export const isS256Challenge = (challenge: string): boolean => S256_CHALLENGE.test(challenge);

/** BASE64URL(SHA256(ASCII(code_verifier))) after checking the verifier's syntax (DSR_PKCE_INVALID). */
export function s256Challenge(verifier: string): string {
  if (typeof verifier !== 'string' || !isCodeVerifier(verifier))
    throw invalid('code_verifier must be 43..128 characters of [A-Za-z0-9-._~]');
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * Checks a code_challenge as a client sends it with its method (absent means S256 here: the
 * reference client sends none, and S256 is the only method the GMS knows). Returns it unchanged.
 */
export function parseCodeChallenge(challenge: unknown, method: unknown = PKCE_METHOD): string {
  if (method !== PKCE_METHOD) throw invalid(`code_challenge_method ${JSON.stringify(method)}: only S256 is accepted`);
  if (typeof challenge !== 'string' || !isS256Challenge(challenge))
    throw invalid('code_challenge must be 43 base64url characters (SHA-256)');
  return challenge;
}

/** Whether `verifier` hashes to `challenge`, compared in constant time (false for a malformed challenge). */
export function pkceMatches(verifier: string, challenge: string): boolean {
  const expected = Buffer.from(s256Challenge(verifier), 'ascii');
  const presented = Buffer.from(String(challenge), 'ascii');
  return constantTimeEqual(presented, expected);
}

/** Throws DSR_PKCE_INVALID for a malformed verifier and DSR_PKCE_MISMATCH when it does not fit the challenge. */
export function verifyPkce(verifier: string, challenge: string): void {
  if (!pkceMatches(verifier, challenge))
    throw trustError('DSR_PKCE_MISMATCH', 'The code_verifier does not match the code_challenge.', { status: 400 });
}
