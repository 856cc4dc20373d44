import { verifyChain, type TrustAnchor, type TrustAnchors } from '../../crypto/chain.js';
import type { ParsedCertificate } from '../../crypto/certificate.js';
import { NAME_OIDS, attributeValues, readName } from '../../crypto/names.js';
import { trustError } from '../../errors.js';

/** Remote key provisioning's Google-operated CAs ("Droid CA2", "Droid CA3", O=Google LLC). */
function isDroidCa(name: Uint8Array): boolean {
  const rdns = readName(name);
  return attributeValues(rdns, NAME_OIDS.O).includes('Google LLC') && attributeValues(rdns, NAME_OIDS.CN).some((cn) => cn.startsWith('Droid CA'));
}

/** Per certificate, once (shared intermediates are parsed once per process and seen on every request). */
const droid = new WeakMap<ParsedCertificate, { subject: boolean; issuer: boolean }>();
function droidNames(certificate: ParsedCertificate) {
  let names = droid.get(certificate);
  if (!names) droid.set(certificate, (names = { subject: isDroidCa(certificate.subjectDer), issuer: isDroidCa(certificate.issuerDer) }));
  return names;
}

/** A remotely provisioned certificate: a Droid CA itself or the short-lived device certificate it issued. */
export const isRkpCertificate = (certificate: ParsedCertificate) => {
  const names = droidNames(certificate);
  return names.subject || names.issuer;
};

/** The short-lived per-device certificate RKP issues under a Droid CA: unique to one device, like the leaf. */
const isRkpDeviceCertificate = (certificate: ParsedCertificate) => {
  const names = droidNames(certificate);
  return !names.subject && names.issuer;
};

export interface AndroidChainOptions {
  hardwareAnchors: TrustAnchors;
  softwareAnchors: TrustAnchors;
  allowSoftwareAttestation: boolean;
  maxChainLength: number;
  ignoreLeafValidity: boolean;
  enforceIntermediateValidity: boolean;
  enforceRkpValidity: boolean;
}

export interface AndroidChain {
  anchor: TrustAnchor;
  software: boolean;
  rkp: boolean;
}

/**
 * Android's rules on top of generic path validation: the root is matched by key among
 * Google's hardware roots (and configured ones); software-attestation roots are recognised
 * and refused unless allowed; validity is checked per certificate kind (leaf, RKP, other).
 */
export function verifyAndroidChain(chain: readonly ParsedCertificate[], at: number, options: AndroidChainOptions): AndroidChain {
  // The leaf is the app's key: never an RKP certificate (and not worth decoding names for).
  const rkp = chain.slice(1).some(isRkpCertificate);
  const checkValidity = (index: number, certificate: ParsedCertificate) => {
    if (index === 0) return !options.ignoreLeafValidity;
    if (isRkpCertificate(certificate)) return options.enforceRkpValidity || options.enforceIntermediateValidity;
    return options.enforceIntermediateValidity;
  };
  // Shared CAs (batch intermediates, Droid CAs) are verified once per process; per-device certificates every time.
  const cacheable = (index: number, certificate: ParsedCertificate) => index > 0 && !isRkpDeviceCertificate(certificate);
  const top = chain[chain.length - 1];
  const software = top !== undefined && (options.softwareAnchors.matchKey(top) !== undefined || options.softwareAnchors.candidatesFor(top).length > 0);
  if (software) {
    const verified = verifyChain(chain, { anchors: options.softwareAnchors, at, maxLength: options.maxChainLength, checkValidity, cacheable });
    if (!options.allowSoftwareAttestation) {
      throw trustError('SOFTWARE_ATTESTATION_ROOT', 'The key was attested in software, not by secure hardware.', {
        detail: `chain ends in ${verified.anchor.name}`,
      });
    }
    return { anchor: verified.anchor, software: true, rkp };
  }
  const verified = verifyChain(chain, { anchors: options.hardwareAnchors, at, maxLength: options.maxChainLength, checkValidity, cacheable });
  return { anchor: verified.anchor, software: false, rkp };
}
