import type { CodeTable } from '../../errors.js';

/**
 * The reference MDVM's error codes (what wallet apps switch on), with the status it answers
 * with; each description is Keyward's client message. RENEWAL_CONFLICT is Keyward's own (the
 * reference has no concurrent renewals).
 */
export const MDVM_REFERENCE_CODES = {
  BAD_REQUEST: { category: 'CONTENT', status: 400, description: 'The request is malformed.' },
  CHALLENGE_VERIFICATION_FAILURE: { category: 'CONTENT', status: 400, description: 'Invalid MDVM challenge.' },
  CHALLENGE_EXPIRED: { category: 'TIME', status: 400, description: 'Expired MDVM challenge.' },
  MALFORMED_KEY: {
    category: 'CONTENT',
    status: 400,
    description: 'The auth public key is malformed or not an EC P-256 key.',
  },
  CONTENT_LENGTH_EXCEEDED: { category: 'CONTENT', status: 400, description: 'The request body is too long.' },
  SIGNATURE_VERIFICATION_FAILURE: {
    category: 'TRUST',
    status: 401,
    description: 'HTTP message signature verification failed.',
  },
  WRONG_CONTENT_DIGEST: {
    category: 'TRUST',
    status: 401,
    description: "The Content-Digest header doesn't correspond to the request body.",
  },
  SECURITY_VIOLATION: {
    category: 'TRUST',
    status: 403,
    description: "The device doesn't meet the security requirements.",
  },
  OUTDATED_OS_VERSION: { category: 'TRUST', status: 403, description: 'The device OS version is no longer supported.' },
  OUTDATED_PATCH_LEVEL: {
    category: 'TRUST',
    status: 403,
    description: "The device OS doesn't have the required security patches.",
  },
  OUTDATED_APP_VERSION: {
    category: 'TRUST',
    status: 403,
    description: 'The wallet app version is no longer supported.',
  },
  INVALID_BOOTLOADER_STATE: { category: 'TRUST', status: 403, description: 'The device bootloader is unlocked.' },
  DEVICE_VULNERABLE_FIXABLE: {
    category: 'TRUST',
    status: 403,
    description: 'The device class is affected by a vulnerability a system update resolves.',
  },
  DEVICE_VULNERABLE_UNFIXABLE: {
    category: 'TRUST',
    status: 403,
    description: 'The device class is affected by a vulnerability no system update resolves.',
  },
  ACCOUNT_REVOKED: { category: 'TRUST', status: 403, description: 'The account is revoked.' },
  ACCOUNT_NOT_FOUND: { category: 'CONTENT', status: 404, description: 'No account with this id.' },
  KEY_ALREADY_REGISTERED: {
    category: 'CONTENT',
    status: 409,
    description: 'An account already exists for this auth key.',
  },
  INTERNAL_SERVER_ERROR: {
    category: 'INTERNAL',
    status: 500,
    description: 'An unexpected failure; the trace_id of the reply finds the logged cause.',
  },
  DB_UNAVAILABLE: {
    category: 'INTERNAL',
    status: 503,
    description: 'The database failed or could not be reached; try again later.',
  },
  RENEWAL_CONFLICT: {
    category: 'CONTENT',
    status: 409,
    description: 'Another renewal of this account completed meanwhile; request a new challenge and retry.',
  },
} as const satisfies CodeTable;

/** Keyward's own MDVM codes: mdvm_tokens, the revocation list, the relying-backend library and the operator API. */
export const MDVM_CODES = {
  MDVM_TOKEN_MALFORMED: {
    category: 'CONTENT',
    description: 'The mdvm_token is not a well-formed JWT with a parseable certificate chain.',
  },
  MDVM_TOKEN_INVALID: {
    category: 'TRUST',
    description: 'The mdvm_token is not signed by a trusted MDVM key or its claims do not fit.',
  },
  MDVM_TOKEN_EXPIRED: { category: 'TIME', description: 'The mdvm_token has expired: the wallet must renew it.' },
  MDVM_INSTANCE_REVOKED: { category: 'TRUST', description: 'The wallet instance is on the revocation list.' },
  HEADER_MISSING: {
    category: 'CONTENT',
    description:
      'A request checked by the relying-backend library lacks a required header (mdvm_token, Signature, Signature-Input) or repeats it.',
  },
  REVOCATION_LIST_MALFORMED: { category: 'CONTENT', description: 'The MDVM revocation list does not parse.' },
  REVOCATION_LIST_INVALID: {
    category: 'TRUST',
    description: 'The MDVM revocation list is not signed by a trusted MDVM key.',
  },
  VULNERABLE_CLASS_EXISTS: {
    category: 'CONTENT',
    status: 409,
    description: 'A vulnerable device class with this id exists (operator API).',
  },
  VULNERABLE_CLASS_UNKNOWN: {
    category: 'CONTENT',
    status: 404,
    description: 'No vulnerable device class has this id (operator API).',
  },
  LEAKED_KEY_EXISTS: {
    category: 'CONTENT',
    status: 409,
    description: 'This attestation key is already listed as leaked (operator API).',
  },
  LEAKED_KEY_UNKNOWN: {
    category: 'CONTENT',
    status: 404,
    description: 'This attestation key is not listed as leaked (operator API).',
  },
} as const satisfies CodeTable;
