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
  DSR_CLIENT_CERTIFICATE_MISSING: {
    category: 'TRUST',
    status: 401,
    description:
      "No client certificate: the route needs mutual TLS with the device's certificate, presented to Keyward's TLS listener or forwarded by a proxy in dsr.trustedProxies.",
  },
  DSR_CLIENT_CERTIFICATE_UNTRUSTED: {
    category: 'TRUST',
    status: 403,
    description: "The client certificate was not issued by this server's device CA, or is malformed.",
  },
  DSR_CLIENT_CERTIFICATE_EXPIRED: {
    category: 'TIME',
    status: 403,
    description: 'The client certificate has expired (or is not valid yet): register the device again.',
  },
  DSR_CLIENT_CERTIFICATE_MISMATCH: {
    category: 'TRUST',
    description:
      "The certificate the request names (the attestation token's x5c leaf, or the certificate an authorization code was issued over) is not the presented client certificate.",
  },
  DSR_ATTESTATION_TOKEN_MALFORMED: {
    category: 'CONTENT',
    description: 'The device-attestation token is not a compact JWS with alg ES256 and an x5c header.',
  },
  DSR_ATTESTATION_TOKEN_INVALID: {
    category: 'TRUST',
    description: "The device-attestation token's signature does not verify with the client certificate's key.",
  },
  DSR_SUB_MISMATCH: {
    category: 'TRUST',
    description: "The token's sub is not the fingerprint of the client certificate's key.",
  },
  DSR_REGISTRATION_UNKNOWN: {
    category: 'TRUST',
    status: 403,
    description: 'No registration exists for this device (it was never registered or has been deleted).',
  },
  DSR_REGISTRATION_CONFLICT: {
    category: 'CONTENT',
    status: 409,
    description:
      'The device key (or its App Attest key) is already registered to another user, or the App Attest key is registered elsewhere.',
  },
  DSR_PLATFORM_MISMATCH: {
    category: 'TRUST',
    description: "The token's platform is not the platform the device registered with.",
  },
  DSR_PACKAGE_MISMATCH: {
    category: 'TRUST',
    description: "The token's packageName is not the app the key attestation names.",
  },
  DSR_USER_MISMATCH: {
    category: 'TRUST',
    status: 403,
    description: "userIdentifier is not the user the presented client certificate's device is registered to.",
  },
  DSR_REQUEST_INVALID: {
    category: 'CONTENT',
    description:
      'The request lacks a required field or has one of the wrong type (token, codeChallenge, code, code_verifier, userIdentifier).',
  },
} as const satisfies CodeTable;
