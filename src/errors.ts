import type { ErrorCode } from './error-codes.js';

/**
 * The one error type for untrusted input. Every failure a client can cause is a KeywardError
 * with a category, a stable code callers can switch on, a client-safe message and, separately,
 * a log-only detail. Programmer mistakes are TypeErrors and configuration mistakes ConfigErrors,
 * not KeywardErrors.
 */
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** Every code Keyward raises: the union of the areas' code tables. */
export type { ErrorCode };

/** Every category, in the order the error-reply schemas (Keyward's and Warden's) list them. */
export const ERROR_CATEGORIES = ['TRUST', 'TIME', 'CONTENT', 'INTERNAL'] as const;

/** The status a category answers with unless the error names another. */
export const DEFAULT_STATUS: Readonly<Record<ErrorCategory, number>> = {
  CONTENT: 400,
  TIME: 400,
  TRUST: 403,
  INTERNAL: 500,
};

export interface KeywardErrorOptions {
  /** Log-only detail: never sent to the client. */
  detail?: string;
  /** HTTP status when the category's default (CONTENT/TIME 400, TRUST 403, INTERNAL 500) does not fit. */
  status?: number;
  cause?: unknown;
}

/**
 * What one code means, for the error reference (docs/errors.md): the category it is usually
 * raised with, the HTTP status when the code always answers with one other than the category's
 * default, and what it means to a client or an operator.
 */
export interface CodeInfo {
  readonly category: ErrorCategory;
  readonly status?: number;
  readonly description: string;
}

/** Each area's codes: one table per area (src/error-codes.ts lists them). */
export type CodeTable = Readonly<Record<string, CodeInfo>>;

export class KeywardError extends Error {
  override readonly name = 'KeywardError';
  readonly category: ErrorCategory;
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly status: number;

  constructor(category: ErrorCategory, code: ErrorCode, message: string, options: KeywardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.category = category;
    this.code = code;
    this.detail = options.detail;
    this.status = options.status ?? DEFAULT_STATUS[category];
  }
}

export const contentError = (code: ErrorCode, message: string, options?: KeywardErrorOptions) =>
  new KeywardError('CONTENT', code, message, options);
export const trustError = (code: ErrorCode, message: string, options?: KeywardErrorOptions) =>
  new KeywardError('TRUST', code, message, options);
export const timeError = (code: ErrorCode, message: string, options?: KeywardErrorOptions) =>
  new KeywardError('TIME', code, message, options);
export const internalError = (code: ErrorCode, message: string, options?: KeywardErrorOptions) =>
  new KeywardError('INTERNAL', code, message, options);

export function isKeywardError(error: unknown): error is KeywardError {
  return error instanceof KeywardError;
}
