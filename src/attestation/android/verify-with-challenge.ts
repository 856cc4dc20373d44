import { contentError, type ErrorCode, isKeywardError } from '../../errors.js';
import type { AttestationResult } from '../result.js';
import type { AndroidAttestationInput, AndroidVerifier } from './verify.js';

/**
 * Runs the Android verifier; its CHALLENGE_MISMATCH becomes the caller's `code`, saying which key
 * of a protocol had the wrong challenge (DSR's attest and mTLS keys, provisioning's CredentialKey).
 */
export async function verifyWithChallenge(
  verifier: AndroidVerifier,
  input: AndroidAttestationInput,
  code: ErrorCode,
  message: string,
): Promise<AttestationResult> {
  try {
    return await verifier.verify(input);
  } catch (error) {
    if (isKeywardError(error) && error.code === 'CHALLENGE_MISMATCH') {
      throw contentError(code, message, { ...(error.detail ? { detail: error.detail } : {}), cause: error });
    }
    throw error;
  }
}
