import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spkiOf } from '../../../crypto/keys.js';
import { parseCertificate } from '../../../crypto/x509/certificate.js';
import { buildCertificate, encodeName, extensions, keyIdentifier } from '../../../crypto/x509/certificate-builder.js';
import { NAME_OIDS } from '../../../crypto/x509/names.js';
import { keyIdentifierOf } from './key-identifier.js';

const x5cOf = (name: string): string[] => {
  const jwt = readFileSync(new URL(`../../../../test/vectors/mds/${name}`, import.meta.url), 'utf8');
  return JSON.parse(Buffer.from(jwt.slice(0, jwt.indexOf('.')), 'base64url').toString('utf8')).x5c;
};

describe('keyIdentifierOf', () => {
  it('is the SHA-1 of the subjectPublicKey bits, as the real MDS certificates’ issuers computed their key identifiers', () => {
    const certificates = [...x5cOf('mds3-blob-2021-no9.jwt'), ...x5cOf('conformance-fake-blob.jwt')].map((b64) =>
      parseCertificate(Buffer.from(b64, 'base64')),
    );
    expect(certificates.map(keyIdentifierOf)).toEqual([
      '697b7a3c097a94a4673950841c8cf408f8322ac0',
      'ddb3e76da82ee8c54e6ecf74e6753c9415cee81d',
      'f97847127633ca6b004bea9d214ae3ede737c4aa',
      'a384a7a464a2893c0abf179ea20df0121aa6d7cb',
    ]);
    for (const certificate of certificates) {
      // The subjectKeyIdentifier extension: an OCTET STRING (04 14) around the 20 bytes.
      const extension = certificate.extension('2.5.29.14')!.value;
      expect(Buffer.from(extension.subarray(2)).toString('hex')).toBe(keyIdentifierOf(certificate));
    }
  });

  it('is computed from the key, never read from the subjectKeyIdentifier extension', () => {
    for (const pair of [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ]) {
      const spki = spkiOf(pair.publicKey);
      const subjectDer = encodeName([[NAME_OIDS.CN, 'U2F attestation']]);
      const certificate = parseCertificate(
        buildCertificate(
          {
            serial: Buffer.of(1),
            subjectDer,
            spki,
            notBefore: 0,
            notAfter: Date.UTC(2040, 0, 1),
            extensions: [extensions.subjectKeyIdentifier(Buffer.alloc(20, 0xab))],
          },
          { key: pair.privateKey, subjectDer, keyIdentifier: Buffer.alloc(20) },
        ),
      );
      const bits = certificate.publicKeyBits;
      expect(keyIdentifierOf(certificate)).toBe(createHash('sha1').update(bits).digest('hex'));
      expect(keyIdentifierOf(certificate)).toBe(keyIdentifier(spki).toString('hex'));
      expect(keyIdentifierOf(certificate)).not.toBe('ab'.repeat(20));
      // The bits exclude the BIT STRING's unused-bits byte: an EC point starts with 04.
      if (pair.publicKey.asymmetricKeyType === 'ec') expect([bits.length, bits[0]]).toEqual([65, 0x04]);
    }
  });
});
