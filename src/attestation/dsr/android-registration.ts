import { createHash } from 'node:crypto';
import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import { verifySignature } from '../../crypto/x509/signatures.js';
import { contentError, trustError } from '../../errors.js';
import { KEY_PURPOSE } from '../android/constants.js';
import { enforcedFact, type AndroidPolicy } from '../android/policy.js';
import type { AndroidVerifier } from '../android/verify.js';
import { verifyWithChallenge } from '../android/verify-with-challenge.js';
import type { AppIdentity, AttestationResult, BootState, SecurityLevel } from '../result.js';
import { deriveNonce, NONCE_SUFFIXES } from './nonce-derivations.js';
import type { AndroidRegistrationClaims } from './registration-claims.js';
import { constantTimeEqual } from '../../crypto/bytes.js';
import { sha256 } from '../../crypto/keys.js';

/**
 * RFC-01 Android platform checks: the two keys the reference client (poc-dsr-android
 * DeviceRegistrationUseCase, KeyStoreUtils) registers.
 *
 * - The attest key (claim attestCertChain, leaf first): generated with purpose ATTEST_KEY alone
 *   and challenge SHA-256(nonce ‖ "ATTEST") — the client's `attestNonce`. The reference GMS
 *   (AttestCertChainValidation via AndroidDeviceAttestation.registration) instead checks this
 *   chain's leaf against "KEYPAIR_MTLS" and `sub`, which only fits its older client where
 *   attestCertChain was the mTLS key's own chain; with the published client that check cannot
 *   pass, so Keyward follows the client.
 * - The mTLS key (claim subjectCert): generated with `setAttestKeyAlias`, so its certificate is
 *   signed by the attest key, carries challenge SHA-256(nonce ‖ "KEYPAIR_MTLS"), and its key is
 *   the CSR's and the one `sub` fingerprints.
 *
 * Both are verified with the Android verifier (Google roots, revocation, device/app policy):
 * the attest key's chain on its own, and the mTLS key as the chain [subjectCert, …attestCertChain],
 * whose record the policy then applies to (the attest-key certificate's record gets the device
 * checks and the ATTEST_KEY check as any attest-key certificate does).
 */

/** The attest key's challenge suffix as the reference client writes it (not among the GMS's NonceVerifier suffixes). */
export const ATTEST_KEY_NONCE_SUFFIX = 'ATTEST';

/** SHA-256(nonce ‖ "ATTEST"): the challenge of the attest key generated at registration. */
export const attestKeyChallenge = (nonce: Uint8Array): Buffer =>
  createHash('sha256').update(nonce).update(ATTEST_KEY_NONCE_SUFFIX, 'utf8').digest();

/** What a DSR registration keeps of an Android device (JSON-storable, no certificates). */
export interface AndroidPlatformFacts {
  securityLevel: SecurityLevel;
  keyStoreSecurityLevel: SecurityLevel | undefined;
  osVersion?: string;
  osPatchLevel?: string;
  vendorPatchLevel?: string;
  bootPatchLevel?: string;
  bootState?: BootState;
  app: AppIdentity;
  /** Name of the trust anchor the chain ends in. */
  anchor: string;
  rkp: boolean;
  attestationVersion: number;
}

export interface AndroidRegistrationInput {
  claims: AndroidRegistrationClaims;
  /** The CSR's SubjectPublicKeyInfo (DER), as the CSR checks read it. */
  csrSpki: Uint8Array;
  /** Verification time, epoch ms. */
  at: number;
  policy?: AndroidPolicy;
}

export interface AndroidRegistrationResult {
  /** The attest key's SubjectPublicKeyInfo (DER): store it, RFC-02 fresh keys must be attested under it. */
  attestKeySpki: Buffer;
  /** SHA-256 (hex) of attestKeySpki. */
  attestKeyFingerprint: string;
  /** The mTLS key's SubjectPublicKeyInfo (DER), equal to the CSR's. */
  mtlsKeySpki: Buffer;
  /** Platform facts of the mTLS key's attestation (its record, under the attest key). */
  facts: AndroidPlatformFacts;
  /** The verifier's full results: the mTLS key's chain and the attest key's own chain. */
  mtlsAttestation: AttestationResult;
  attestKeyAttestation: AttestationResult;
}

/** The leaf record's purposes as the verifier reads facts (hardware-enforced unless software attestation is allowed). */
export function leafPurposes(verifier: AndroidVerifier, result: AttestationResult): number[] {
  const record = (result.facts as { keyDescription: Parameters<typeof enforcedFact>[0] }).keyDescription;
  const purposes = enforcedFact(record, 'purposes', verifier.options.allowSoftwareAttestation);
  return Array.isArray(purposes) ? purposes.filter((value): value is number => typeof value === 'number') : [];
}

