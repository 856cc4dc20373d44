import { Type, type Static } from '@sinclair/typebox';
import { KeywardError, type ErrorCategory, type ErrorCode } from '../../errors.js';
import { toKeywardError, type ErrorReplyFormat } from '../../http-kit/error-replies.js';
import { MDVM_REFERENCE_CODES } from './codes.js';
import type { MdvmErrorCode } from './errors.js';

/** The reference MDVM's error body (MdvmErrorResponse), which wallet apps parse. */
export const MdvmErrorReply = Type.Object(
  {
    code: Type.String({ description: "Stable error code: the reference MDVM's where it has one." }),
    description: Type.Optional(Type.String({ description: 'Client-safe explanation.' })),
    timestamp: Type.String({
      description:
        "When the error occurred: UTC wall time as Java's LocalDateTime.toString() prints it (2025-01-24T10:00:00.123, no offset).",
    }),
    trace_id: Type.Optional(
      Type.String({ description: "The request id (the reply's X-Request-Id): quote it to the operator." }),
    ),
  },
  { description: 'Every MDVM wallet endpoint error has this shape.' },
);
export type MdvmErrorBody = Static<typeof MdvmErrorReply>;

/**
 * Java's LocalDateTime.toString() at millisecond precision, of the UTC wall time: seconds are
 * left out when they and the milliseconds are zero, the fraction when it is zero.
 */
export function referenceTimestamp(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  const minutes = iso.slice(0, 16);
  const seconds = iso.slice(17, 19);
  const millis = iso.slice(20, 23);
  if (millis !== '000') return `${minutes}:${seconds}.${millis}`;
  return seconds === '00' ? minutes : `${minutes}:${seconds}`;
}

/** The MDVM body for one request: its id is the trace_id, `now` the timestamp. */
export function mdvmErrorFormat(traceId: string, now: number): ErrorReplyFormat {
  return {
    body: (error): MdvmErrorBody => ({
      code: error.code,
      description: error.message,
      timestamp: referenceTimestamp(now),
      trace_id: traceId,
    }),
  };
}

const isReferenceCode = (code: ErrorCode): code is MdvmErrorCode => Object.hasOwn(MDVM_REFERENCE_CODES, code);

/** Keyward codes (challenges, signatures, platform verifiers, the framework) → the reference code they are reported as. */
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
  INTERNAL_ERROR: 'INTERNAL_SERVER_ERROR',
};

/**
 * Every MDVM failure as the reference reports it — its code and status — with the original
 * Keyward code kept in the log detail. Unlisted TRUST/TIME failures of the platform verifiers
 * (untrusted root, boot state, app identity, expired certificates, counters) are
 * SECURITY_VIOLATION (MdvmService reports malformed attestations so too); other malformed input
 * is BAD_REQUEST; unexpected failures INTERNAL_SERVER_ERROR. Conditions the reference lacks keep
 * Keyward's code and status (RENEWAL_CONFLICT, 404 and 415 of the framework, INTERNAL codes with
 * their own meaning such as REVOCATION_LIST_UNAVAILABLE).
 */
export function toMdvmError(thrown: unknown): KeywardError {
  const error = toKeywardError(thrown);
  if (isReferenceCode(error.code)) return rebuild(error, error.code, error.category);
  const translated = TRANSLATED[error.code];
  if (translated) return rebuild(error, translated, MDVM_REFERENCE_CODES[translated].category);
  if (error.category === 'INTERNAL' || error.status === 404 || error.status === 415) return error;
  const code = error.category === 'CONTENT' ? 'BAD_REQUEST' : 'SECURITY_VIOLATION';
  return rebuild(error, code, error.category === 'TIME' ? 'TRUST' : error.category);
}

function rebuild(error: KeywardError, code: MdvmErrorCode, category: ErrorCategory): KeywardError {
  const reference = MDVM_REFERENCE_CODES[code];
  if (error.code === code && error.status === reference.status && error.message === reference.description) return error;
  const detail = error.code === code ? error.detail : `${error.code}${error.detail ? `: ${error.detail}` : ''}`;
  return new KeywardError(category, code, reference.description, {
    status: reference.status,
    ...(detail ? { detail } : {}),
    cause: error.cause ?? error,
  });
}
