import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decodeNonce } from '../../attestation/dsr/nonce-derivations.js';
import { signCompactJws } from '../../crypto/jose/compact-jws.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { mtlsKeyFingerprint } from '../../features/dsr/device-ca/key-fingerprint.js';
import { spkiOf } from '../../crypto/keys.js';

/**
 * The mTLS identity of a simulated DSR device: the P-256 key it registers (its fingerprint is the
 * tokens' `sub`), the client certificate the GMS issues for it, and the ES256 device-attestation
 * tokens signed with it (x5c = [client certificate]), as the reference clients send them.
 */
export class MtlsIdentity {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** base64 SHA-256 of the raw public key point: the tokens' `sub`. */
  readonly sub: string;
  private clientCertificate: Buffer | undefined;

  constructor() {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = keys.privateKey;
    this.publicKey = keys.publicKey;
    this.sub = mtlsKeyFingerprint(spkiOf(keys.publicKey));
  }

  get privateKeyPem(): string {
    return this.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  /** The client certificate (DER) accepted from the GMS; undefined before registration. */
  get certificate(): Buffer | undefined {
    return this.clientCertificate;
  }

  get certificatePem(): string | undefined {
    const der = this.clientCertificate;
    if (!der) return undefined;
    return `-----BEGIN CERTIFICATE-----\n${der
      .toString('base64')
      .match(/.{1,64}/g)!
      .join('\n')}\n-----END CERTIFICATE-----\n`;
  }

  /** Keeps the GMS's client certificate (DER, or base64 DER as register-device answers); TypeError if it is for another key. */
  accept(certificate: Uint8Array | string): Buffer {
    const der = typeof certificate === 'string' ? Buffer.from(certificate, 'base64') : Buffer.from(certificate);
    const parsed = parseCertificate(der, 'MALFORMED_CERTIFICATE', { cache: false });
    if (!Buffer.from(parsed.spki).equals(spkiOf(this.publicKey))) {
      throw new TypeError('the certificate is not for this device mTLS key');
    }
    this.clientCertificate = der;
    return der;
  }

  /** A device-attestation token: ES256 by the mTLS key, header {alg, x5c: [client certificate]}. */
  signAttestation(claims: object): string {
    const der = this.clientCertificate;
    if (!der) throw new TypeError('the device has no client certificate yet: register it first');
    return signCompactJws({ alg: 'ES256', x5c: [der.toString('base64')] }, claims, this.privateKey);
  }
}

/** The nonce bytes of a nonce as GET /dsr/nonce hands it out (padded standard base64); TypeError otherwise. */
export function nonceBytes(nonce: string): Buffer {
  const bytes = decodeNonce(nonce);
  if (!bytes) throw new TypeError('the nonce is not padded standard base64 as the GMS hands it out');
  return bytes;
}
