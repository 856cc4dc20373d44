import { KeywardError, isKeywardError } from '../../errors.js';
import { MDVM_REFERENCE_CODES } from './codes.js';

export type MdvmErrorCode = keyof typeof MDVM_REFERENCE_CODES;

/** A failure with one of the reference's codes, its status and its description; `detail` goes to the log only. */
export function mdvmError(code: MdvmErrorCode, detail?: string, cause?: unknown): KeywardError {
  const { category, status, description } = MDVM_REFERENCE_CODES[code];
  return new KeywardError(category, code, description, {
    status,
    ...(detail ? { detail } : {}),
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Runs a store operation: a failure other than a KeywardError is the database's (the reference
 * answers its DataAccessException with 503 DB_UNAVAILABLE), kept as the cause for the log.
 */
export async function fromStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isKeywardError(error)) throw error;
    throw mdvmError('DB_UNAVAILABLE', error instanceof Error ? error.message : String(error), error);
  }
}
