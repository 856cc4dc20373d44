import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateDevelopmentTlsCertificate } from './tls-certificate.js';

describe('generateDevelopmentTlsCertificate', () => {
  const at = Date.parse('2026-12-03T12:00:00Z');
  const { certificate, key } = generateDevelopmentTlsCertificate(at, ['localhost', '127.0.0.1', '::1']);
  const x509 = new X509Certificate(certificate);

  it('names every host, IPv4 and IPv6 addresses as iPAddress entries', () => {
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkIP('::1')).toBe('::1');
    expect(x509.checkHost('example.com')).toBeUndefined();
    expect(x509.checkIP('127.0.0.2')).toBeUndefined();
  });

  it('is self-signed with the returned key, valid at its start, for server authentication', () => {
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(createPublicKey(createPrivateKey(key)).equals(x509.publicKey)).toBe(true);
    expect(Date.parse(x509.validFrom)).toBeLessThanOrEqual(at);
    expect(Date.parse(x509.validTo)).toBeGreaterThan(at + 365 * 86_400_000);
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x509.ca).toBe(false);
  });
});
