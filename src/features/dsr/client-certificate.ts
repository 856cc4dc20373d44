import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import { TrustAnchors, verifyChain } from '../../crypto/x509/chain.js';
import { isKeywardError, timeError, trustError } from '../../errors.js';
import type { DeviceCa } from './device-ca/device-ca.js';
import { mtlsKeyFingerprint } from './device-ca/key-fingerprint.js';
import { certificateThumbprint } from './device-token.js';

/** A client certificate issued by this server's device CA, checked at a request. */
export interface DeviceClientCertificate {
  certificate: ParsedCertificate;
  /** The device's `sub`: b64 SHA-256 of the certificate key's EC point. */
  sub: string;
  /** x5t#S256 of the certificate. */
  thumbprint: string;
}

const untrusted = (detail: string, cause?: unknown) =>
  trustError('DSR_CLIENT_CERTIFICATE_UNTRUSTED', 'The client certificate is not trusted.', { detail, cause });

/**
 * Checks presented client certificates (from Keyward's TLS listener or a trusted proxy) against
 * the device CA: issued by its intermediate, which the root signed, both valid at the request
 * time. The handshake does not decide this (the listener asks for any certificate), so a
 * certificate reaches the same check whichever way it came.
 */
export class DeviceCertificates {
  private readonly anchors: TrustAnchors;
  private readonly intermediate: ParsedCertificate;

  constructor(ca: DeviceCa) {
    this.anchors = new TrustAnchors([{ name: 'DSR device CA', certificate: ca.root }]);
    this.intermediate = ca.intermediate;
  }

  /** Throws DSR_CLIENT_CERTIFICATE_UNTRUSTED or DSR_CLIENT_CERTIFICATE_EXPIRED. */
  verify(der: Uint8Array, at: number): DeviceClientCertificate {
    let certificate: ParsedCertificate;
    try {
      certificate = parseCertificate(der, 'MALFORMED_CERTIFICATE', { cache: false });
    } catch (error) {
      throw untrusted('the client certificate does not parse', error);
    }
    try {
      verifyChain([certificate, this.intermediate], { anchors: this.anchors, at, maxLength: 3 });
    } catch (error) {
      if (isKeywardError(error) && error.category === 'TIME')
        throw timeError('DSR_CLIENT_CERTIFICATE_EXPIRED', 'The client certificate is not valid at this time.', {
          detail: error.detail ?? error.code,
        });
      throw untrusted(isKeywardError(error) ? `${error.code}: ${error.detail ?? error.message}` : String(error), error);
    }
    return {
      certificate,
      sub: mtlsKeyFingerprint(certificate.spki),
      thumbprint: certificateThumbprint(certificate.der),
    };
  }
}
