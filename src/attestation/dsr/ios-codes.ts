import type { CodeTable } from '../../errors.js';

/**
 * Codes of the iOS platform checks of DSR (gematik RFC-01 registration, RFC-02 device
 * attestation): the App Attest attestation over the reference client's client data, and the
 * assertion by the registered App Attest key. Chain, receipt, app id and environment failures
 * keep the App Attest codes.
 */
export const DSR_IOS_CODES = {
  DSR_IOS_SUB_MISMATCH: {
    category: 'CONTENT',
    description:
      'The sub claim is not the SHA-256 of the public key (raw EC point) the CSR requests a certificate for.',
  },
  DSR_IOS_ATTESTATION_CHALLENGE_MISMATCH: {
    category: 'CONTENT',
    description:
      'The App Attest attestation was not made for this registration: its client data is not SHA-256(nonce ‖ "INTEGRITY") ‖ sub.',
  },
  DSR_IOS_KEY_ID_MISMATCH: {
    category: 'CONTENT',
    description:
      'The keyId claim is not the id (SHA-256 of the public key) of the key the App Attest attestation certifies.',
  },
  DSR_IOS_ASSERTION_INVALID: {
    category: 'TRUST',
    description:
      'The App Attest assertion is not a signature by the registered App Attest key over SHA-256(nonce ‖ "1") ‖ sub.',
  },
  DSR_IOS_COUNTER_NOT_INCREASING: {
    category: 'TRUST',
    description:
      'The App Attest assertion counter is not greater than the last accepted one: a replayed assertion or a cloned key.',
  },
} as const satisfies CodeTable;
