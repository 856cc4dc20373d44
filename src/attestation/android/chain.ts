import { verifyChain, type TrustAnchor, type TrustAnchors } from '../../crypto/x509/chain.js';
import type { ParsedCertificate } from '../../crypto/x509/certificate.js';
import { trustError } from '../../errors.js';

export interface AndroidChainOptions {
  hardwareAnchors: TrustAnchors;
  softwareAnchors: TrustAnchors;
  /** SHA-256 (hex) of the SPKIs of Google's RKP CAs (Droid CA2 keys, Key Attestation CA1). */
  rkpKeys: ReadonlySet<string>;
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
  /** How many certificates, from the leaf, form the verified path (see VerifiedChain.length). */
  length: number;
}

/** The highest certificate above the leaf whose key is a pinned RKP key; -1 when none is. */
function pinnedRkpIndex(chain: readonly ParsedCertificate[], keys: ReadonlySet<string>): number {
  for (let index = chain.length - 1; index > 0; index--) if (keys.has(chain[index]!.spkiFingerprint)) return index;
  return -1;
}

/**
 * Android's rules on top of generic path validation: the root is matched by key among
 * Google's hardware roots (and configured ones); software-attestation roots are recognised
 * and refused unless allowed; certificates KeyMint made (the leaf and attest-key certificates,
 * up to `keyMintTop`) and the one that signed them are exempt from CA constraints, as real
 * factory batch certificates carry none; validity is checked per certificate kind.
 *
 * A chain is remotely provisioned only by verified structure: its path passes through a pinned
 * RKP key (a Droid CA2 key) or ends at a pinned root (Key Attestation CA1). Names are never
 * read for this, since anyone with a leaked factory key can write "Droid CA" into a certificate.
 */
export function verifyAndroidChain(
  chain: readonly ParsedCertificate[],
  at: number,
  options: AndroidChainOptions,
  keyMintTop: number,
): AndroidChain {
  const pinned = pinnedRkpIndex(chain, options.rkpKeys);
  // In an RKP chain the certificate above KeyMint's is the short-lived per-device one: unique like the leaf.
  const deviceCertificate = pinned > keyMintTop + 1 ? keyMintTop + 1 : -1;
  const checkValidity = (index: number) => {
    if (index === 0) return !options.ignoreLeafValidity;
    // Attest-key certificates are KeyMint's like the leaf's: intermediates' rule, RKP chain or not.
    if (index > keyMintTop && index <= pinned) return options.enforceRkpValidity || options.enforceIntermediateValidity;
    return options.enforceIntermediateValidity;
  };
  // Shared CAs (batch intermediates, Droid CAs) are verified once per process; per-device certificates every time.
  const cacheable = (index: number) => index > keyMintTop && index !== deviceCertificate;
  const chainOptions = { at, maxLength: options.maxChainLength, checkValidity, cacheable, caFrom: keyMintTop + 2 };
  const top = chain[chain.length - 1];
  const software =
    top !== undefined &&
    (options.softwareAnchors.withKeyOf(top).length > 0 || options.softwareAnchors.candidatesFor(top).length > 0);
  if (software) {
    const verified = verifyChain(chain, { anchors: options.softwareAnchors, ...chainOptions });
    if (!options.allowSoftwareAttestation) {
      throw trustError('SOFTWARE_ATTESTATION_ROOT', 'The key was attested in software, not by secure hardware.', {
        detail: `chain ends in ${verified.anchor.name}`,
      });
    }
    return { anchor: verified.anchor, software: true, rkp: false, length: verified.length };
  }
  const verified = verifyChain(chain, { anchors: options.hardwareAnchors, ...chainOptions });
  const rkp =
    (pinned > 0 && pinned < verified.length) || options.rkpKeys.has(verified.anchor.certificate.spkiFingerprint);
  return { anchor: verified.anchor, software: false, rkp, length: verified.length };
}
