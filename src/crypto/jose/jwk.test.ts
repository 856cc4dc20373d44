import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { buildCertificate, encodeName, keyIdentifier } from '../x509/certificate-builder.js';
import { parseCertificate } from '../x509/certificate.js';
import { jwkThumbprint, spkiToJwk } from './jwk.js';

describe('public JWKs read from DER', () => {
  const issuer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const subjectDer = encodeName([['2.5.4.3', 'JWK test']]);
  const keys: [string, KeyObject][] = [
    ['EC P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
    ['EC P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
    ['EC P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey],
    ['RSA', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
    ['Ed25519', generateKeyPairSync('ed25519').publicKey],
  ];

  it.each(keys)(
    'match what node:crypto exports for %s, from an SPKI and from a parsed certificate',
    (_name, publicKey) => {
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const certificate = parseCertificate(
        buildCertificate(
          { serial: Buffer.of(1), subjectDer, spki, notBefore: 0, notAfter: 86_400_000, extensions: [] },
          { key: issuer, subjectDer, keyIdentifier: keyIdentifier(spki) },
        ),
        'MALFORMED_CERTIFICATE',
        { cache: false },
      );
      const expected = publicKey.export({ format: 'jwk' });
      expect(spkiToJwk(spki)).toEqual(expected);
      expect(certificate.publicKeyJwk()).toEqual(expected);
    },
  );

  it('are undefined for a compressed EC point, which JWK cannot carry without decompressing', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const compressed = Buffer.from(publicKey.export({ type: 'spki', format: 'der' }));
    const point = compressed.subarray(-65);
    const spki = Buffer.concat([
      Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
      Buffer.of(2 + (point[64]! & 1)),
      point.subarray(1, 33),
    ]);
    expect(spkiToJwk(spki)).toBeUndefined();
  });
});

describe('jwkThumbprint', () => {
  it('computes the RFC 7638 §3.1 example', () => {
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    expect(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB', alg: 'RS256', kid: '2011-04-29' } as never)).toBe(
      'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    );
  });

  it('agrees with jose for EC keys, whatever other members the JWK carries', async () => {
    for (const namedCurve of ['P-256', 'P-384']) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve });
      const jwk = spkiToJwk(publicKey.export({ type: 'spki', format: 'der' }))!;
      expect(jwkThumbprint({ ...jwk, kid: 'ignored', use: 'sig' } as never)).toBe(
        await calculateJwkThumbprint(jwk as never),
      );
    }
  });

  it('refuses key types without a defined thumbprint', () => {
    expect(() => jwkThumbprint({ kty: 'oct', k: 'AA' } as never)).toThrow('no JWK thumbprint for key type oct');
  });
});
