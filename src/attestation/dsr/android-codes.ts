import type { CodeTable } from '../../errors.js';

/**
 * Codes of the Android platform checks of DSR (gematik RFC-01 registration, RFC-02 device
 * attestation): the attest key, the mTLS key's certificate issued under it, and the fresh key
 * attested under the registered attest key. Chain, record and policy failures keep the Android
 * key attestation codes.
 */
export const DSR_ANDROID_CODES = {
  DSR_ANDROID_ATTEST_KEY_CHALLENGE_MISMATCH: {
    category: 'CONTENT',
    description:
      'The attest key (attestCertChain) was not generated with this registration nonce: its challenge is not SHA-256(nonce ‖ "ATTEST").',
  },
  DSR_ANDROID_ATTEST_KEY_PURPOSE: {
    category: 'TRUST',
    description: 'The key of attestCertChain is not an attestation key: its only purpose must be ATTEST_KEY.',
  },
  DSR_ANDROID_ATTEST_PUBLIC_KEY_MISMATCH: {
    category: 'CONTENT',
    description: 'The attestPublicKey claim is not the SHA-256 of the public key in attestCertChain.',
  },
  DSR_ANDROID_SUBJECT_CERT_NOT_UNDER_ATTEST_KEY: {
    category: 'TRUST',
    description: 'The mTLS key certificate (subjectCert) is not signed by the attest key of attestCertChain.',
  },
  DSR_ANDROID_MTLS_KEY_CHALLENGE_MISMATCH: {
    category: 'CONTENT',
    description:
      'The mTLS key (subjectCert) was not generated with this registration nonce: its challenge is not SHA-256(nonce ‖ "KEYPAIR_MTLS").',
  },
  DSR_ANDROID_MTLS_KEY_PURPOSE: {
    category: 'TRUST',
    description: 'The mTLS key (subjectCert) is not a signing key (purpose SIGN, not ATTEST_KEY).',
  },
  DSR_ANDROID_SUB_MISMATCH: {
    category: 'CONTENT',
    description: 'The sub claim is not the fingerprint of the key attested in subjectCert.',
  },
  DSR_ANDROID_CSR_KEY_MISMATCH: {
    category: 'CONTENT',
    description: 'The CSR requests a certificate for another key than the one attested in subjectCert.',
  },
  DSR_ANDROID_FRESH_KEY_NOT_UNDER_ATTEST_KEY: {
    category: 'TRUST',
    description:
      'The device attestation chain is not a fresh key certificate under an attest key certificate: the device did not use its attest key.',
  },
  DSR_ANDROID_ATTEST_KEY_NOT_REGISTERED: {
    category: 'TRUST',
    description:
      'The fresh key was attested under another attest key than the one registered for this device: register the device again.',
  },
  DSR_ANDROID_FRESH_KEY_CHALLENGE_MISMATCH: {
    category: 'CONTENT',
    description:
      'The fresh key of the device attestation was not generated with this nonce: its challenge is not SHA-256(nonce ‖ "1").',
  },
} as const satisfies CodeTable;
