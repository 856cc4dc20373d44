import { KeywardError, type ErrorCategory } from '../../errors.js';
import { toKeywardError } from '../../http/errors.js';

/** The reference MDVM's error codes, their statuses and descriptions (what wallet apps switch on). */
const REFERENCE = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  CHALLENGE_VERIFICATION_FAILURE: { status: 400, message: 'Invalid MDVM challenge.' },
  CHALLENGE_EXPIRED: { status: 400, message: 'Expired MDVM challenge.' },
  MALFORMED_KEY: { status: 400, message: 'The auth public key is malformed or not an EC P-256 key.' },
  CONTENT_LENGTH_EXCEEDED: { status: 400, message: 'The request body is too long.' },
  SIGNATURE_VERIFICATION_FAILURE: { status: 401, message: 'HTTP message signature verification failed.' },
  WRONG_CONTENT_DIGEST: { status: 401, message: "The Content-Digest header doesn't correspond to the request body." },
  SECURITY_VIOLATION: { status: 403, message: "The device doesn't meet the security requirements." },
  OUTDATED_OS_VERSION: { status: 403, message: 'The device OS version is no longer supported.' },
  OUTDATED_PATCH_LEVEL: { status: 403, message: "The device OS doesn't have the required security patches." },
  OUTDATED_APP_VERSION: { status: 403, message: 'The wallet app version is no longer supported.' },
  INVALID_BOOTLOADER_STATE: { status: 403, message: 'The device bootloader is unlocked.' },
  DEVICE_VULNERABLE_FIXABLE: { status: 403, message: 'The device class is affected by a vulnerability a system update resolves.' },
  DEVICE_VULNERABLE_UNFIXABLE: { status: 403, message: 'The device class is affected by a vulnerability no system update resolves.' },
  ACCOUNT_REVOKED: { status: 403, message: 'The account is revoked.' },
  ACCOUNT_NOT_FOUND: { status: 404, message: 'No account with this id.' },
  KEY_ALREADY_REGISTERED: { status: 409, message: 'An account already exists for this auth key.' },
  RENEWAL_CONFLICT: { status: 409, message: 'Another renewal of this account completed meanwhile; request a new challenge and retry.' },
} satisfies Record<string, { status: number; message: string }>;

export type MdvmErrorCode = keyof typeof REFERENCE;

const referenceOf = (code: string): { status: number; message: string } | undefined => (REFERENCE as Record<string, { status: number; message: string }>)[code];

/** A failure with one of the reference's codes, its status and its description; `detail` goes to the log only. */
export function mdvmError(code: MdvmErrorCode, detail?: string): KeywardError {
  const { status, message } = REFERENCE[code];
  const category: ErrorCategory = code === 'CHALLENGE_EXPIRED' ? 'TIME' : status === 401 || status === 403 ? 'TRUST' : 'CONTENT';
  return new KeywardError(category, code, message, { status, ...(detail ? { detail } : {}) });
}

/** Keyward codes (challenges, signatures, platform verifiers) → the reference code they are reported as. */
const TRANSLATED: Record<string, string> = {
  CHALLENGE_TOKEN_INVALID: 'CHALLENGE_VERIFICATION_FAILURE',
  CHALLENGE_TOKEN_MALFORMED: 'CHALLENGE_VERIFICATION_FAILURE',
  CHALLENGE_UNKNOWN: 'CHALLENGE_VERIFICATION_FAILURE',
  CHALLENGE_USED: 'CHALLENGE_VERIFICATION_FAILURE',
  CHALLENGE_SUBJECT_MISMATCH: 'CHALLENGE_VERIFICATION_FAILURE',
  SIGNATURE_MISSING: 'SIGNATURE_VERIFICATION_FAILURE',
  SIGNATURE_MALFORMED: 'SIGNATURE_VERIFICATION_FAILURE',
  SIGNATURE_POLICY_VIOLATION: 'SIGNATURE_VERIFICATION_FAILURE',
  SIGNATURE_EXPIRED: 'SIGNATURE_VERIFICATION_FAILURE',
  SIGNATURE_NOT_YET_VALID: 'SIGNATURE_VERIFICATION_FAILURE',
  SIGNATURE_INVALID: 'SIGNATURE_VERIFICATION_FAILURE',
  CONTENT_DIGEST_MISSING: 'WRONG_CONTENT_DIGEST',
  CONTENT_DIGEST_MALFORMED: 'WRONG_CONTENT_DIGEST',
  CONTENT_DIGEST_MISMATCH: 'WRONG_CONTENT_DIGEST',
  BODY_TOO_LARGE: 'CONTENT_LENGTH_EXCEEDED',
  PATCH_LEVEL_TOO_OLD: 'OUTDATED_PATCH_LEVEL',
  OS_VERSION_TOO_OLD: 'OUTDATED_OS_VERSION',
  APP_VERSION_TOO_OLD: 'OUTDATED_APP_VERSION',
  BOOTLOADER_UNLOCKED: 'INVALID_BOOTLOADER_STATE',
};

/**
 * Every MDVM failure as the reference reports it — its code, status and description in
 * Keyward's error body — with the original Keyward code kept in the log detail. Unlisted
 * TRUST/TIME failures of the platform verifiers (untrusted root, boot state, app identity,
 * expired certificates, counters) are SECURITY_VIOLATION; malformed input is BAD_REQUEST;
 * INTERNAL errors pass unchanged.
 */
export function toMdvmError(thrown: unknown): KeywardError {
  const error = toKeywardError(thrown);
  if (error.category === 'INTERNAL' || error.status === 404 || error.status === 415) return error;
  if (referenceOf(error.code)) return rebuild(error, error.code, error.category);
  const code = TRANSLATED[error.code] ?? (error.category === 'CONTENT' ? 'BAD_REQUEST' : 'SECURITY_VIOLATION');
  return rebuild(error, code, error.category === 'TIME' && code === 'SECURITY_VIOLATION' ? 'TRUST' : error.category);
}

function rebuild(error: KeywardError, code: string, category: ErrorCategory): KeywardError {
  const reference = referenceOf(code)!;
  if (error.code === code && error.status === reference.status && error.message === reference.message) return error;
  const detail = error.code === code ? error.detail : `${error.code}${error.detail ? `: ${error.detail}` : ''}`;
  return new KeywardError(category, code, reference.message, { status: reference.status, ...(detail ? { detail } : {}), cause: error });
}
