import { encodeName } from '../../../crypto/x509/certificate-builder.js';
import {
  caDirectoryContents,
  generateIssuingCa,
  IssuingCa,
  issuingCaFilesFromDirectory,
  type GeneratedCa,
  type IssuedCertificate,
  type IssuingCaFiles,
} from '../../../crypto/x509/issuing-ca.js';

/** How long a device's mTLS client certificate lasts unless configured otherwise (the reference GMS: 365 days). */
export const DEVICE_CERTIFICATE_VALIDITY_DAYS = 365;

export interface DeviceCaOptions {
  /** Validity of issued client certificates in days (whole, positive); capped by the intermediate's own end. */
  validityDays?: number;
}

/**
 * Keyward's DSR device CA: issues the mTLS client certificate of a registered device (RFC-01's
 * `{"cert": …}`) for the key of its checked CSR. Same hierarchy and leaf profile as the Warden
 * binding CA (root, issuing intermediate, keyUsage digitalSignature, extendedKeyUsage clientAuth,
 * SKI/AKI, CA:false, random serial); the subject is CN=<sub>, the device's key fingerprint, so the
 * certificate names the device whatever the client wrote in its CSR subject (the reference copies
 * that subject, challengePassword included).
 */
export class DeviceCa extends IssuingCa {
  readonly validityDays: number;

  constructor(files: IssuingCaFiles, options: DeviceCaOptions = {}) {
    super(files, 'device CA');
    const validityDays = options.validityDays ?? DEVICE_CERTIFICATE_VALIDITY_DAYS;
    if (!Number.isSafeInteger(validityDays) || validityDays < 1)
      throw new TypeError(`device CA: validityDays must be a positive whole number, not ${validityDays}`);
    this.validityDays = validityDays;
  }

  /** The client certificate for a device key (`spki`, DER) named by its `sub`, valid from `at`. */
  issueDeviceCertificate(request: { spki: Uint8Array; sub: string; at: number }): IssuedCertificate {
    return this.issue({
      spki: request.spki,
      subjectDer: encodeName([['2.5.4.3', request.sub]]),
      at: request.at,
      validityDays: this.validityDays,
    });
  }

  /** Intermediate and root as PEM: what a TLS listener or nginx needs to accept the device certificates. */
  get clientCaPem(): string {
    return this.intermediate.toPem() + this.root.toPem();
  }
}

/** A fresh device CA: root EC P-384 (10 years), intermediate EC P-256 (5 years). */
export const generateDeviceCa = (at: number, name = 'Keyward Device CA'): GeneratedCa => generateIssuingCa(at, name);

/** A new device CA as the contents of its directory, by file name. */
export const generateDeviceCaDirectory = (at: number, name?: string): Record<string, string> =>
  caDirectoryContents(generateDeviceCa(at, name));

/** The device CA of a directory's contents by file name (the root key is not needed). */
export const deviceCaFromDirectory = (files: Record<string, string>, options?: DeviceCaOptions): DeviceCa =>
  new DeviceCa(issuingCaFilesFromDirectory(files), options);
