import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The values a DSR client derives from a GMS nonce, as gematik's reference GMS computes them
 * (NonceVerifier): SHA-256(nonce bytes ‖ UTF-8 suffix), the nonce bytes being the base64 the
 * GMS handed out, decoded.
 */
export const NONCE_SUFFIXES = {
  /** RFC-01: the Play Integrity request nonce of the registration. */
  integrity: 'INTEGRITY',
  /** RFC-01: the key attestation challenge of the mTLS key pair (and of the attest key). */
  keypairMtls: 'KEYPAIR_MTLS',
  /** RFC-01: the CSR's challengePassword. */
  csrMtls: 'CSR_MTLS',
  /** RFC-02: the attestation challenge of the fresh key (Android) or the assertion's client data (iOS). */
  attest: '1',
  /** RFC-02: the Play Integrity request nonce of the device attestation. */
  playIntegrity: '2',
} as const;

export type NonceSuffix = (typeof NONCE_SUFFIXES)[keyof typeof NONCE_SUFFIXES];

/** The suffixes whose derivation travels as a Play Integrity nonce (padded base64url text). */
export type IntegrityNonceSuffix = typeof NONCE_SUFFIXES.integrity | typeof NONCE_SUFFIXES.playIntegrity;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The bytes of a nonce as the GMS wrote it (standard base64 with padding); undefined for any
 * other text, including non-canonical base64 (stray bits, missing padding).
 */
export function decodeNonce(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** SHA-256(nonce ‖ suffix). */
export function deriveNonce(nonce: Uint8Array, suffix: NonceSuffix): Buffer {
  return createHash('sha256').update(nonce).update(suffix, 'utf8').digest();
}

/** Whether `value` (a key attestation challenge, a CSR challengePassword, …) is the derivation for `suffix`; constant time. */
export function matchesDerivedNonce(nonce: Uint8Array, suffix: NonceSuffix, value: Uint8Array): boolean {
  const expected = deriveNonce(nonce, suffix);
  return value.length === expected.length && timingSafeEqual(expected, value);
}

/**
 * The derivation as a Play Integrity nonce: base64url *with* padding (Java's
 * Base64.getUrlEncoder()), which is how the reference client requests the verdict and the
 * reference GMS compares the verdict's nonce.
 */
export function integrityNonceText(nonce: Uint8Array, suffix: IntegrityNonceSuffix): string {
  const text = deriveNonce(nonce, suffix).toString('base64url');
  return text.padEnd(Math.ceil(text.length / 4) * 4, '=');
}

/** Whether a verdict's reported nonce is exactly `integrityNonceText` (no unpadded or standard-base64 variants). */
export function matchesIntegrityNonce(nonce: Uint8Array, suffix: IntegrityNonceSuffix, reported: string): boolean {
  const expected = Buffer.from(integrityNonceText(nonce, suffix), 'ascii');
  const actual = Buffer.from(reported, 'utf8');
  return actual.length === expected.length && timingSafeEqual(expected, actual);
}
