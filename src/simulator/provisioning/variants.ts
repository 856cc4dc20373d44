import type { ProofOfBindingVariant } from './auth-key-certificate.js';
import type { AuthKeyCertsForm } from './request-messages.js';

/**
 * How the simulated holder deviates from an honest Android holder, for negative tests, and the
 * wire-format choices the deployed apps differ in. Every default is the honest, current app.
 */
export interface HolderVariants {
  /** List identityCredentialKey (tag 721) in the CredentialKey attestation (default true). */
  identityCredentialKey?: boolean;
  /** 'wrong': attest the CredentialKey for a random challenge, not the ProvisioningResponse's. */
  attestationChallenge?: 'session' | 'wrong';
  /** 'wrong': sign ProofOfOwnership (and an included ProofOfDeletion challenge) over a random challenge. */
  proofChallenge?: 'session' | 'wrong';
  /** 'different': ProofOfProvisioning over data other than what was sent (its first value changed). */
  proofOfProvisioningData?: 'sent' | 'different';
  /**
   * 'foreign-announced': announce and sign with another P-256 key (a credential the issuer never
   * provisioned); 'foreign-signing': announce the real CredentialKey but sign proofs and
   * auth-key certificates with another key.
   */
  credentialKey?: 'own' | 'foreign-announced' | 'foreign-signing';
  /** Where the auth-key certificates carry ProofOfBinding, or a broken one (default 'octet-string', the HAL). */
  proofOfBinding?: ProofOfBindingVariant;
  /** authKeyCerts as an array of bstr (default, the current app) or one bstr holding it (older apps). */
  authKeyCertsForm?: AuthKeyCertsForm;
  /**
   * ProofOfDeletion's challenge: 'empty' (default, what the app signs), 'included' (the one sent
   * in DeleteCredentialReadyForDeletion), 'absent' (older devices: the three-element form),
   * 'wrong' (a random non-empty challenge, for negative tests).
   */
  deletionChallenge?: 'empty' | 'included' | 'absent' | 'wrong';
  /** Sign proofs with testCredential true (default false). */
  testCredential?: boolean;
}
