import { KeywardError } from '../../errors.js';
import { MDVM_REFERENCE_CODES } from './codes.js';

export type MdvmErrorCode = keyof typeof MDVM_REFERENCE_CODES;

/** A failure with one of the reference's codes, its status and its description; `detail` goes to the log only. */
export function mdvmError(code: MdvmErrorCode, detail?: string): KeywardError {
  const { category, status, description } = MDVM_REFERENCE_CODES[code];
  return new KeywardError(category, code, description, { status, ...(detail ? { detail } : {}) });
}
