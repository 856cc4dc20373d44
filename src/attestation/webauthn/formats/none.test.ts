import { describe, expect, it } from 'vitest';
import { isKeywardError } from '../../../errors.js';
import { formatContext, formatInput, registration } from '../../../../test/webauthn/build-registration.js';
import { noneFormat } from './none.js';

describe('none attestation (WebAuthn §8.7)', () => {
  it('has an empty statement, no trust path and attestation type none', () => {
    const made = registration('none', () => new Map());
    expect(noneFormat.verify(formatInput(made), formatContext())).toEqual({ attestationType: 'none', trustPath: [] });
  });

  it('refuses a statement that is not empty', () => {
    const made = registration('none', () => new Map<string, unknown>([['sig', new Uint8Array(8)]]));
    let error: unknown;
    try {
      noneFormat.verify(formatInput(made), formatContext());
    } catch (caught) {
      error = caught;
    }
    expect(isKeywardError(error) && [error.category, error.code]).toEqual([
      'CONTENT',
      'ATTESTATION_STATEMENT_MALFORMED',
    ]);
  });
});
