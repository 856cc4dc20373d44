import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeName } from '../../crypto/x509/certificate-builder.js';
import { describeName, readName } from '../../crypto/x509/names.js';
import { BindingCa, generateBindingCa } from './binding-ca.js';
import { defaultSubject, subjectFromTemplate } from './subject-template.js';
import { openssl, opensslResult } from '../../../test/warden/helpers.js';

const AT = Date.parse('2026-11-01T12:00:00Z');
const DAY = 86_400_000;

const generated = generateBindingCa(AT, 'Test Binding CA');
const ca = new BindingCa(generated);

describe('binding CA', () => {
  const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = device.publicKey.export({ type: 'spki', format: 'der' });
  const subjectDer = encodeName([
    ['2.5.4.3', 'Pixel of Ada'],
    ['2.5.4.5', 'AB01'],
  ]);

  it('issues a leaf for the key: random positive 16-byte serial, 30 days, clientAuth, SKI/AKI, CA:false, signed by the intermediate', () => {
    const issued = ca.issue({ spki, subjectDer, at: AT + 123, validityDays: 30 });
    const certificate = new X509Certificate(issued.der);
    const intermediate = new X509Certificate(generated.intermediateCertificate);
    expect(certificate.verify(intermediate.publicKey)).toBe(true);
    expect(certificate.checkIssued(intermediate)).toBe(true);
    expect(certificate.publicKey.export({ type: 'spki', format: 'der' }).equals(spki)).toBe(true);
    expect(certificate.ca).toBe(false);
    expect(issued.serial).toMatch(/^[0-7][0-9a-f]{31}$/);
    expect(certificate.serialNumber.toLowerCase()).toBe(issued.serial);
    expect(Date.parse(certificate.validFrom)).toBe(AT);
    expect(Date.parse(certificate.validTo)).toBe(AT + 30 * DAY);
    expect(certificate.subject).toBe('CN=Pixel of Ada\nserialNumber=AB01');

    const text = openssl(['x509', '-inform', 'DER', '-in', '@leaf.der', '-noout', '-text'], { 'leaf.der': issued.der });
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Client Authentication\n/);
    const ski = createHash('sha1')
      .update(spki.subarray(spki.length - 65))
      .digest('hex')
      .toUpperCase()
      .match(/../g)!
      .join(':');
    expect(text).toMatch(new RegExp(`X509v3 Subject Key Identifier:\\s+${ski}`));
    const intermediateSki = openssl(['x509', '-in', '@ca.pem', '-noout', '-ext', 'subjectKeyIdentifier'], {
      'ca.pem': generated.intermediateCertificate,
    })
      .split('\n')[1]!
      .trim();
    expect(text).toMatch(new RegExp(`X509v3 Authority Key Identifier:\\s+(keyid:)?${intermediateSki}`));
    expect(
      openssl(
        [
          'verify',
          '-CAfile',
          '@root.pem',
          '-untrusted',
          '@ca.pem',
          '-purpose',
          'sslclient',
          '-attime',
          String(AT / 1000 + 60),
          '@leaf.pem',
        ],
        {
          'root.pem': generated.rootCertificate,
          'ca.pem': generated.intermediateCertificate,
          'leaf.pem': certificate.toString(),
        },
      ),
    ).toContain(': OK');
  });

  it('gives every certificate its own serial and never outlives the intermediate', () => {
    const serials = new Set(
      Array.from({ length: 200 }, () => ca.issue({ spki, subjectDer, at: AT, validityDays: 1 }).serial),
    );
    expect(serials.size).toBe(200);
    const late = ca.issue({ spki, subjectDer, at: ca.intermediate.notAfter - DAY, validityDays: 30 });
    expect(late.notAfter).toBe(ca.intermediate.notAfter);
  });

  it('signs a CRL that openssl verifies, with reason codes where the reason is not unspecified', () => {
    const crl = ca.crl(
      [
        { serial: '0a0b0c', revokedAt: AT - DAY, reason: 'keyCompromise' },
        { serial: '7f00000000000000000000000000ffff', revokedAt: AT - 1000, reason: 'unspecified' },
      ],
      AT,
      24,
    );
    const text = openssl(['crl', '-inform', 'DER', '-in', '@crl.der', '-CAfile', '@ca.pem', '-noout', '-text'], {
      'crl.der': crl,
      'ca.pem': generated.intermediateCertificate,
    });
    expect(text).toMatch(
      /Serial Number: 0A0B0C\s+Revocation Date: [^\n]+\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Key Compromise/,
    );
    expect(text).toMatch(
      /Serial Number: 7F00000000000000000000000000FFFF\s+Revocation Date: [^\n]+\n(?!\s+CRL entry extensions)/,
    );
    expect(text).toMatch(/Next Update: Nov {2}2 12:00:00 2026 GMT/);
    expect(text).toContain('X509v3 CRL Number');
    // With -CAfile openssl checks the CRL's signature and reports it on stderr.
    const verify = (caCertificate: string) =>
      opensslResult(['crl', '-inform', 'DER', '-in', '@crl.der', '-CAfile', '@ca.pem', '-noout'], {
        'crl.der': crl,
        'ca.pem': caCertificate,
      });
    expect(verify(generated.intermediateCertificate).stderr).toContain('verify OK');
    expect(verify(generateBindingCa(AT).intermediateCertificate).stderr).not.toContain('verify OK');
  });

  it('refuses CA files that do not fit together, saying why', () => {
    const other = generateBindingCa(AT, 'Other CA');
    expect(() => new BindingCa({ ...generated, intermediateKey: other.intermediateKey })).toThrow(
      'the intermediate key does not belong to the intermediate certificate',
    );
    expect(() => new BindingCa({ ...generated, rootCertificate: other.rootCertificate })).toThrow(
      'the intermediate is not signed by the root',
    );
    expect(
      () => new BindingCa({ ...generated, rootCertificate: generated.rootCertificate + other.rootCertificate }),
    ).toThrow('each certificate file must hold exactly one certificate');
    expect(() => new BindingCa({ ...generated, intermediateKey: 'not a key' })).toThrow(
      'the intermediate key is not a PEM private key',
    );
    const leaf = new X509Certificate(ca.issue({ spki, subjectDer, at: AT, validityDays: 1 }).der);
    expect(
      () =>
        new BindingCa({
          ...generated,
          intermediateCertificate: leaf.toString(),
          intermediateKey: device.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        }),
    ).toThrow('root and intermediate must be CA certificates');
  });
});

