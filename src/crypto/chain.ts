import { timeError, trustError, contentError } from '../errors.js';
import { parseCertificate, pemCertificates, type ParsedCertificate } from './certificate.js';
import { verifySignature } from './signatures.js';

/** A trusted public key, matched by SubjectPublicKeyInfo — not by certificate bytes — so reissued or expired root certificates of the same key still anchor. */
export interface TrustAnchor {
  name: string;
  certificate: ParsedCertificate;
}

export class TrustAnchors {
  private readonly bySpki = new Map<string, TrustAnchor>();
  private readonly bySubject = new Map<string, TrustAnchor[]>();

  constructor(anchors: Iterable<TrustAnchor>) {
    for (const anchor of anchors) {
      this.bySpki.set(anchor.certificate.spkiFingerprint, anchor);
      const subject = anchor.certificate.subjectId;
      this.bySubject.set(subject, [...(this.bySubject.get(subject) ?? []), anchor]);
    }
  }

  /** Every certificate of a PEM bundle becomes an anchor named `name` (with its subject). */
  static fromPem(pem: string, name: string): TrustAnchor[] {
    return pemCertificates(pem).map((der) => {
      const certificate = parseCertificate(der, 'MALFORMED_TRUST_ANCHOR');
      return { name: `${name}: ${certificate.subject}`, certificate };
    });
  }

  get size(): number {
    return this.bySpki.size;
  }

  matchKey(certificate: ParsedCertificate): TrustAnchor | undefined {
    return this.bySpki.get(certificate.spkiFingerprint);
  }

  /** Anchors named as `certificate`'s issuer. */
  candidatesFor(certificate: ParsedCertificate): TrustAnchor[] {
    return this.bySubject.get(certificate.issuerId) ?? [];
  }
}

export interface ChainOptions {
  anchors: TrustAnchors;
  /** Verification time, epoch ms. */
  at: number;
  maxLength: number;
  /** Whether certificate `index` (0 = leaf) must be within its validity period. Default: every certificate. */
  checkValidity?(index: number, certificate: ParsedCertificate): boolean;
  /**
   * Whether a verified signature on certificate `index` may be remembered. Default: everything
   * but the leaf — worth it for CAs shared by many devices, wasted on per-request certificates.
   */
  cacheable?(index: number, certificate: ParsedCertificate): boolean;
}

export interface VerifiedChain {
  anchor: TrustAnchor;
}

/**
 * Issuer keys (SPKI fingerprints) each certificate's signature has verified with: intermediates
 * are checked once per process, not per request. Held per parsed certificate, so the entries go
 * when the certificate leaves the parse cache.
 */
const verifiedBy = new WeakMap<ParsedCertificate, Set<string>>();

function assertSignedBy(certificate: ParsedCertificate, issuer: ParsedCertificate, index: number, cacheable = false): void {
  if (cacheable && verifiedBy.get(certificate)?.has(issuer.spkiFingerprint)) return;
  if (!verifySignature(certificate.signatureAlgorithm, certificate.tbs, certificate.signature, issuer.publicKey())) {
    throw trustError('CERTIFICATE_SIGNATURE_INVALID', 'A certificate in the chain is not signed by its issuer.', {
      detail: `certificate ${index} (${certificate.subject}) does not verify with the key of ${issuer.subject}`,
    });
  }
  if (cacheable) {
    const issuers = verifiedBy.get(certificate) ?? new Set<string>();
    issuers.add(issuer.spkiFingerprint);
    verifiedBy.set(certificate, issuers);
  }
}

function assertValid(certificate: ParsedCertificate, index: number, at: number): void {
  if (at < certificate.notBefore) {
    throw timeError('CERTIFICATE_NOT_YET_VALID', 'A certificate in the chain is not valid yet.', {
      detail: `certificate ${index} (${certificate.subject}) valid from ${new Date(certificate.notBefore).toISOString()}`,
    });
  }
  if (at > certificate.notAfter) {
    throw timeError('CERTIFICATE_EXPIRED', 'A certificate in the chain has expired.', {
      detail: `certificate ${index} (${certificate.subject}) expired ${new Date(certificate.notAfter).toISOString()}`,
    });
  }
}

/** A chain of `count` certificates holds at least one and at most `max`: checked before anything is parsed or verified. */
export function assertChainLength(count: number, max: number): void {
  if (count === 0) throw contentError('CERTIFICATE_CHAIN_EMPTY', 'The certificate chain is empty.');
  if (count > max) {
    throw contentError('CERTIFICATE_CHAIN_TOO_LONG', 'The certificate chain is too long.', { detail: `${count} certificates, at most ${max} allowed` });
  }
}

/**
 * Verifies a leaf-first chain: signatures up the chain and a trust anchor at the top — either
 * the last certificate's key is an anchor, or an anchor with the last certificate's issuer name
 * signed it — and only then validity where the options ask (so a tampered certificate is a
 * TRUST failure, not a TIME one). Anchors' own validity is not checked. Issuer names are not
 * required to chain: the signature is the binding, and real attestation chains (Google's legacy
 * StrongBox batches) name an issuer other than the certificate above them.
 */
export function verifyChain(chain: readonly ParsedCertificate[], options: ChainOptions): VerifiedChain {
  assertChainLength(chain.length, options.maxLength);
  const last = chain.length - 1;
  const cacheable = (index: number) => (options.cacheable ? options.cacheable(index, chain[index]!) : index > 0);
  for (let index = 0; index < last; index++) assertSignedBy(chain[index]!, chain[index + 1]!, index, cacheable(index));
  const top = chain[last]!;
  const carried = options.anchors.matchKey(top);
  const anchor = carried ?? findSigningAnchor(top, last, options.anchors, cacheable(last));
  // A chain that carries the anchor's own certificate: that certificate's validity is not checked.
  const checked = carried ? last : chain.length;
  for (let index = 0; index < checked; index++) {
    const certificate = chain[index]!;
    if (!options.checkValidity || options.checkValidity(index, certificate)) assertValid(certificate, index, options.at);
  }
  return { anchor };
}

/** The anchor named as `top`'s issuer whose key signed it (for chains that stop below the anchor's certificate). */
function findSigningAnchor(top: ParsedCertificate, index: number, anchors: TrustAnchors, cacheable: boolean): TrustAnchor {
  for (const anchor of anchors.candidatesFor(top)) {
    try {
      assertSignedBy(top, anchor.certificate, index, cacheable);
      return anchor;
    } catch {
      // another anchor with the same name may hold the signing key
    }
  }
  throw trustError('UNTRUSTED_ROOT', 'The certificate chain does not lead to a trusted root.', {
    detail: `top certificate ${top.subject} (key ${top.spkiFingerprint}) matches no trust anchor`,
  });
}
