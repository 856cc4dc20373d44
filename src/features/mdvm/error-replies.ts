import { KeywardError, type ErrorCategory, type ErrorCode } from '../../errors.js';
import { toKeywardError } from '../../http-kit/error-replies.js';
import { MDVM_REFERENCE_CODES } from './codes.js';
import type { MdvmErrorCode } from './errors.js';

const isReferenceCode = (code: ErrorCode): code is MdvmErrorCode => Object.hasOwn(MDVM_REFERENCE_CODES, code);

/** Keyward codes (challenges, signatures, platform verifiers) → the reference code they are reported as. */
const TRANSLATED: Partial<Record<ErrorCode, MdvmErrorCode>> = {
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
  if (isReferenceCode(error.code)) return rebuild(error, error.code, error.category);
  const code = TRANSLATED[error.code] ?? (error.category === 'CONTENT' ? 'BAD_REQUEST' : 'SECURITY_VIOLATION');
  return rebuild(error, code, error.category === 'TIME' && code === 'SECURITY_VIOLATION' ? 'TRUST' : error.category);
}

function rebuild(error: KeywardError, code: MdvmErrorCode, category: ErrorCategory): KeywardError {
  const reference = MDVM_REFERENCE_CODES[code];
  if (error.code === code && error.status === reference.status && error.message === reference.description) return error;
  const detail = error.code === code ? error.detail : `${error.code}${error.detail ? `: ${error.detail}` : ''}`;
  return new KeywardError(category, code, reference.description, {
    status: reference.status,
    ...(detail ? { detail } : {}),
    cause: error,
  });
}
