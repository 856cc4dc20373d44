import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as der from '../asn1/der-writer.js';
import { spkiOf } from '../keys.js';
import { parseCertificate, type ParsedCertificate } from './certificate.js';
import {
  buildCertificate,
  buildCrl,
  encodeName,
  extensions,
  keyIdentifier,
  signed,
  type Extension,
  type Signer,
} from './certificate-builder.js';
import { crlDistributionPoints, crlProblem, parseCrl } from './crl.js';
import { NAME_OIDS } from './names.js';

const DAY = 86_400_000;
const AT = Date.UTC(2025, 0, 15);

interface Authority {
  certificate: ParsedCertificate;
  signer: Signer;
}

function authority(name: string, key: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey) {
  const spki = spkiOf(key);
  const subjectDer = encodeName([[NAME_OIDS.CN, name]]);
  const signer: Signer = { key, subjectDer, keyIdentifier: keyIdentifier(spki) };
  const certificate = parseCertificate(
    buildCertificate(
      {
        serial: Buffer.of(1),
        subjectDer,
        spki,
        notBefore: AT - 365 * DAY,
        notAfter: AT + 365 * DAY,
        extensions: [extensions.basicConstraints(true), extensions.keyUsage(5, 6)],
      },
      signer,
    ),
    'MALFORMED_CERTIFICATE',
    { cache: false },
  );
  return { certificate, signer } satisfies Authority;
}

function issue(issuer: Authority, serial: Buffer, extra: Extension[] = []): ParsedCertificate {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return parseCertificate(
    buildCertificate(
      {
        serial,
        subjectDer: encodeName([[NAME_OIDS.CN, `leaf ${serial.toString('hex')}`]]),
        spki: spkiOf(publicKey),
        notBefore: AT - DAY,
        notAfter: AT + DAY,
        extensions: [extensions.basicConstraints(false), ...extra],
      },
      issuer.signer,
    ),
    'MALFORMED_CERTIFICATE',
    { cache: false },
  );
}

const times = { thisUpdate: AT - DAY, nextUpdate: AT + 7 * DAY, number: 42n };

describe('parseCrl', () => {
  const ca = authority('CRL test CA');
  const revoked = issue(ca, Buffer.from('00ff01', 'hex'));
  const kept = issue(ca, Buffer.from('0a0b0c', 'hex'));
  const crlDer = buildCrl(
    [
      { serial: 'ff01', revokedAt: AT - 2 * DAY, reason: 'keyCompromise' },
      { serial: '1234', revokedAt: AT - 3 * DAY },
    ],
    ca.signer,
    times,
  );

  it('reads issuer, update times, number, signature algorithm and the revoked serials with their dates and reasons', () => {
    const crl = parseCrl(crlDer, 'MALFORMED_CERTIFICATE');
    expect(crl.issuer).toBe('CN=CRL test CA');
    expect(Buffer.from(crl.issuerDer)).toEqual(Buffer.from(ca.certificate.subjectDer));
    expect(crl.thisUpdate).toBe(times.thisUpdate);
    expect(crl.nextUpdate).toBe(times.nextUpdate);
    expect(crl.number).toBe(42n);
    expect(crl.signatureAlgorithm).toBe('1.2.840.10045.4.3.2');
    expect([...crl.revoked.values()]).toEqual([
      { serial: 'ff01', revokedAt: AT - 2 * DAY, reason: 'keyCompromise' },
      { serial: '1234', revokedAt: AT - 3 * DAY },
    ]);
    expect(crl.revocationOf(revoked)).toEqual({ serial: 'ff01', revokedAt: AT - 2 * DAY, reason: 'keyCompromise' });
    expect(crl.revocationOf(kept)).toBeUndefined();
    expect(crl.unprocessedCritical).toEqual([]);
  });

  it('reads PEM, as bytes and as text', () => {
    const pem = `-----BEGIN X509 CRL-----\n${crlDer.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END X509 CRL-----\n`;
    expect(parseCrl(pem, 'MALFORMED_CERTIFICATE').revoked.size).toBe(2);
    expect(parseCrl(Buffer.from(pem), 'MALFORMED_CERTIFICATE').revoked.size).toBe(2);
  });

  it('reads a CRL that revokes nothing', () => {
    const crl = parseCrl(buildCrl([], ca.signer, times), 'MALFORMED_CERTIFICATE');
    expect(crl.revoked.size).toBe(0);
    expect(crlProblem(crl, ca.certificate, AT)).toBeUndefined();
  });

  it('refuses malformed input with the caller’s code', () => {
    for (const bad of [
      crlDer.subarray(0, crlDer.length - 1),
      Buffer.concat([crlDer, Buffer.of(0)]),
      Buffer.from('x'),
    ]) {
      expect(() => parseCrl(bad, 'METADATA_CRL_INVALID')).toThrow(
        expect.objectContaining({ category: 'CONTENT', code: 'METADATA_CRL_INVALID' }),
      );
    }
  });

  it('refuses a CRL whose inner and outer signature algorithms differ', () => {
    const crl = parseCrl(crlDer, 'MALFORMED_CERTIFICATE');
    const rsaAlgorithm = der.sequence(der.oid('1.2.840.113549.1.1.11'), der.nullValue());
    const forged = der.sequence(Buffer.from(crl.tbs), rsaAlgorithm, der.bitString(Buffer.from(crl.signature)));
    expect(() => parseCrl(forged, 'MALFORMED_CERTIFICATE')).toThrow(
      expect.objectContaining({ detail: expect.stringContaining('differs from the outer one') }),
    );
  });
});

