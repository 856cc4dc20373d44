import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { registrationClaims, testCardPki, virtualCard } from '../../../test/helpers/dsr-card.js';
import { signBrainpoolJws } from '../../crypto/jose/brainpool-jws.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { TrustAnchors } from '../../crypto/x509/chain.js';
import { type ErrorCode, isKeywardError } from '../../errors.js';
import { CardTrust, cardUserId, verifyCardToken } from './health-card.js';

/** The code `run` throws, or 'ok'. */
function codeOf(run: () => unknown): ErrorCode | 'ok' {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (isKeywardError(error)) return error.code;
    throw error;
  }
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const INSIDE = Date.parse('2023-06-01T12:00:00Z');
const AFTER = Date.parse('2023-11-27T00:00:01Z');

describe('health card registration token (gematik virtual eGK)', () => {
  const card = virtualCard();
  const pinned = new CardTrust({ pinned: [card.der] });
  const token = signBrainpoolJws(registrationClaims(), card.privateKey, [card.der]);

  it('verifies a registration token signed by the pinned virtual card and reads the KVNR', () => {
    const verified = verifyCardToken(token, pinned, INSIDE);
    expect(verified.userId).toBe(card.kvnr);
    expect(verified.claims).toEqual(registrationClaims());
    expect(verified.header.alg).toBe('BP256R1');
    expect(verified.certificate.der.equals(card.der)).toBe(true);
    expect(verified.trustedBy).toEqual({ kind: 'pinned', fingerprint: verified.certificate.fingerprint });
  });

  it('reads the KVNR as the reference GMS does: the first OU starting with a letter', () => {
    const certificate = parseCertificate(card.der);
    expect(certificate.subject).toContain('OU=899077891, OU=X764228532');
    expect(cardUserId(certificate)).toBe('X764228532');
    const units = (units: string[]) => cardUserId(parseCertificate(testCardPki({ units }).cardDer));
    expect(units(['A123456780', 'B987654321'])).toBe('A123456780');
    expect(units(['109500969', '-x', 'Ä123456780', 'Z1'])).toBe('Ä123456780');
    expect(codeOf(() => units(['109500969']))).toBe('DSR_CARD_USER_ID_MISSING');
    expect(codeOf(() => units([]))).toBe('DSR_CARD_USER_ID_MISSING');
  });

  it('checks the pinned card at the given time: valid 2020-11-27..2023-11-27', () => {
    expect(codeOf(() => verifyCardToken(token, pinned, card.notBefore))).toBe('ok');
    expect(codeOf(() => verifyCardToken(token, pinned, card.notAfter))).toBe('ok');
    expect(codeOf(() => verifyCardToken(token, pinned, AFTER))).toBe('DSR_CARD_EXPIRED');
    expect(codeOf(() => verifyCardToken(token, pinned, card.notBefore - 1))).toBe('DSR_CARD_NOT_YET_VALID');
  });

  it('refuses a tampered payload, another algorithm and another key', () => {
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${b64url(registrationClaims({ nonce: 'AAAA' }))}.${signature}`;
    expect(codeOf(() => verifyCardToken(tampered, pinned, INSIDE))).toBe('DSR_CARD_SIGNATURE_INVALID');
    const es256 = signBrainpoolJws(registrationClaims(), card.privateKey, [card.der], { alg: 'ES256' });
    expect(codeOf(() => verifyCardToken(es256, pinned, INSIDE))).toBe('DSR_CARD_TOKEN_ALGORITHM_UNSUPPORTED');
    const stranger = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).privateKey;
    const forged = signBrainpoolJws(registrationClaims(), stranger, [card.der]);
    expect(codeOf(() => verifyCardToken(forged, pinned, INSIDE))).toBe('DSR_CARD_SIGNATURE_INVALID');
    expect(codeOf(() => verifyCardToken('not.a.token', pinned, INSIDE))).toBe('DSR_CARD_TOKEN_MALFORMED');
    const error = (() => {
      try {
        verifyCardToken(tampered, pinned, INSIDE);
      } catch (caught) {
        return caught;
      }
    })();
    expect(isKeywardError(error) && error.category).toBe('TRUST');
  });

  it('refuses a card key on another curve', () => {
    const pki = testCardPki({ cardCurve: 'prime256v1' });
    const trust = new CardTrust({ anchors: TrustAnchors.fromPem(parseCertificate(pki.caDer).toPem(), 'test eGK CA') });
    const header = b64url({ alg: 'BP256R1', x5c: [pki.cardDer.toString('base64')] });
    const payload = b64url(registrationClaims());
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: pki.cardKey,
      dsaEncoding: 'ieee-p1363',
    });
    expect(
      codeOf(() => verifyCardToken(`${header}.${payload}.${signature.toString('base64url')}`, trust, INSIDE)),
    ).toBe('DSR_CARD_KEY_UNSUPPORTED');
  });

  it('refuses a card that is neither pinned nor under a configured card CA', () => {
    expect(codeOf(() => verifyCardToken(token, new CardTrust(), INSIDE))).toBe('DSR_CARD_UNTRUSTED');
    const otherPin = new CardTrust({ pinned: [testCardPki().cardDer] });
    expect(codeOf(() => verifyCardToken(token, otherPin, INSIDE))).toBe('DSR_CARD_UNTRUSTED');
    const pki = testCardPki();
    const anchors = TrustAnchors.fromPem(parseCertificate(pki.caDer).toPem(), 'test eGK CA');
    expect(codeOf(() => verifyCardToken(token, new CardTrust({ anchors }), INSIDE))).toBe('DSR_CARD_UNTRUSTED');
  });

  it('a pin is byte for byte: a re-encoded or reissued certificate of the same key is not pinned', () => {
    const reissued = Buffer.from(card.der);
    reissued[reissued.length - 1]! ^= 1; // another signature value: another certificate, same key and subject
    const trust = new CardTrust({ pinned: [reissued] });
    expect(codeOf(() => verifyCardToken(token, trust, INSIDE))).toBe('DSR_CARD_UNTRUSTED');
  });
});

describe('health card under a card CA', () => {
  const pki = testCardPki({
    notBefore: Date.parse('2021-01-01T00:00:00Z'),
    notAfter: Date.parse('2026-01-01T00:00:00Z'),
  });
  const anchors = TrustAnchors.fromPem(parseCertificate(pki.caDer).toPem(), 'test eGK CA');
  const trust = new CardTrust({ anchors });
  const at = Date.parse('2024-05-01T00:00:00Z');

  it('accepts a card issued by a configured card CA, with or without the CA in x5c', () => {
    for (const chain of [[pki.cardDer], [pki.cardDer, pki.caDer]]) {
      const verified = verifyCardToken(signBrainpoolJws(registrationClaims(), pki.cardKey, chain), trust, at);
      expect(verified.userId).toBe('A123456780');
      expect(verified.trustedBy).toEqual({ kind: 'anchor', anchor: expect.stringContaining('test eGK CA') });
    }
  });

  it('maps chain failures to card codes', () => {
    const token = signBrainpoolJws(registrationClaims(), pki.cardKey, [pki.cardDer]);
    expect(codeOf(() => verifyCardToken(token, trust, Date.parse('2026-01-02T00:00:00Z')))).toBe('DSR_CARD_EXPIRED');
    expect(codeOf(() => verifyCardToken(token, trust, Date.parse('2020-12-01T00:00:00Z')))).toBe(
      'DSR_CARD_NOT_YET_VALID',
    );
    const foreign = testCardPki();
    const foreignToken = signBrainpoolJws(registrationClaims(), foreign.cardKey, [foreign.cardDer]);
    expect(codeOf(() => verifyCardToken(foreignToken, trust, at))).toBe('DSR_CARD_UNTRUSTED');
  });

  it('accepts a pinned card when card CAs are configured too, and a CA card without a pin', () => {
    const card = virtualCard();
    const both = new CardTrust({
      anchors: TrustAnchors.fromPem(parseCertificate(pki.caDer).toPem(), 'ca'),
      pinned: [card.der],
    });
    const virtual = signBrainpoolJws(registrationClaims(), card.privateKey, [card.der]);
    expect(verifyCardToken(virtual, both, Date.parse('2023-01-01T00:00:00Z')).trustedBy.kind).toBe('pinned');
    const underCa = signBrainpoolJws(registrationClaims(), pki.cardKey, [pki.cardDer]);
    expect(verifyCardToken(underCa, both, at).trustedBy.kind).toBe('anchor');
  });

  it('refuses a card certificate that may not sign (keyUsage without digitalSignature)', () => {
    const encipher = testCardPki({ keyUsage: [2] });
    const trustIt = new CardTrust({ pinned: [encipher.cardDer] });
    const token = signBrainpoolJws(registrationClaims(), encipher.cardKey, [encipher.cardDer]);
    expect(codeOf(() => verifyCardToken(token, trustIt, at))).toBe('DSR_CARD_KEY_USAGE_INVALID');
  });

  it('refuses a malformed pinned certificate at construction', () => {
    expect(codeOf(() => new CardTrust({ pinned: [Buffer.from('junk')] }))).toBe('MALFORMED_TRUST_ANCHOR');
  });
});