describe('binding certificate subject template', () => {
  const NONCE = 'A1B2C3D4E5F60718';

  it('fills the device name, platform and policy into a DN', () => {
    const subject = subjectFromTemplate('CN=Attested {platform}: {deviceName}, O=Example Health, OU={policy}', {
      deviceName: 'Ada’s phone',
      platform: 'android',
      policy: 'clinic',
      nonce: NONCE,
    });
    expect(describeName(subject)).toBe('CN=Attested android: Ada’s phone, O=Example Health, OU=clinic');
  });

  it('names the platform when the device sent no name, and refuses unknown attributes', () => {
    expect(
      describeName(
        subjectFromTemplate('CN={deviceName}', {
          deviceName: undefined,
          platform: 'apple',
          policy: 'default',
          nonce: NONCE,
        }),
      ),
    ).toBe('CN=apple device');
    expect(() =>
      subjectFromTemplate('XX=1', { deviceName: undefined, platform: 'apple', policy: 'default', nonce: NONCE }),
    ).toThrow('unknown attribute XX');
  });

  it('keeps a device name inside its attribute, whatever it contains', () => {
    const subject = subjectFromTemplate('CN=Attested Client: {deviceName}, O=Example', {
      deviceName: 'x, O=Evil Corp, XX=1',
      platform: 'android',
      policy: 'default',
      nonce: NONCE,
    });
    expect(readName(subject)).toEqual([
      [{ type: '2.5.4.3', value: 'Attested Client: x, O=Evil Corp, XX=1' }],
      [{ type: '2.5.4.10', value: 'Example' }],
    ]);
  });

  it('fills the nonce in, and cuts CN values to RFC 5280’s 64 characters (by code point)', () => {
    const long = `${'é'.repeat(60)}😀😀😀😀😀`;
    const subject = subjectFromTemplate('CN={deviceName}, serialNumber={nonce}, OU={nonce}', {
      deviceName: long,
      platform: 'android',
      policy: 'default',
      nonce: NONCE,
    });
    expect(readName(subject)).toEqual([
      [{ type: '2.5.4.3', value: `${'é'.repeat(60)}😀😀😀😀` }],
      [{ type: '2.5.4.5', value: NONCE }],
      [{ type: '2.5.4.11', value: NONCE }],
    ]);
  });
});

describe('default binding certificate subject', () => {
  const NONCE = 'A1B2C3D4E5F60718';

  it('is the device name as CN and the nonce as serialNumber', () => {
    expect(
      readName(defaultSubject({ deviceName: 'Pixel of Ada', platform: 'android', policy: 'default', nonce: NONCE })),
    ).toEqual([[{ type: '2.5.4.3', value: 'Pixel of Ada' }], [{ type: '2.5.4.5', value: NONCE }]]);
  });

  it('leaves CN out when the request named no device', () => {
    expect(
      readName(defaultSubject({ deviceName: undefined, platform: 'apple', policy: 'default', nonce: NONCE })),
    ).toEqual([[{ type: '2.5.4.5', value: NONCE }]]);
  });

  it('cuts a long device name to 64 characters and keeps separators inside the CN', () => {
    const name = `Evil, O=Corp ${'x'.repeat(100)}`;
    expect(
      readName(defaultSubject({ deviceName: name, platform: 'android', policy: 'default', nonce: NONCE })),
    ).toEqual([[{ type: '2.5.4.3', value: name.slice(0, 64) }], [{ type: '2.5.4.5', value: NONCE }]]);
  });
});
