import { parseCertificate } from '../../crypto/x509/certificate.js';
import { assertChainLength, verifyChain, type TrustAnchor, type TrustAnchors } from '../../crypto/x509/chain.js';
import { contentError } from '../../errors.js';
import { ATTESTATION_MALFORMED } from './attestation-object.js';
import { readCredentialCertificate, type CredentialCertificate } from './credential-certificate.js';

export interface CredentialChainOptions {
  anchors: TrustAnchors;
  at: number;
  maxChainLength: number;
}

/**
 * docs/protocols/apple-app-attest.md step 1: credCert → "Apple App Attestation CA 1" → a trusted root, every
 * certificate within its validity. credCert is unique to each attestation and is parsed and
 * verified per request without touching a cache; the CAs above it repeat across devices and their
 * verified signatures are remembered. Signatures are checked before validity, so forged dates
 * read as forgery.
 */
export function verifyCredentialChain(
  x5c: readonly Uint8Array[],
  options: CredentialChainOptions,
): { credential: CredentialCertificate; anchor: TrustAnchor } {
  if (x5c.length < 2) {
    throw contentError(ATTESTATION_MALFORMED, 'The attestation is malformed.', {
      detail: 'x5c must hold credCert and its issuing CA',
    });
  }
  assertChainLength(x5c.length, options.maxChainLength);
  const credential = readCredentialCertificate(x5c[0]!);
  const issuers = x5c.slice(1).map((der) => parseCertificate(der));
  const { anchor } = verifyChain([credential.certificate, ...issuers], {
    anchors: options.anchors,
    at: options.at,
    maxLength: options.maxChainLength,
  });
  return { credential, anchor };
}
