import { createPublicKey, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CardTrust, cardUserId, verifyCardToken } from '../../attestation/dsr/health-card.js';
import { NONCE_SUFFIXES } from '../../attestation/dsr/nonce-derivations.js';
import { verifyIntegrityVerdict } from '../../attestation/dsr/play-integrity.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { outcome } from '../../../test/helpers/outcome.js';
import { simulatorAnchors, simulatorPlayIntegrityKeys } from '../roots.js';
import { simulatorCardAuthority, SimulatedHealthCard } from './health-card.js';
import { playIntegrityToken, simulatedVerdict, simulatorPlayIntegritySigningKeys } from './play-integrity-token.js';

const AT = Date.parse('2026-11-15T12:00:00Z');

describe('the shipped simulator DSR keys', () => {
  it('card CA: the committed key is the certificate key, on brainpoolP256r1, a CA', () => {
    const { certificate, privateKey } = simulatorCardAuthority();
    const parsed = parseCertificate(certificate);
    expect(parsed.curve).toBe('brainpoolP256r1');
    const publicSpki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    expect(Buffer.from(parsed.spki).equals(publicSpki)).toBe(true);
    expect(simulatorAnchors().dsrCards.map((anchor) => anchor.name)).toEqual([
      expect.stringMatching(/^SIMULATOR eGK card test CA/),
    ]);
  });

  it('Play Integrity: the committed signing and decryption keys match the published verification keys', async () => {
    const nonce = randomBytes(64);
    const token = await playIntegrityToken(simulatedVerdict({ nonce, suffix: NONCE_SUFFIXES.integrity, at: AT }));
    const expected = { nonce, suffix: NONCE_SUFFIXES.integrity, packageName: 'de.gematik.dsr.android', at: AT };
    await expect(verifyIntegrityVerdict(token, [simulatorPlayIntegrityKeys()], expected)).resolves.toMatchObject({
      deviceIntegrity: { deviceRecognitionVerdict: ['MEETS_DEVICE_INTEGRITY'] },
    });
    expect(simulatorPlayIntegritySigningKeys().decryptionKey.equals(simulatorPlayIntegrityKeys().decryptionKey)).toBe(
      true,
    );
  });
});

describe('SimulatedHealthCard', () => {
  it('signs BP256R1 tokens the card verifier trusts under the simulator CA, naming its KVNR', () => {
    const card = new SimulatedHealthCard();
    const trust = new CardTrust({ anchors: simulatorAnchors().dsrCards });
    const verified = verifyCardToken(card.sign({ hello: 'world' }), trust, AT);
    expect(verified.userId).toBe('X110000001');
    expect(verified.claims).toEqual({ hello: 'world' });
    expect(verified.header).toMatchObject({ alg: 'BP256R1', x5c: [card.certificate.toString('base64')] });
    expect(verified.certificate.subject).toContain('OU=109500969');
  });

  it('takes another KVNR, and its certificate can be pinned instead', () => {
    const card = new SimulatedHealthCard({ kvnr: 'A123456780' });
    expect(cardUserId(parseCertificate(card.certificate))).toBe('A123456780');
    const pinned = new CardTrust({ pinned: [card.certificate] });
    expect(verifyCardToken(card.sign({}), pinned, AT).trustedBy.kind).toBe('pinned');
    expect(outcome(() => verifyCardToken(new SimulatedHealthCard().sign({}), pinned, AT))).toBe(
      'TRUST DSR_CARD_UNTRUSTED',
    );
  });

  it('expires as configured', () => {
    const card = new SimulatedHealthCard({ notBefore: AT - 1000, notAfter: AT + 1000 });
    const trust = new CardTrust({ anchors: simulatorAnchors().dsrCards });
    expect(outcome(() => verifyCardToken(card.sign({}), trust, AT + 2000))).toBe('TIME DSR_CARD_EXPIRED');
  });
});
