import type { KeyObject } from 'node:crypto';
import type { KeyDescription } from '../../../attestation/android/key-description.js';
import { enforcedFact, type AndroidPolicy } from '../../../attestation/android/policy.js';
import type { AndroidVerifier } from '../../../attestation/android/verify.js';
import { verifyWithChallenge } from '../../../attestation/android/verify-with-challenge.js';
import type { AttestationResult } from '../../../attestation/result.js';
import { publicKeyToCoseKey } from '../../../crypto/cose/cose-key.js';
import { sha256Hex, spkiOf } from '../../../crypto/keys.js';
import { parseCertificate } from '../../../crypto/x509/certificate.js';
import { contentError, trustError } from '../../../errors.js';

/**
 * The CredentialKey (PROTOCOLS.md §7): the key the Identity Credential HAL creates for one
 * credential, sent in SetCertificateChain as its Android key attestation chain. Verified in
 * order: the chain with Keyward's Android verifier (trust anchors, revocation, the device policy
 * `provisioning.android`) with challenge = the challenge of this session's ProvisioningResponse →
 * the leaf's record lists identityCredentialKey (tag 721) → the key is EC P-256 (its proofs are
 * ES256).
 *
 * Tag 721 is read as the verifier reads every key fact: from the hardware-enforced list, and from
 * the software-enforced one only where the verifier accepts software attestation at all.
 */

export interface CredentialKeyInput {
  /** credentialKeyCertificateChain split into DER certificates, leaf first. */
  chain: readonly Uint8Array[];
  /** The challenge sent in ProvisioningResponse. */
  challenge: Uint8Array;
  /** Verification time, epoch ms. */
  at: number;
  /** The device policy for provisioning (provisioning.android); the verifier's own when absent. */
  policy?: AndroidPolicy;
  /**
   * Require identityCredentialKey (tag 721) in the leaf's record (default true). Off only for
   * software keystores and simulators whose keys are not Identity Credential keys.
   */
  requireIdentityCredentialKey?: boolean;
}

export interface VerifiedCredentialKey {
  publicKey: KeyObject;
  /** The CredentialKey as CertifyAuthKeys, UpdateCredential and DeleteCredential send it. */
  coseKey: Map<number, number | Uint8Array>;
  /** SHA-256 (hex) of the key's SubjectPublicKeyInfo: what later flows look the credential up by. */
  fingerprint: string;
  /** Whether the record listed tag 721 (false only when not required). */
  identityCredentialKey: boolean;
  attestation: AttestationResult;
}

/** SHA-256 (hex) of a public key's SubjectPublicKeyInfo: the CredentialKey's identity across flows. */
export const credentialKeyFingerprint = (publicKey: KeyObject): string => sha256Hex(spkiOf(publicKey));

export async function verifyCredentialKey(
  verifier: AndroidVerifier,
  input: CredentialKeyInput,
): Promise<VerifiedCredentialKey> {
  const attestation = await verifyWithChallenge(
    verifier,
    { chain: input.chain, challenge: input.challenge, at: input.at, ...(input.policy ? { policy: input.policy } : {}) },
    'PROVISIONING_CREDENTIAL_KEY_CHALLENGE_MISMATCH',
    'The CredentialKey was not created for this session.',
  );

  const record = (attestation.facts as { keyDescription: KeyDescription }).keyDescription;
  const identityCredentialKey =
    enforcedFact(record, 'identityCredentialKey', verifier.options.allowSoftwareAttestation) === true;
  if (!identityCredentialKey && input.requireIdentityCredentialKey !== false) {
    throw trustError(
      'PROVISIONING_NOT_IDENTITY_CREDENTIAL_KEY',
      'The CredentialKey is not an Identity Credential key.',
      {
        detail: 'identityCredentialKey (tag 721) is not in the leaf record',
      },
    );
  }

  const leaf = parseCertificate(input.chain[0]!, 'MALFORMED_CERTIFICATE', { cache: false });
  if (leaf.keyAlgorithm !== 'EC' || leaf.curve !== 'P-256') {
    throw contentError('PROVISIONING_CREDENTIAL_KEY_UNSUPPORTED', 'The CredentialKey is not an EC P-256 key.', {
      detail: `CredentialKey ${leaf.keyAlgorithm} ${leaf.curve ?? ''}`.trim(),
    });
  }
  const publicKey = leaf.publicKey();
  return {
    publicKey,
    coseKey: publicKeyToCoseKey(publicKey),
    fingerprint: leaf.spkiFingerprint,
    identityCredentialKey,
    attestation,
  };
}