/** The facts worth keeping from a verified Android attestation. */
export function platformFacts(result: AttestationResult): AndroidPlatformFacts {
  const facts = result.facts as { rkp?: boolean; keyDescription?: { attestationVersion?: number } };
  return {
    securityLevel: result.securityLevel,
    keyStoreSecurityLevel: result.keyStoreSecurityLevel,
    ...(result.osVersion ? { osVersion: result.osVersion } : {}),
    ...(result.osPatchLevel ? { osPatchLevel: result.osPatchLevel } : {}),
    ...(result.vendorPatchLevel ? { vendorPatchLevel: result.vendorPatchLevel } : {}),
    ...(result.bootPatchLevel ? { bootPatchLevel: result.bootPatchLevel } : {}),
    ...(result.bootState ? { bootState: result.bootState } : {}),
    app: result.app,
    anchor: result.anchor,
    rkp: facts.rkp === true,
    attestationVersion: facts.keyDescription?.attestationVersion ?? 0,
  };
}

/**
 * Verifies the Android part of an RFC-01 registration, in order: the attest key's chain with
 * challenge SHA-256(nonce ‖ "ATTEST") → its only purpose is ATTEST_KEY → attestPublicKey is its
 * fingerprint → subjectCert is signed by it → the mTLS key's chain [subjectCert, …attestCertChain]
 * with challenge SHA-256(nonce ‖ "KEYPAIR_MTLS") → the mTLS key signs (no ATTEST_KEY) → `sub` is
 * its fingerprint → it is the CSR's key.
 */
export async function verifyAndroidRegistration(
  verifier: AndroidVerifier,
  input: AndroidRegistrationInput,
): Promise<AndroidRegistrationResult> {
  const { claims, at } = input;
  const policy = input.policy ? { policy: input.policy } : {};

  const attestKeyAttestation = await verifyWithChallenge(
    verifier,
    { chain: claims.attestCertChain, challenge: attestKeyChallenge(claims.nonce), at, ...policy },
    'DSR_ANDROID_ATTEST_KEY_CHALLENGE_MISMATCH',
    'The attest key was not generated for this registration nonce.',
  );
  const purposes = leafPurposes(verifier, attestKeyAttestation);
  if (purposes.length !== 1 || purposes[0] !== KEY_PURPOSE.ATTEST_KEY) {
    throw trustError('DSR_ANDROID_ATTEST_KEY_PURPOSE', 'The key of attestCertChain is not an attestation key.', {
      detail: `attest key purposes ${JSON.stringify(purposes)}`,
    });
  }
  const attestCertificate = parseCertificate(claims.attestCertChain[0]!, 'MALFORMED_CERTIFICATE', { cache: false });
  if (!constantTimeEqual(sha256(attestCertificate.publicKeyBits), claims.attestPublicKey)) {
    throw contentError(
      'DSR_ANDROID_ATTEST_PUBLIC_KEY_MISMATCH',
      'The attestPublicKey claim does not match the attest key.',
    );
  }

  const subject = parseCertificate(claims.subjectCert, 'MALFORMED_CERTIFICATE', { cache: false });
  assertIssuedBy(subject, attestCertificate);

  const mtlsAttestation = await verifyWithChallenge(
    verifier,
    {
      chain: [claims.subjectCert, ...claims.attestCertChain],
      challenge: deriveNonce(claims.nonce, NONCE_SUFFIXES.keypairMtls),
      at,
      ...policy,
    },
    'DSR_ANDROID_MTLS_KEY_CHALLENGE_MISMATCH',
    'The mTLS key was not generated for this registration nonce.',
  );
  const mtlsPurposes = leafPurposes(verifier, mtlsAttestation);
  if (!mtlsPurposes.includes(KEY_PURPOSE.SIGN) || mtlsPurposes.includes(KEY_PURPOSE.ATTEST_KEY)) {
    throw trustError('DSR_ANDROID_MTLS_KEY_PURPOSE', 'The mTLS key is not a signing key.', {
      detail: `mTLS key purposes ${JSON.stringify(mtlsPurposes)}`,
    });
  }
  if (!constantTimeEqual(sha256(subject.publicKeyBits), claims.sub)) {
    throw contentError('DSR_ANDROID_SUB_MISMATCH', 'The sub claim is not the fingerprint of the attested mTLS key.');
  }
  if (!constantTimeEqual(subject.spki, input.csrSpki)) {
    throw contentError('DSR_ANDROID_CSR_KEY_MISMATCH', 'The CSR is not for the attested mTLS key.');
  }

  const attestKeySpki = Buffer.from(attestCertificate.spki);
  return {
    attestKeySpki,
    attestKeyFingerprint: attestCertificate.spkiFingerprint,
    mtlsKeySpki: Buffer.from(subject.spki),
    facts: platformFacts(mtlsAttestation),
    mtlsAttestation,
    attestKeyAttestation,
  };
}

/** subjectCert's signature verifies with the attest key (checked before the chain, for a precise refusal). */
function assertIssuedBy(subject: ParsedCertificate, attestCertificate: ParsedCertificate): void {
  let valid = false;
  try {
    valid = verifySignature(subject.signatureAlgorithm, subject.tbs, subject.signature, attestCertificate.publicKey());
  } catch {
    valid = false;
  }
  if (!valid) {
    throw trustError(
      'DSR_ANDROID_SUBJECT_CERT_NOT_UNDER_ATTEST_KEY',
      'The mTLS key certificate is not signed by the attest key.',
      { detail: `subjectCert issuer ${subject.issuer}, attest key certificate subject ${attestCertificate.subject}` },
    );
  }
}
