import { describe, expect, it } from 'vitest';
import { contentError, internalError, timeError, trustError } from '../../errors.js';
import { referenceTimestamp, toMdvmError } from './error-replies.js';
import { fromStore, mdvmError, type MdvmErrorCode } from './errors.js';

describe('MDVM errors', () => {
  it('are already in the reference form, so the route handler passes them on unchanged', () => {
    const cases: [MdvmErrorCode, string, number][] = [
      ['BAD_REQUEST', 'CONTENT', 400],
      ['CHALLENGE_EXPIRED', 'TIME', 400],
      ['SIGNATURE_VERIFICATION_FAILURE', 'TRUST', 401],
      ['SECURITY_VIOLATION', 'TRUST', 403],
      ['ACCOUNT_NOT_FOUND', 'CONTENT', 404],
      ['RENEWAL_CONFLICT', 'CONTENT', 409],
    ];
    for (const [code, category, status] of cases) {
      const error = mdvmError(code, 'for the log');
      expect([error.code, error.category, error.status, error.detail]).toEqual([code, category, status, 'for the log']);
      expect(toMdvmError(error)).toBe(error);
    }
  });

  it('report Keyward codes as the reference ones, keeping the original in the detail', () => {
    const translated = toMdvmError(
      trustError('PATCH_LEVEL_TOO_OLD', 'The patch level is too old.', { detail: '2020-01' }),
    );
    expect([translated.code, translated.status, translated.message, translated.detail]).toEqual([
      'OUTDATED_PATCH_LEVEL',
      403,
      "The device OS doesn't have the required security patches.",
      'PATCH_LEVEL_TOO_OLD: 2020-01',
    ]);
    expect(toMdvmError(contentError('MALFORMED_CERTIFICATE', 'x')).code).toBe('BAD_REQUEST');
    const expired = toMdvmError(timeError('CERTIFICATE_EXPIRED', 'x'));
    expect([expired.code, expired.category]).toEqual(['SECURITY_VIOLATION', 'TRUST']);
  });

  it('report unexpected failures as INTERNAL_SERVER_ERROR and store failures as DB_UNAVAILABLE, keeping the cause', async () => {
    const cause = new Error('boom');
    const internal = toMdvmError(cause);
    expect([internal.code, internal.status, internal.cause]).toEqual(['INTERNAL_SERVER_ERROR', 500, cause]);
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    const unavailable = toMdvmError(await fromStore(() => Promise.reject(refused)).catch((error: unknown) => error));
    expect([unavailable.code, unavailable.status, unavailable.cause]).toEqual(['DB_UNAVAILABLE', 503, refused]);
    const keyward = trustError('CHALLENGE_USED', 'used');
    expect(await fromStore(() => Promise.reject(keyward)).catch((error: unknown) => error)).toBe(keyward);
    const own = internalError('REVOCATION_LIST_UNAVAILABLE', 'x', { status: 503 });
    expect(toMdvmError(own)).toBe(own);
  });
});

describe('referenceTimestamp', () => {
  it("prints the UTC wall time as Java's LocalDateTime.toString() does at millisecond precision", () => {
    expect(referenceTimestamp(Date.UTC(2025, 0, 24, 10, 0, 0, 123))).toBe('2025-01-24T10:00:00.123');
    expect(referenceTimestamp(Date.UTC(2025, 0, 24, 10, 0, 7, 5))).toBe('2025-01-24T10:00:07.005');
    expect(referenceTimestamp(Date.UTC(2025, 0, 24, 10, 0, 7, 0))).toBe('2025-01-24T10:00:07');
    expect(referenceTimestamp(Date.UTC(2025, 0, 24, 10, 0, 0, 0))).toBe('2025-01-24T10:00');
    expect(referenceTimestamp(Date.UTC(2025, 11, 31, 23, 59, 0, 100))).toBe('2025-12-31T23:59:00.100');
  });
});
