import type { FormatInput, FormatResult, FormatVerifier } from '../types.js';
import { statementMalformed } from './attestation-statement.js';

/** No attestation (WebAuthn §8.7): the statement is an empty map, and nothing vouches for the authenticator. */
export const noneFormat: FormatVerifier = {
  fmt: 'none',
  verify(input: FormatInput): FormatResult {
    if (input.attStmt.size !== 0)
      throw statementMalformed('none', `attStmt holds ${input.attStmt.size} entries, not none`);
    return { attestationType: 'none', trustPath: [] };
  },
};
