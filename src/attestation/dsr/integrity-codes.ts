import type { CodeTable } from '../../errors.js';

/** Play Integrity verdicts in DSR tokens, verified locally with the app's own keys ("manage responses yourself"). */
export const DSR_INTEGRITY_CODES = {
  DSR_INTEGRITY_MALFORMED: {
    category: 'CONTENT',
    description:
      'The integrity verdict is not a compact JWE (A256KW, A256GCM) holding an ES256 JWS with the Play Integrity payload.',
  },
  DSR_INTEGRITY_UNDECRYPTABLE: {
    category: 'TRUST',
    description: 'The integrity verdict does not decrypt with any configured Play Integrity decryption key.',
  },
  DSR_INTEGRITY_SIGNATURE_INVALID: {
    category: 'TRUST',
    description: 'The integrity verdict is not signed by a configured Play Integrity verification key.',
  },
  DSR_INTEGRITY_NONCE_MISMATCH: {
    category: 'TRUST',
    description: "The integrity verdict's requestDetails.nonce is not the expected derivation of the token's nonce.",
  },
  DSR_INTEGRITY_PACKAGE_MISMATCH: {
    category: 'TRUST',
    description: "The integrity verdict's requestPackageName is not the token's packageName.",
  },
  DSR_INTEGRITY_STALE: {
    category: 'TIME',
    description: "The integrity verdict's requestDetails.timestampMillis is too old or in the future.",
  },
} as const satisfies CodeTable;
