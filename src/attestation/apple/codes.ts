import type { CodeTable } from '../../errors.js';

/** Codes of Apple App Attest: attestations, receipts, assertions and the stored keys behind them. */
export const APPLE_CODES = {
  APPLE_ATTESTATION_MALFORMED: {
    category: 'CONTENT',
    description: 'The App Attest attestation object does not parse.',
  },
  ATTESTATION_FORMAT_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'The attestation object is not in the apple-appattest format.',
  },
  NONCE_EXTENSION_MISSING: {
    category: 'CONTENT',
    description: 'The credential certificate carries no nonce extension.',
  },
  NONCE_EXTENSION_MALFORMED: {
    category: 'CONTENT',
    description: 'The nonce extension of the credential certificate does not parse.',
  },
  NONCE_MISMATCH: {
    category: 'CONTENT',
    description: 'The attestation was not made for this client data (challenge).',
  },
  KEY_ID_MISMATCH: { category: 'CONTENT', description: 'The attested key is not the key id the app named.' },
  AAGUID_UNKNOWN: {
    category: 'CONTENT',
    description: 'The attestation names no App Attest environment (development or production).',
  },
  ENVIRONMENT_NOT_ALLOWED: {
    category: 'TRUST',
    description:
      'The attestation comes from an App Attest environment the configuration does not accept (apple.environment).',
  },
  APP_ID_MISMATCH: {
    category: 'TRUST',
    description: 'The attestation or assertion was made for an app id that is not configured.',
  },
  COUNTER_NOT_ZERO: { category: 'CONTENT', description: 'The attestation counter is not zero.' },
  CREDENTIAL_ID_MISMATCH: { category: 'CONTENT', description: 'The credential id is not the key id.' },
  CREDENTIAL_KEY_MISMATCH: { category: 'CONTENT', description: 'The credential public key is not the attested key.' },
  RECEIPT_MALFORMED: { category: 'CONTENT', description: 'The App Attest receipt does not parse.' },
  RECEIPT_UNTRUSTED: { category: 'TRUST', description: 'The receipt is not signed by an Apple receipt authority.' },
  RECEIPT_SIGNATURE_INVALID: { category: 'TRUST', description: 'The receipt signature does not verify.' },
  RECEIPT_CERTIFICATE_NOT_VALID: {
    category: 'TIME',
    description: 'A certificate of the receipt is outside its validity period.',
  },
  RECEIPT_MISMATCH: { category: 'CONTENT', description: 'The receipt belongs to another attestation.' },
  CLIENT_DATA_MALFORMED: {
    category: 'CONTENT',
    description: 'The client data of an emulated key attestation is malformed.',
  },
  CLIENT_DATA_PURPOSE_MISMATCH: { category: 'CONTENT', description: 'The client data was made for another purpose.' },
  CLIENT_DATA_CHALLENGE_MISMATCH: {
    category: 'CONTENT',
    description: 'The client data was not made for this challenge.',
  },
  CLIENT_DATA_KEY_INVALID: {
    category: 'CONTENT',
    description: 'The public key bound in the client data is not a P-256 key.',
  },
  APPLE_ASSERTION_MALFORMED: { category: 'CONTENT', description: 'The App Attest assertion does not parse.' },
  ASSERTION_SIGNATURE_INVALID: { category: 'TRUST', description: 'The assertion is not signed by the attested key.' },
  COUNTER_NOT_INCREASING: {
    category: 'TRUST',
    description: 'The assertion counter did not increase: a replayed or cloned assertion.',
  },
  APP_ATTEST_KEY_UNKNOWN: {
    category: 'TRUST',
    description: 'No attested key with this key id is registered: attest the key first.',
  },
  KEY_ALREADY_REGISTERED: { category: 'CONTENT', status: 409, description: 'The key is already registered.' },
} as const satisfies CodeTable;
