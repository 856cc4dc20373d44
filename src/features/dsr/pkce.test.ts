import { describe, expect, it } from 'vitest';
import { outcome, rejection } from '../../../test/helpers/outcome.js';
import { parseCodeChallenge, pkceMatches, s256Challenge, verifyPkce } from './pkce.js';

// RFC 7636 Appendix B: the verifier is base64url of these 32 octets.
const RFC_OCTETS = [
  116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91,
  88, 5, 88, 83, 132, 141, 121,
];
const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE S256', () => {
  it('computes the RFC 7636 Appendix B challenge', () => {
    expect(Buffer.from(RFC_OCTETS).toString('base64url')).toBe(RFC_VERIFIER);
    expect(s256Challenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
    expect(pkceMatches(RFC_VERIFIER, RFC_CHALLENGE)).toBe(true);
    expect(() => verifyPkce(RFC_VERIFIER, RFC_CHALLENGE)).not.toThrow();
  });

  it('refuses another verifier for the challenge, and a challenge of another length', () => {
    const other = `${RFC_VERIFIER.slice(0, -1)}V`;
    expect(pkceMatches(other, RFC_CHALLENGE)).toBe(false);
    expect(pkceMatches(RFC_VERIFIER, `${RFC_CHALLENGE}=`)).toBe(false);
    expect(rejection(() => verifyPkce(other, RFC_CHALLENGE))).toMatchObject({ code: 'DSR_PKCE_MISMATCH', status: 400 });
  });

  it('accepts verifiers of 43..128 unreserved characters only', () => {
    expect(s256Challenge('a'.repeat(43))).toHaveLength(43);
    expect(s256Challenge(`${'-._~'.repeat(32)}`)).toHaveLength(43);
    for (const bad of [
      'a'.repeat(42),
      'a'.repeat(129),
      `${'a'.repeat(42)}+`,
      `${'a'.repeat(42)}=`,
      `${'a'.repeat(42)} `,
    ])
      expect(outcome(() => s256Challenge(bad))).toBe('CONTENT DSR_PKCE_INVALID');
    expect(outcome(() => s256Challenge(undefined as unknown as string))).toBe('CONTENT DSR_PKCE_INVALID');
  });

  it('accepts S256 challenges only: plain and other methods are refused', () => {
    expect(parseCodeChallenge(RFC_CHALLENGE)).toBe(RFC_CHALLENGE);
    expect(parseCodeChallenge(RFC_CHALLENGE, 'S256')).toBe(RFC_CHALLENGE);
    expect(outcome(() => parseCodeChallenge(RFC_VERIFIER, 'plain'))).toBe('CONTENT DSR_PKCE_INVALID');
    expect(outcome(() => parseCodeChallenge(RFC_CHALLENGE, 's256'))).toBe('CONTENT DSR_PKCE_INVALID');
    // A 43-character verifier passed off as a challenge: its last character carries bits a SHA-256 cannot have.
    expect(outcome(() => parseCodeChallenge(`${'a'.repeat(42)}b`))).toBe('CONTENT DSR_PKCE_INVALID');
    for (const bad of [RFC_CHALLENGE.slice(1), `${RFC_CHALLENGE}A`, RFC_CHALLENGE.replace('-', '+'), 42])
      expect(outcome(() => parseCodeChallenge(bad))).toBe('CONTENT DSR_PKCE_INVALID');
  });
});
