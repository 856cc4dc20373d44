import { parseCertificate } from '../../crypto/x509/certificate.js';
import { trustError } from '../../errors.js';
import type { AndroidPolicy } from '../android/policy.js';
import type { AndroidVerifier } from '../android/verify.js';
import type { AttestationResult } from '../result.js';
import { verifyWithChallenge } from '../android/verify-with-challenge.js';
import { platformFacts, type AndroidPlatformFacts } from './android-registration.js';
import { deriveNonce, NONCE_SUFFIXES } from './nonce-derivations.js';

/**
 * RFC-02 Android platform check: the client (poc-dsr-android KeyStoreUtils.getAttestationChain)
 * generates a fresh signing key with challenge SHA-256(nonce ‖ "1") under its attest key and
 * sends [fresh key certificate, …attest key chain] as attestationCertChain. Keyward requires the
 * certificate above the leaf to hold the attest key stored at registration, then verifies the
 * whole chain with the Android verifier (Google roots, revocation, ATTEST_KEY on the attest-key
 * certificate, device and app policy on the fresh key's record). The reference GMS leaves the
 * link to the registration open ("TBD", DSRGMS-45) and accepts any attested key; a client whose
 * device cannot use attest keys sends a plain chain, which is refused here, as its registration
 * (which needs the attest key) would have been.
 */
export interface AndroidDeviceAttestationInput {
  /** attestationCertChain (DER, leaf first). */
  chain: readonly Uint8Array[];
  /** The nonce bytes of the device-attestation token. */
  nonce: Uint8Array;
  /** The attest key's SubjectPublicKeyInfo (DER) stored at registration. */
  attestKeySpki: Uint8Array;
  /** Verification time, epoch ms. */
  at: number;
  policy?: AndroidPolicy;
}

export interface AndroidDeviceAttestationResult {
  facts: AndroidPlatformFacts;
  attestation: AttestationResult;
}

export async function verifyAndroidDeviceAttestation(
  verifier: AndroidVerifier,
  input: AndroidDeviceAttestationInput,
): Promise<AndroidDeviceAttestationResult> {
  const attestCertificateDer = input.chain[1];
  if (input.chain.length < 3 || !attestCertificateDer) {
    throw trustError(
      'DSR_ANDROID_FRESH_KEY_NOT_UNDER_ATTEST_KEY',
      'The fresh key is not attested under an attest key.',
      { detail: `chain of ${input.chain.length} certificates` },
    );
  }
  const attestCertificate = parseCertificate(attestCertificateDer, 'MALFORMED_CERTIFICATE', { cache: false });
  if (!Buffer.from(attestCertificate.spki).equals(Buffer.from(input.attestKeySpki))) {
    throw trustError(
      'DSR_ANDROID_ATTEST_KEY_NOT_REGISTERED',
      'The fresh key is not attested under the registered attest key.',
      { detail: `attest key SPKI SHA-256 ${attestCertificate.spkiFingerprint}` },
    );
  }
  const attestation = await verifyWithChallenge(
    verifier,
    {
      chain: input.chain,
      challenge: deriveNonce(input.nonce, NONCE_SUFFIXES.attest),
      at: input.at,
      ...(input.policy ? { policy: input.policy } : {}),
    },
    'DSR_ANDROID_FRESH_KEY_CHALLENGE_MISMATCH',
    'The fresh key was not generated for this nonce.',
  );
  // The verifier checks attest-key certificates only where a record continues the run from the leaf.
  const attestRecords = (attestation.facts as { attestKeyRecords?: { certificate: number }[] }).attestKeyRecords ?? [];
  if (!attestRecords.some((entry) => entry.certificate === 1)) {
    throw trustError(
      'DSR_ANDROID_FRESH_KEY_NOT_UNDER_ATTEST_KEY',
      'The fresh key is not attested under an attest key.',
      { detail: 'the certificate above the leaf carries no attestation record' },
    );
  }
  return { facts: platformFacts(attestation), attestation };
}
