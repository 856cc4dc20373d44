import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../crypto/x509/certificate.js';
import { TrustAnchors, verifyChain } from '../../../crypto/x509/chain.js';
import { readName } from '../../../crypto/x509/names.js';
import { DeviceCa, deviceCaFromDirectory, generateDeviceCa, generateDeviceCaDirectory } from './device-ca.js';
import { mtlsKeyFingerprint } from './key-fingerprint.js';

const AT = Date.parse('2026-11-01T12:00:00Z');
const DAY = 86_400_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const generated = generateDeviceCa(AT, 'Test Device CA');
const device = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = device.publicKey.export({ type: 'spki', format: 'der' });
const sub = mtlsKeyFingerprint(spki);

describe('device CA', () => {
  it('issues a 365-day clientAuth certificate for the key, named by sub, chaining to the CA', () => {
    const ca = new DeviceCa(generated);
    const issued = ca.issueDeviceCertificate({ spki, sub, at: AT + 500 });
    const parsed = parseCertificate(issued.der);
    expect(Buffer.from(parsed.spki).equals(spki)).toBe(true);
    expect(parsed.notBefore).toBe(AT);
    expect(parsed.notAfter).toBe(AT + 365 * DAY);
    expect(issued.notAfter).toBe(parsed.notAfter);
    expect(readName(parsed.subjectDer)).toEqual([[{ type: '2.5.4.3', value: sub }]]);
    expect(parsed.isCa).toBe(false);
    expect(issued.serial).toMatch(/^[0-7][0-9a-f]{31}$/);

    const x509 = new X509Certificate(issued.der);
    expect(x509.keyUsage).toEqual([CLIENT_AUTH]);
    expect(x509.serialNumber.toLowerCase()).toBe(issued.serial);
    expect(x509.checkIssued(new X509Certificate(generated.intermediateCertificate))).toBe(true);
    expect(x509.verify(new X509Certificate(generated.intermediateCertificate).publicKey)).toBe(true);

    const anchors = new TrustAnchors(TrustAnchors.fromPem(generated.rootCertificate, 'device CA root'));
    const chain = verifyChain([parsed, ca.intermediate], { anchors, at: AT + DAY, maxLength: 3 });
    expect(chain).toBeDefined();
    expect(() => verifyChain([parsed, ca.intermediate], { anchors, at: AT + 366 * DAY, maxLength: 3 })).toThrow();

    const foreign = generateDeviceCa(AT);
    const foreignAnchors = new TrustAnchors(TrustAnchors.fromPem(foreign.rootCertificate, 'other'));
    expect(() => verifyChain([parsed, ca.intermediate], { anchors: foreignAnchors, at: AT, maxLength: 3 })).toThrow();
  });

  it('carries digitalSignature key usage, SKI of the device key and AKI of the intermediate', () => {
    const ca = new DeviceCa(generated);
    const parsed = parseCertificate(ca.issueDeviceCertificate({ spki, sub, at: AT }).der);
    const keyUsage = parsed.extension('2.5.29.15');
    expect(keyUsage?.critical).toBe(true);
    expect(Buffer.from(keyUsage!.value).toString('hex')).toBe('03020780');
    const ski = createHash('sha1')
      .update(spki.subarray(spki.length - 65))
      .digest('hex');
    expect(Buffer.from(parsed.extension('2.5.29.14')!.value).toString('hex')).toBe(`0414${ski}`);
    const intermediateSki = Buffer.from(ca.intermediate.extension('2.5.29.14')!.value).subarray(2).toString('hex');
    expect(Buffer.from(parsed.extension('2.5.29.35')!.value).toString('hex')).toBe(`30168014${intermediateSki}`);
  });

  it('takes the validity as a parameter, refuses a nonsensical one, and never outlives the intermediate', () => {
    const short = new DeviceCa(generated, { validityDays: 30 });
    expect(short.issueDeviceCertificate({ spki, sub, at: AT }).notAfter).toBe(AT + 30 * DAY);
    for (const validityDays of [0, -1, 1.5, Number.NaN])
      expect(() => new DeviceCa(generated, { validityDays })).toThrow(/validityDays/);
    const long = new DeviceCa(generated, { validityDays: 100_000 });
    expect(long.issueDeviceCertificate({ spki, sub, at: AT }).notAfter).toBe(long.intermediate.notAfter);
  });

  it('round-trips through its directory form and names itself in configuration errors', () => {
    const directory = generateDeviceCaDirectory(AT);
    const ca = deviceCaFromDirectory(directory, { validityDays: 7 });
    expect(ca.validityDays).toBe(7);
    expect(ca.root.subject).toBe('CN=Keyward Device CA Root, O=Keyward');
    expect(ca.clientCaPem).toBe(ca.intermediate.toPem() + ca.root.toPem());
    const other = generateDeviceCa(AT);
    expect(() => new DeviceCa({ ...generated, intermediateKey: other.intermediateKey })).toThrow(
      /^device CA: the intermediate key does not belong/,
    );
  });
});
