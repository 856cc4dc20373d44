import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeNonce,
  deriveNonce,
  integrityNonceText,
  matchesDerivedNonce,
  matchesIntegrityNonce,
  NONCE_SUFFIXES,
} from './nonce-derivations.js';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

describe('DSR nonce derivations', () => {
  const nonce = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff));
  const text = nonce.toString('base64');

  it('decodes only the canonical padded base64 the GMS hands out', () => {
    expect(decodeNonce(text)).toEqual(nonce);
    expect(text.endsWith('==')).toBe(true);
    for (const bad of [
      '',
      text.replace(/=+$/, ''),
      nonce.toString('base64url'),
      `${text.slice(0, -3)}B==`,
      `${text}\n`,
      ' ',
    ])
      expect(decodeNonce(bad), bad).toBeUndefined();
  });

  it('hashes nonce ‖ ASCII suffix for each suffix the reference GMS uses', () => {
    expect(Object.values(NONCE_SUFFIXES)).toEqual(['INTEGRITY', 'KEYPAIR_MTLS', 'CSR_MTLS', '1', '2']);
    for (const suffix of Object.values(NONCE_SUFFIXES)) {
      const derived = deriveNonce(nonce, suffix);
      expect(derived).toEqual(sha256(nonce, Buffer.from(suffix, 'ascii')));
      expect(matchesDerivedNonce(nonce, suffix, derived)).toBe(true);
      expect(matchesDerivedNonce(nonce, suffix, derived.subarray(1))).toBe(false);
      expect(matchesDerivedNonce(Buffer.alloc(64), suffix, derived)).toBe(false);
    }
    expect(deriveNonce(nonce, '1')).not.toEqual(deriveNonce(nonce, '2'));
    // A known answer (Python's hashlib), so a change in the concatenation order or the encoding shows.
    expect(deriveNonce(Buffer.alloc(64), 'KEYPAIR_MTLS').toString('hex')).toBe(
      'ce02d400183c8c9cea98eb93b426bcfc70c5ea6aa4c2291b5f19475498624c0f',
    );
  });

  it('compares Play Integrity nonces as padded base64url (Java Base64.getUrlEncoder)', () => {
    for (const suffix of [NONCE_SUFFIXES.playIntegrity, NONCE_SUFFIXES.integrity]) {
      const derived = deriveNonce(nonce, suffix);
      const expected = `${derived.toString('base64url')}=`;
      expect(integrityNonceText(nonce, suffix)).toBe(expected);
      expect(expected).toHaveLength(44);
      expect(matchesIntegrityNonce(nonce, suffix, expected)).toBe(true);
      expect(matchesIntegrityNonce(nonce, suffix, derived.toString('base64url'))).toBe(false);
      expect(matchesIntegrityNonce(nonce, suffix, derived.toString('base64'))).toBe(
        derived.toString('base64') === expected,
      );
      expect(matchesIntegrityNonce(nonce, suffix, '')).toBe(false);
    }
    expect(matchesIntegrityNonce(nonce, '2', integrityNonceText(nonce, 'INTEGRITY'))).toBe(false);
  });
});