describe('crlProblem', () => {
  const ca = authority('Issuing CA');
  const crl = parseCrl(buildCrl([{ serial: '05', revokedAt: AT - DAY }], ca.signer, times), 'MALFORMED_CERTIFICATE');

  it('accepts the issuer’s own CRL in force', () => {
    expect(crlProblem(crl, ca.certificate, AT)).toBeUndefined();
  });

  it('refuses a CRL of another issuer name', () => {
    const other = authority('Other CA', ca.signer.key);
    expect(crlProblem(crl, other.certificate, AT)?.kind).toBe('issuer');
  });

  it('refuses a CRL named for the issuer but signed by another key', () => {
    const impostor = authority('Issuing CA');
    expect(crlProblem(crl, impostor.certificate, AT)?.kind).toBe('signature');
  });

  it('refuses a CRL whose signed part was changed', () => {
    const original = Buffer.from(crl.der);
    // The last revocation date's seconds digit, inside the signed tbsCertList.
    const tampered = Buffer.from(original);
    const index = tampered.indexOf(Buffer.from('Z', 'latin1'), tampered.indexOf(Buffer.of(0x02, 0x01, 0x05)));
    tampered[index - 1] = tampered[index - 1] === 0x30 ? 0x31 : 0x30;
    expect(crlProblem(parseCrl(tampered, 'MALFORMED_CERTIFICATE'), ca.certificate, AT)?.kind).toBe('signature');
  });

  it('refuses RSA and EC signatures alike when the key does not match', () => {
    const rsa = authority('RSA CA', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const rsaCrl = parseCrl(buildCrl([], rsa.signer, times), 'MALFORMED_CERTIFICATE');
    expect(crlProblem(rsaCrl, rsa.certificate, AT)).toBeUndefined();
    const rsaImpostor = authority('RSA CA', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    expect(crlProblem(rsaCrl, rsaImpostor.certificate, AT)?.kind).toBe('signature');
  });

  it('refuses a CRL outside thisUpdate … nextUpdate', () => {
    expect(crlProblem(crl, ca.certificate, times.thisUpdate - 1)?.kind).toBe('notYetValid');
    expect(crlProblem(crl, ca.certificate, times.nextUpdate)).toBeUndefined();
    expect(crlProblem(crl, ca.certificate, times.nextUpdate + 1)?.kind).toBe('expired');
  });

  it('refuses a delta CRL (critical deltaCRLIndicator) and entries with unprocessed critical extensions', () => {
    const algorithm = der.sequence(der.oid('1.2.840.10045.4.3.2'));
    const extension = (oid: string, value: Buffer) =>
      der.sequence(der.oid(oid), der.boolean(true), der.octetString(value));
    const delta = der.sequence(
      der.integer(1),
      algorithm,
      ca.signer.subjectDer,
      der.time(times.thisUpdate),
      der.time(times.nextUpdate),
      der.explicit(0, der.sequence(extension('2.5.29.27', der.integer(41)))),
    );
    const deltaCrl = parseCrl(signed(delta, ca.signer.key), 'MALFORMED_CERTIFICATE');
    expect(deltaCrl.unprocessedCritical).toEqual(['2.5.29.27']);
    expect(crlProblem(deltaCrl, ca.certificate, AT)?.kind).toBe('unsupported');

    const indirect = der.sequence(
      der.integer(1),
      algorithm,
      ca.signer.subjectDer,
      der.time(times.thisUpdate),
      der.sequence(
        der.sequence(
          der.integer(7),
          der.time(AT - DAY),
          der.sequence(extension('2.5.29.29', der.sequence(der.element(2, true, 4, ca.signer.subjectDer)))),
        ),
      ),
    );
    const indirectCrl = parseCrl(signed(indirect, ca.signer.key), 'MALFORMED_CERTIFICATE');
    expect(indirectCrl.nextUpdate).toBeUndefined();
    expect(indirectCrl.revoked.get('7')?.revokedAt).toBe(AT - DAY);
    expect(crlProblem(indirectCrl, ca.certificate, AT)?.kind).toBe('unsupported');
  });
});

describe('crlDistributionPoints', () => {
  const ca = authority('DP CA');

  it('lists the fullName URIs of every distribution point in order', () => {
    const certificate = issue(ca, Buffer.of(9), [
      extensions.crlDistributionPoints('http://crl.example.test/ca.crl', 'https://backup.example.test/ca.crl'),
    ]);
    expect(crlDistributionPoints(certificate, 'MALFORMED_CERTIFICATE')).toEqual([
      'http://crl.example.test/ca.crl',
      'https://backup.example.test/ca.crl',
    ]);
  });

  it('is empty without the extension', () => {
    expect(crlDistributionPoints(issue(ca, Buffer.of(10)), 'MALFORMED_CERTIFICATE')).toEqual([]);
  });

  it('reads the distribution points of the FIDO conformance BLOB’s signer and its CA', () => {
    const jwt = readFileSync(new URL('../../../test/vectors/mds/conformance-fake-blob.jwt', import.meta.url), 'utf8');
    const header = JSON.parse(Buffer.from(jwt.slice(0, jwt.indexOf('.')), 'base64url').toString('utf8'));
    const chain = (header.x5c as string[]).map((b64) => parseCertificate(Buffer.from(b64, 'base64')));
    expect(chain.map((certificate) => crlDistributionPoints(certificate, 'MALFORMED_CERTIFICATE'))).toEqual([
      ['https://mds3.certinfra.fidoalliance.org/crl/MDSCA-1.crl'],
      ['https://mds3.certinfra.fidoalliance.org/crl/MDSROOT.crl'],
    ]);
  });
});
