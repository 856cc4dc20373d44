import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import { TrustAnchors, verifyChain, type TrustAnchor } from '../../crypto/x509/chain.js';
import { isKeywardError, type KeywardError } from '../../errors.js';
import { keyIdentifierOf } from './metadata/key-identifier.js';
import type { AttestationTrust, FormatResult, MetadataEntry, MetadataLookup } from './types.js';

/** The all-zero AAGUID of U2F authenticators and of authenticators that do not say what they are. */
export const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

/**
 * The authenticator's metadata: by AAGUID, or — for authenticators without one (fido-u2f, zero
 * AAGUID packed) — by the key identifier of the attestation certificate, computed from the
 * certificate as MDS3 defines it (never read from its subjectKeyIdentifier extension, which the
 * authenticator wrote).
 */
export function findMetadata(
  lookup: MetadataLookup,
  aaguid: string,
  trustPath: readonly ParsedCertificate[],
): MetadataEntry | undefined {
  if (aaguid !== ZERO_AAGUID) return lookup.byAaguid(aaguid);
  const leaf = trustPath[0];
  return leaf ? lookup.byKeyIdentifier(keyIdentifierOf(leaf)) : undefined;
}

/** Anchors built from each entry's attestationRootCertificates, kept as long as the entry is. */
const statementAnchors = new WeakMap<MetadataEntry, TrustAnchors>();

/**
 * The metadata statement's attestationRootCertificates as trust anchors (MDS3: each is a trust
 * anchor for the model — a root, an intermediate or the attestation certificate itself). A root
 * that does not parse anchors nothing; the others still do.
 */
export function anchorsOfEntry(entry: MetadataEntry): TrustAnchors {
  let anchors = statementAnchors.get(entry);
  if (!anchors) {
    const list: TrustAnchor[] = [];
    for (const base64 of entry.attestationRootCertificates) {
      try {
        const certificate = parseCertificate(Buffer.from(base64, 'base64'), 'MALFORMED_TRUST_ANCHOR');
        list.push({ name: `metadata root (${entry.description}): ${certificate.subject}`, certificate });
      } catch {
        // a malformed root in a statement is the statement's problem; it anchors nothing
      }
    }
    anchors = new TrustAnchors(list);
    statementAnchors.set(entry, anchors);
  }
  return anchors;
}

export interface TrustAssessment {
  trust: AttestationTrust;
  /** The anchor the trust path ended in, when trust is not none. */
  anchor?: string;
  /** Why the trust path reached no metadata root (absent when it did, or when there is no path or no entry). */
  metadataFailure?: KeywardError;
  /** Why the trust path reached no root at all, when trust is none and there is a path. */
  failure?: KeywardError;
}

export interface TrustOptions {
  /** The authenticator's metadata entry, when found. */
  entry: MetadataEntry | undefined;
  /** The format's shipped or configured roots (FormatContext.rootsFor). */
  roots: TrustAnchors;
  /** Verification time, epoch ms. */
  at: number;
  maxChainLength: number;
}

/**
 * WebAuthn §7.1 steps 22–23: whether the statement's trust path reaches an acceptable root —
 * first one of the metadata statement's roots (trust `metadata`), then one of the format's roots
 * (trust `root`), else nothing (trust `none`). A certificate the authenticator sent is never an
 * anchor: verifyChain trusts a carried certificate only when it is byte for byte a configured
 * anchor, so x5c = [leaf, its own self-signed root] reaches nothing (GHSA-6hxq-p678-4hr2).
 * Self and none attestation have no path and are trust `none`.
 */
export function assessTrust(result: FormatResult, options: TrustOptions): TrustAssessment {
  const path = result.trustPath;
  if (path.length === 0) return { trust: 'none' };
  const assessment: TrustAssessment = { trust: 'none' };
  if (options.entry) {
    try {
      const verified = verifyChain(path, {
        anchors: anchorsOfEntry(options.entry),
        at: options.at,
        maxLength: options.maxChainLength,
        // A path the format verified itself (android-key) has passed its own, format-specific CA
        // and validity rules: here it only has to end in a metadata root.
        ...(result.trustedBy ? { caFrom: path.length, checkValidity: () => false } : {}),
      });
      return { trust: 'metadata', anchor: verified.anchor.name };
    } catch (error) {
      if (!isKeywardError(error)) throw error;
      assessment.metadataFailure = error;
    }
  }
  if (result.trustedBy) return { ...assessment, trust: 'root', anchor: result.trustedBy };
  try {
    const verified = verifyChain(path, { anchors: options.roots, at: options.at, maxLength: options.maxChainLength });
    return { ...assessment, trust: 'root', anchor: verified.anchor.name };
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    assessment.failure = error;
    return assessment;
  }
}
