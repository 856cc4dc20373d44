import type { CodeTable } from '../../errors.js';

/**
 * Codes of the health card behind a DSR device registration (gematik RFC-01): the BP256R1
 * registration token it signs, the card certificate's trust and validity, and the user id
 * (KVNR) read from it.
 */
export const DSR_CARD_CODES = {
  DSR_CARD_TOKEN_MALFORMED: {
    category: 'CONTENT',
    description:
      'The registration token is not a compact JWS of JSON objects with a parsable health card certificate in x5c, or uses a header extension (crit).',
  },
  DSR_CARD_TOKEN_ALGORITHM_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'The registration token is not signed with alg BP256R1 (ECDSA on brainpoolP256r1 with SHA-256).',
  },
  DSR_CARD_KEY_UNSUPPORTED: {
    category: 'CONTENT',
    description:
      'The certificate in the registration token does not hold an EC brainpoolP256r1 key, as health cards do.',
  },
  DSR_CARD_SIGNATURE_INVALID: {
    category: 'TRUST',
    description:
      'The registration token does not verify with the key of its health card certificate: it was altered or signed by another key.',
  },
  DSR_CARD_KEY_USAGE_INVALID: {
    category: 'TRUST',
    description: 'The health card certificate does not allow digital signatures (keyUsage without digitalSignature).',
  },
  DSR_CARD_UNTRUSTED: {
    category: 'TRUST',
    description:
      'The health card certificate neither chains to a configured card CA nor is a pinned card certificate (or no card trust is configured).',
  },
  DSR_CARD_EXPIRED: {
    category: 'TIME',
    description: 'The health card certificate (or its CA certificate) has expired.',
  },
  DSR_CARD_NOT_YET_VALID: {
    category: 'TIME',
    description: 'The health card certificate (or its CA certificate) is not valid yet; check the server clock.',
  },
  DSR_CARD_USER_ID_MISSING: {
    category: 'CONTENT',
    description:
      'The health card certificate names no user: no organizationalUnit of its subject starts with a letter (where the KVNR is).',
  },
} as const satisfies CodeTable;
