import { ANDROID_CODES } from './attestation/android/codes.js';
import { APPLE_CODES } from './attestation/apple/codes.js';
import { CHALLENGE_CODES } from './challenges/codes.js';
import { CRYPTO_CODES } from './crypto/codes.js';
import type { CodeTable } from './errors.js';
import { MDVM_CODES, MDVM_REFERENCE_CODES } from './features/mdvm/codes.js';
import { WARDEN_CODES } from './features/warden/codes.js';
import { WARDEN_OPERATOR_CODES } from './features/warden/operator-codes.js';
import { HTTP_CODES } from './http/codes.js';

/** Every area's code table, in the order the error reference lists them. */
export const CODE_AREAS = [
  { area: 'http', title: 'HTTP layer', table: HTTP_CODES },
  { area: 'challenges', title: 'Challenges', table: CHALLENGE_CODES },
  { area: 'crypto', title: 'Certificates, keys and HTTP message signatures', table: CRYPTO_CODES },
  { area: 'android', title: 'Android key attestation', table: ANDROID_CODES },
  { area: 'apple', title: 'Apple App Attest', table: APPLE_CODES },
  { area: 'warden', title: 'Warden Supreme', table: WARDEN_CODES },
  { area: 'mdvm', title: 'MDVM', table: MDVM_CODES },
  { area: 'mdvm-reference', title: 'MDVM reference codes', table: MDVM_REFERENCE_CODES },
  { area: 'admin', title: 'Operator API', table: WARDEN_OPERATOR_CODES },
] as const satisfies readonly { area: string; title: string; table: CodeTable }[];

/** Every code Keyward raises: the union of the areas' tables. */
export type ErrorCode =
  | keyof typeof HTTP_CODES
  | keyof typeof CHALLENGE_CODES
  | keyof typeof CRYPTO_CODES
  | keyof typeof ANDROID_CODES
  | keyof typeof APPLE_CODES
  | keyof typeof WARDEN_CODES
  | keyof typeof MDVM_CODES
  | keyof typeof MDVM_REFERENCE_CODES
  | keyof typeof WARDEN_OPERATOR_CODES;
