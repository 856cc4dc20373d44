import type { CodeTable } from '../../errors.js';

/** DSR (gematik zero-trust) device tokens, PKCE and authorization codes. */
export const DSR_CODES = {
  DSR_TOKEN_MALFORMED: { category: 'CONTENT', description: 'The device token is not a well-formed JWT.' },
  DSR_TOKEN_INVALID: {
    category: 'TRUST',
    description:
      'The device token is not signed with ES256 by a configured GMS key (unknown kid, wrong alg, bad signature) or its claims do not fit.',
  },
  DSR_TOKEN_EXPIRED: {
    category: 'TIME',
    description: 'The device token has expired: the device must fetch a new one.',
  },
  DSR_TOKEN_NOT_YET_VALID: {
    category: 'TIME',
    description: 'The device token was issued in the future (beyond the tolerated clock skew).',
  },
  DSR_TOKEN_UNBOUND: {
    category: 'TRUST',
    description:
      "The device token's cnf x5t#S256 does not name the presented client certificate (or none was presented).",
  },
  DSR_PKCE_INVALID: {
    category: 'CONTENT',
    description:
      'The PKCE code_verifier or code_challenge is malformed (RFC 7636: 43–128 unreserved characters; challenge 43 base64url characters), or a method other than S256 was asked for.',
  },
  DSR_PKCE_MISMATCH: {
    category: 'TRUST',
    status: 400,
    description: 'The code_verifier does not hash to the code_challenge the authorization code was issued for.',
  },
  DSR_AUTH_CODE_INVALID: {
    category: 'CONTENT',
    description: 'The authorization code is malformed, unknown or was not issued by this service.',
  },
  DSR_AUTH_CODE_EXPIRED: {
    category: 'TIME',
    description: 'The authorization code has expired: attest the device again.',
  },
  DSR_AUTH_CODE_USED: {
    category: 'TRUST',
    status: 400,
    description: 'The authorization code has already been exchanged for a device token.',
  },
} as const satisfies CodeTable;
