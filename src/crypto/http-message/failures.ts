import { contentError, trustError } from '../../errors.js';

/** The errors of signature parsing and policy checks (verification failures are raised where they happen). */
export const malformed = (detail: string, cause?: unknown) =>
  contentError('SIGNATURE_MALFORMED', 'The HTTP message signature is malformed.', { detail, cause });
export const missing = (detail: string) =>
  contentError('SIGNATURE_MISSING', 'The HTTP message signature is missing.', { detail });
export const policyViolation = (detail: string) =>
  trustError('SIGNATURE_POLICY_VIOLATION', 'The HTTP message signature does not meet the policy.', { detail });
