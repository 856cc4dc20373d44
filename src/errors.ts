/**
 * The one error type for untrusted input. Every failure a client can cause is a KeywardError
 * with a category, a stable code callers can switch on, a client-safe message and, separately,
 * a log-only detail. Programmer and configuration mistakes are TypeErrors, not KeywardErrors.
 */
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** Every category, in the order the error-reply schemas (Keyward's and Warden's) list them. */
export const ERROR_CATEGORIES = ['TRUST', 'TIME', 'CONTENT', 'INTERNAL'] as const;

const DEFAULT_STATUS: Record<ErrorCategory, number> = {
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

export class KeywardError extends Error {
  override readonly name = 'KeywardError';
  readonly category: ErrorCategory;
  readonly code: string;
  readonly detail: string | undefined;
  readonly status: number;

  constructor(category: ErrorCategory, code: string, message: string, options: KeywardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.category = category;
    this.code = code;
    this.detail = options.detail;
    this.status = options.status ?? DEFAULT_STATUS[category];
  }
}

export const contentError = (code: string, message: string, options?: KeywardErrorOptions) =>
  new KeywardError('CONTENT', code, message, options);
export const trustError = (code: string, message: string, options?: KeywardErrorOptions) =>
  new KeywardError('TRUST', code, message, options);
export const timeError = (code: string, message: string, options?: KeywardErrorOptions) =>
  new KeywardError('TIME', code, message, options);
export const internalError = (code: string, message: string, options?: KeywardErrorOptions) =>
  new KeywardError('INTERNAL', code, message, options);

export function isKeywardError(error: unknown): error is KeywardError {
  return error instanceof KeywardError;
}
