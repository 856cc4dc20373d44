import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as der from '../../src/crypto/asn1/der-writer.js';
import { BRAINPOOL_P256R1_OID } from '../../src/crypto/keys.js';
import { pemCertificates } from '../../src/crypto/x509/certificate.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
} from '../../src/crypto/x509/certificate-builder.js';
import { NAME_OIDS } from '../../src/crypto/x509/names.js';
import { readVector } from './vectors.js';

/** gematik's TEST-ONLY virtual health card (test/vectors/dsr/virtual-egk-bp256.*): certificate, private key, validity. */
export interface VirtualCard {
  der: Buffer;
  privateKey: KeyObject;
  notBefore: number;
  notAfter: number;
  /** The KVNR its subject names. */
  kvnr: string;
}

/** A brainpoolP256r1 private key from its scalar, as SEC1 DER (node:crypto has no brainpool JWKs). */
export function brainpoolPrivateKey(scalar: Buffer): KeyObject {
  const sec1 = der.sequence(der.integer(1), der.octetString(scalar), der.explicit(0, der.oid(BRAINPOOL_P256R1_OID)));
  return createPrivateKey({ key: sec1, format: 'der', type: 'sec1' });
}

export function virtualCard(): VirtualCard {
  const json = JSON.parse(readVector('dsr/virtual-egk-bp256.json'));
  return {
    der: pemCertificates(readVector('dsr/virtual-egk-bp256.pem'))[0]!,
    privateKey: brainpoolPrivateKey(Buffer.from(json.privateKeyScalarHex, 'hex')),
    notBefore: Date.parse(json.validFrom),
    notAfter: Date.parse(json.validTo),
    kvnr: 'X764228532',
  };
}

/** A registration-shaped claim set (the Android client's claims; values are placeholders). */
export const registrationClaims = (overrides: Record<string, unknown> = {}) => ({
  iss: 'TrustSDK_0.0.1',
  sub: Buffer.alloc(32, 7).toString('base64'),
  iat: Math.floor(Date.parse('2023-06-01T12:00:00Z') / 1000),
  type: 'android',
  nonce: Buffer.alloc(64, 1).toString('base64'),
  csr: 'MIIB',
  integrityVerdict: 'eyJ',
  packageName: 'de.gematik.dsr.android',
  attestCertChain: ['MIIC'],
  attestPublicKey: Buffer.alloc(32, 9).toString('base64'),
  ...overrides,
});

export interface TestCardPki {
  caDer: Buffer;
  caKey: KeyObject;
  cardDer: Buffer;
  cardKey: KeyObject;
}

const DAY = 86_400_000;

/**
 * A test card CA and a card issued under it, both on brainpoolP256r1 like the eGK PKI; the card's
 * subject carries `units` as its OUs (the insurer's number, then the KVNR).
 */
export function testCardPki(
  options: { units?: string[]; notBefore?: number; notAfter?: number; keyUsage?: number[]; cardCurve?: string } = {},
): TestCardPki {
  const ca = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
  const caSpki = ca.publicKey.export({ format: 'der', type: 'spki' });
  const caSubject = encodeName([
    [NAME_OIDS.C, 'DE'],
    [NAME_OIDS.CN, 'Keyward test eGK CA'],
  ]);
  const notBefore = options.notBefore ?? Date.parse('2020-01-01T00:00:00Z');
  const notAfter = options.notAfter ?? Date.parse('2030-01-01T00:00:00Z');
  const caDer = buildCertificate(
    {
      serial: randomSerial(),
      subjectDer: caSubject,
      spki: caSpki,
      notBefore: notBefore - DAY,
      notAfter: notAfter + DAY,
      extensions: [extensions.basicConstraints(true), extensions.keyUsage(5, 6)],
    },
    { key: ca.privateKey, subjectDer: caSubject, keyIdentifier: keyIdentifier(caSpki) },
  );
  const card = generateKeyPairSync('ec', { namedCurve: options.cardCurve ?? 'brainpoolP256r1' });
  const cardSpki = card.publicKey.export({ format: 'der', type: 'spki' });
  const cardDer = buildCertificate(
    {
      serial: randomSerial(),
      subjectDer: encodeName([
        [NAME_OIDS.C, 'DE'],
        ...(options.units ?? ['109500969', 'A123456780']).map((unit) => [NAME_OIDS.OU, unit] as const),
        [NAME_OIDS.CN, 'Erika Mustermann TEST-ONLY'],
      ]),
      spki: cardSpki,
      notBefore,
      notAfter,
      extensions: [extensions.basicConstraints(false), extensions.keyUsage(...(options.keyUsage ?? [0]))],
    },
    { key: ca.privateKey, subjectDer: caSubject, keyIdentifier: keyIdentifier(caSpki) },
  );
  return { caDer, caKey: ca.privateKey, cardDer, cardKey: card.privateKey };
}
