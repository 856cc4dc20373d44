import { timeError, trustError, contentError } from '../../errors.js';
import { parseCertificate, pemCertificates, type ParsedCertificate } from './certificate.js';
import { verifySignature } from './signatures.js';

/** A trusted public key, matched by SubjectPublicKeyInfo — not by certificate bytes — so reissued or expired root certificates of the same key still anchor. */
export interface TrustAnchor {
  name: string;
  certificate: ParsedCertificate;
}

export class TrustAnchors {
  private readonly bySpki = new Map<string, TrustAnchor[]>();
  private readonly bySubject = new Map<string, TrustAnchor[]>();

  constructor(anchors: Iterable<TrustAnchor>) {
    for (const anchor of anchors) {
      const key = anchor.certificate.spkiFingerprint;
      this.bySpki.set(key, [...(this.bySpki.get(key) ?? []), anchor]);
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

  /** Distinct trusted keys. */
  get size(): number {
    return this.bySpki.size;
  }

  /** The anchors (one per shipped or configured certificate) holding `certificate`'s public key. */
  withKeyOf(certificate: ParsedCertificate): readonly TrustAnchor[] {
    return this.bySpki.get(certificate.spkiFingerprint) ?? [];
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
  /**
   * From this index up, every certificate of the path that signs another must be a CA (RFC 5280
   * §6.1.4): basicConstraints cA, keyCertSign where keyUsage is present, pathLenConstraint
   * respected. Default 1: every issuer. Android raises it past the certificates KeyMint makes and
   * the factory batch certificate that signs them, which real devices issue without CA flags.
   */
  caFrom?: number;
}

export interface VerifiedChain {
  anchor: TrustAnchor;
  /**
   * How many certificates of the chain, from the leaf, form the verified path. The whole chain,
   * or one less when its top certificate carries an anchor's key without being that anchor's
   * certificate: such a certificate is not trusted for anything, so it is left out and nothing
   * may be read from it.
   */
  length: number;
}

/**
 * Issuer keys (SPKI fingerprints) each certificate's signature has verified with: intermediates
 * are checked once per process, not per request. Held per parsed certificate, so the entries go
 * when the certificate leaves the parse cache.
 */
const verifiedBy = new WeakMap<ParsedCertificate, Set<string>>();

function assertSignedBy(
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  index: number,
  cacheable = false,
): void {
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
    throw contentError('CERTIFICATE_CHAIN_TOO_LONG', 'The certificate chain is too long.', {
      detail: `${count} certificates, at most ${max} allowed`,
    });
  }
}

/**
 * Verifies a leaf-first chain: signatures up the chain and a trust anchor at the top, then CA
 * constraints, then validity where the options ask (so a tampered certificate is a TRUST
 * failure, not a TIME one). The top is anchored in one of three ways:
 * - it is byte for byte a shipped or configured anchor certificate (its validity is not checked);
 * - it carries an anchor's key but is some other certificate: it is ignored, and the path ends
 *   at the certificate below it, which that key signed;
 * - an anchor with the top's issuer name signed it.
 * Issuer names are not required to chain: the signature is the binding, and real attestation
 * chains (Google's legacy StrongBox batches) name an issuer other than the certificate above them.
 */
export function verifyChain(chain: readonly ParsedCertificate[], options: ChainOptions): VerifiedChain {
  assertChainLength(chain.length, options.maxLength);
  const last = chain.length - 1;
  const cacheable = (index: number) => (options.cacheable ? options.cacheable(index, chain[index]!) : index > 0);
  for (let index = 0; index < last; index++) assertSignedBy(chain[index]!, chain[index + 1]!, index, cacheable(index));
  const top = chain[last]!;
  const keyAnchors = options.anchors.withKeyOf(top);
  let anchor: TrustAnchor;
  // How many certificates are checked below as issued ones: a carried anchor certificate is not.
  let issued = chain.length;
  let length = chain.length;
  if (keyAnchors.length > 0) {
    const carried = keyAnchors.find(
      (candidate) => candidate.certificate === top || candidate.certificate.der.equals(top.der),
    );
    anchor = carried ?? keyAnchors[0]!;
    issued = last;
    if (!carried) length = last;
    if (length === 0) throw untrusted(top);
  } else {
    anchor = findSigningAnchor(top, last, options.anchors, cacheable(last));
  }
  assertCaConstraints(chain, options.caFrom ?? 1, issued);
  for (let index = 0; index < issued; index++) {
    const certificate = chain[index]!;
    if (!options.checkValidity || options.checkValidity(index, certificate))
      assertValid(certificate, index, options.at);
  }
  return { anchor, length };
}

const notCa = (certificate: ParsedCertificate, index: number, why: string) =>
  trustError('CERTIFICATE_NOT_CA', 'A certificate in the chain is not a CA.', {
    detail: `certificate ${index} (${certificate.subject}) ${why}`,
  });

/**
 * RFC 5280 §6.1.4 (k), (l), (m) and (n) for the issuers at `from` … `end - 1`: each is a CA,
 * may sign certificates where it states its key usage, and has no more non-self-issued
 * intermediates below it than its pathLenConstraint allows (the leaf does not count).
 */
function assertCaConstraints(chain: readonly ParsedCertificate[], from: number, end: number): void {
  let intermediates = 0;
  for (let index = 1; index < end; index++) {
    const certificate = chain[index]!;
    if (index >= from) {
      const constraints = certificate.basicConstraints;
      if (!constraints) throw notCa(certificate, index, 'has no basicConstraints');
      if (!constraints.ca) throw notCa(certificate, index, 'has basicConstraints cA false');
      if (certificate.keyCertSign === false) throw notCa(certificate, index, 'has a keyUsage without keyCertSign');
      if (constraints.pathLength !== undefined && intermediates > constraints.pathLength) {
        throw notCa(
          certificate,
          index,
          `allows ${constraints.pathLength} intermediates below it, the path has ${intermediates}`,
        );
      }
    }
    if (!certificate.selfIssued) intermediates++;
  }
}

const untrusted = (top: ParsedCertificate) =>
  trustError('UNTRUSTED_ROOT', 'The certificate chain does not lead to a trusted root.', {
    detail: `top certificate ${top.subject} (key ${top.spkiFingerprint}) matches no trust anchor`,
  });

/** The anchor named as `top`'s issuer whose key signed it (for chains that stop below the anchor's certificate). */
function findSigningAnchor(
  top: ParsedCertificate,
  index: number,
  anchors: TrustAnchors,
  cacheable: boolean,
): TrustAnchor {
  for (const anchor of anchors.candidatesFor(top)) {
    try {
      assertSignedBy(top, anchor.certificate, index, cacheable);
      return anchor;
    } catch {
      // another anchor with the same name may hold the signing key
    }
  }
  throw untrusted(top);
}
