import { describe, expect, it } from 'vitest';
import { contentError, timeError, trustError } from '../../errors.js';
import { toMdvmError } from './error-replies.js';
import { mdvmError, type MdvmErrorCode } from './errors.js';

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
});
