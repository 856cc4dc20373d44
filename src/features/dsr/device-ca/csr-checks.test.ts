import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveNonce } from '../../../attestation/dsr/nonce-derivations.js';
import * as der from '../../../crypto/asn1/der-writer.js';
import { encodeName, signed } from '../../../crypto/x509/certificate-builder.js';
import { KeywardError } from '../../../errors.js';
import { CHALLENGE_PASSWORD_OID, checkRegistrationCsr } from './csr-checks.js';
import { mtlsKeyFingerprint } from './key-fingerprint.js';

const nonce = randomBytes(64);
const csrPassword = deriveNonce(nonce, 'CSR_MTLS').toString('base64');
const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = device.publicKey.export({ type: 'spki', format: 'der' });

/** A PKCS#10 request as the reference clients build it: challengePassword in the subject, no attributes. */
function csrFor(
  options: {
    key?: { privateKey: KeyObject; publicKey: KeyObject };
    subject?: [string, string][];
    attributes?: Buffer[];
  } = {},
): Buffer {
  const key = options.key ?? device;
  const subject = options.subject ?? [
    ['2.5.4.6', 'DE'],
    ['2.5.4.10', 'TRUST_CLIENT'],
    ['2.5.4.3', 'TRUST_CLIENT'],
    [CHALLENGE_PASSWORD_OID, csrPassword],
  ];
  const info = der.sequence(
    der.integer(0),
    encodeName(subject),
    key.publicKey.export({ type: 'spki', format: 'der' }),
    der.element(2, true, 0, Buffer.concat(options.attributes ?? [])),
  );
  return signed(info, key.privateKey);
}

const passwordAttribute = (value: string) =>
  der.sequence(der.oid(CHALLENGE_PASSWORD_OID), der.setOf(der.utf8String(value)));

/** The fingerprint computed independently of mtlsKeyFingerprint: from the JWK's coordinates. */
function subFromJwk(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return createHash('sha256').update(point).digest('base64');
}

const sub = subFromJwk(device.publicKey);

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof KeywardError) return `${error.category} ${error.code}`;
    throw error;
  }
  return undefined;
}

describe('DSR registration CSR checks', () => {
  it('computes sub as base64 SHA-256 of the raw EC point (the reference), not of the whole SPKI', () => {
    expect(mtlsKeyFingerprint(spki)).toBe(sub);
    expect(sub).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(sub).not.toBe(createHash('sha256').update(spki).digest('base64'));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    expect(mtlsKeyFingerprint(p384.export({ type: 'spki', format: 'der' }))).toBe(subFromJwk(p384));
  });

  it('accepts the reference client form (challengePassword in the subject) and returns the key', () => {
    const checked = checkRegistrationCsr({ csr: csrFor().toString('base64'), sub, nonce });
    expect(Buffer.from(checked.spki).equals(spki)).toBe(true);
    expect(checked.sub).toBe(sub);
  });

  it('accepts a PKCS#9 challengePassword attribute (openssl form)', () => {
    const csr = csrFor({ subject: [['2.5.4.3', 'device']], attributes: [passwordAttribute(csrPassword)] });
    expect(checkRegistrationCsr({ csr: csr.toString('base64'), sub, nonce }).sub).toBe(sub);
  });

  it('refuses a wrong, missing or duplicated challengePassword', () => {
    const check = (csr: Buffer, withNonce = nonce) =>
      codeOf(() => checkRegistrationCsr({ csr: csr.toString('base64'), sub, nonce: withNonce }));
    expect(check(csrFor(), randomBytes(64))).toBe('TRUST DSR_CSR_CHALLENGE_MISMATCH');
    const keypairDerivation = deriveNonce(nonce, 'KEYPAIR_MTLS').toString('base64');
    expect(check(csrFor({ subject: [[CHALLENGE_PASSWORD_OID, keypairDerivation]] }))).toBe(
      'TRUST DSR_CSR_CHALLENGE_MISMATCH',
    );
    const hex = deriveNonce(nonce, 'CSR_MTLS').toString('hex');
    expect(check(csrFor({ subject: [[CHALLENGE_PASSWORD_OID, hex]] }))).toBe('TRUST DSR_CSR_CHALLENGE_MISMATCH');
    expect(check(csrFor({ subject: [[CHALLENGE_PASSWORD_OID, csrPassword.replace(/=$/, '')]] }))).toBe(
      'TRUST DSR_CSR_CHALLENGE_MISMATCH',
    );
    expect(check(csrFor({ subject: [['2.5.4.3', 'TRUST_CLIENT']] }))).toBe('CONTENT DSR_CSR_CHALLENGE_MISSING');
    expect(
      check(csrFor({ subject: [[CHALLENGE_PASSWORD_OID, csrPassword]], attributes: [passwordAttribute(csrPassword)] })),
    ).toBe('CONTENT DSR_CSR_CHALLENGE_MISSING');
  });

  it('refuses a tampered or unsigned request', () => {
    const csr = csrFor();
    const tampered = Buffer.from(csr);
    tampered[tampered.length - 1]! ^= 0x01;
    expect(codeOf(() => checkRegistrationCsr({ csr: tampered.toString('base64'), sub, nonce }))).toBe(
      'TRUST DSR_CSR_SIGNATURE_INVALID',
    );
    // The same request info signed by another key: the signature no longer matches the requested key.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const info = der.sequence(
      der.integer(0),
      encodeName([[CHALLENGE_PASSWORD_OID, csrPassword]]),
      spki,
      der.element(2, true, 0, Buffer.alloc(0)),
    );
    expect(
      codeOf(() => checkRegistrationCsr({ csr: signed(info, other.privateKey).toString('base64'), sub, nonce })),
    ).toBe('TRUST DSR_CSR_SIGNATURE_INVALID');
    expect(codeOf(() => checkRegistrationCsr({ csr: info.toString('base64'), sub, nonce }))).toBe(
      'TRUST DSR_CSR_SIGNATURE_INVALID',
    );
  });

  it('refuses a sub that is not the CSR key fingerprint', () => {
    const other = subFromJwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    for (const wrong of [other, sub.replace(/=$/, ''), Buffer.from(sub, 'base64').toString('hex'), ''])
      expect(codeOf(() => checkRegistrationCsr({ csr: csrFor().toString('base64'), sub: wrong, nonce }))).toBe(
        'TRUST DSR_CSR_SUB_MISMATCH',
      );
  });

  it('refuses malformed base64 or DER and keys other than EC P-256/P-384', () => {
    const csr = csrFor().toString('base64');
    // Truncated (not a whole number of base64 quanta) and with a base64url character: both malformed, whatever the key.
    expect(codeOf(() => checkRegistrationCsr({ csr: csr.slice(0, -1), sub, nonce }))).toBe('CONTENT MALFORMED_CSR');
    expect(codeOf(() => checkRegistrationCsr({ csr: `${csr.slice(0, 4)}-${csr.slice(5)}`, sub, nonce }))).toBe(
      'CONTENT MALFORMED_CSR',
    );
    expect(codeOf(() => checkRegistrationCsr({ csr: 'AAAA', sub, nonce }))).toBe('CONTENT MALFORMED_CSR');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(codeOf(() => checkRegistrationCsr({ csr: csrFor({ key: rsa }).toString('base64'), sub, nonce }))).toBe(
      'CONTENT DSR_CSR_KEY_UNSUPPORTED',
    );
  });
});
