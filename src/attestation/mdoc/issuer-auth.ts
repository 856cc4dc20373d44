import type { KeyObject } from 'node:crypto';
import { type CoseSign1, coseSign1FromCbor, verifyCoseSign1 } from '../../crypto/cose/sign1.js';
import { parseCertificate, type ParsedCertificate } from '../../crypto/x509/certificate.js';
import { type TrustAnchors, verifyChain } from '../../crypto/x509/chain.js';
import { contentError, isKeywardError, type KeywardError, timeError, trustError } from '../../errors.js';

/**
 * issuerAuth (ISO 18013-5 §9.1.2.4): a COSE_Sign1 by the document signer, its certificate (and
 * any intermediates) in x5chain, over the MobileSecurityObjectBytes. The chain must reach a
 * trusted certificate: an IACA root, or the document signer certificate itself trusted directly.
 */

/** IACA → document signer is two certificates; room for one intermediate and a carried root. */
export const MAX_ISSUER_CHAIN = 4;

export interface VerifiedIssuerAuth {
  sign1: CoseSign1;
  /** The document signer certificate (x5chain leaf). */
  signer: ParsedCertificate;
  /** The MSO bytes signed (the COSE payload: MobileSecurityObjectBytes, tag 24). */
  payload: Uint8Array;
}

/** Verifies issuerAuth and its chain at `at` (epoch ms). */
export function verifyIssuerAuth(value: unknown, anchors: TrustAnchors, at: number): VerifiedIssuerAuth {
  const sign1 = remapContent(() => coseSign1FromCbor(value));
  if (!sign1.x5chain) {
    throw contentError('MDOC_ISSUER_CHAIN_MISSING', 'The issuer signature carries no certificate.', {
      detail: 'issuerAuth has no x5chain (label 33)',
    });
  }
  if (sign1.payload === null)
    throw contentError('MDOC_MALFORMED', 'The mdoc is malformed.', { detail: 'issuerAuth payload is nil' });
  if (sign1.x5chain.length > MAX_ISSUER_CHAIN) {
    throw contentError('MDOC_TOO_LARGE', 'The mdoc is too large.', {
      detail: `x5chain of ${sign1.x5chain.length} certificates`,
    });
  }
  const chain = sign1.x5chain.map((der) => parseCertificate(der, 'MDOC_MALFORMED', { cache: false }));
  const signer = chain[0]!;
  try {
    verifyChain(chain, { anchors, at, maxLength: MAX_ISSUER_CHAIN });
  } catch (error) {
    throw remapChainError(error);
  }
  // verifyChain leaves the validity of a certificate that is itself an anchor unchecked; the
  // document signer's must hold whether it is trusted directly or through an IACA.
  if (at < signer.notBefore || at > signer.notAfter) {
    throw timeError('MDOC_ISSUER_CERTIFICATE_EXPIRED', 'The document signer certificate is not valid now.', {
      detail: `${signer.subject} valid ${new Date(signer.notBefore).toISOString()} to ${new Date(signer.notAfter).toISOString()}`,
    });
  }
  if (!verifyWithSigner(sign1, signer.publicKey())) {
    throw trustError('MDOC_ISSUER_SIGNATURE_INVALID', 'The issuer signature does not verify.', {
      detail: `issuerAuth does not verify with the key of ${signer.subject}`,
    });
  }
  return { sign1, signer, payload: sign1.payload };
}

function verifyWithSigner(sign1: CoseSign1, key: KeyObject): boolean {
  try {
    return verifyCoseSign1(sign1, key);
  } catch (error) {
    if (isKeywardError(error) && error.code === 'COSE_ALGORITHM_UNSUPPORTED') {
      throw contentError('MDOC_MALFORMED', 'The issuer signature algorithm is not supported.', {
        detail: error.detail,
        cause: error,
      });
    }
    throw error;
  }
}

/** COSE framing failures of issuerAuth are MDOC_MALFORMED. */
function remapContent<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isKeywardError(error)) {
      throw contentError('MDOC_MALFORMED', 'The issuer signature is malformed.', {
        detail: error.detail,
        cause: error,
      });
    }
    throw error;
  }
}

function remapChainError(error: unknown): unknown {
  if (!isKeywardError(error)) return error;
  const options = { detail: `${error.code}: ${error.detail ?? error.message}`, cause: error };
  const failure: KeywardError = error;
  switch (failure.code) {
    case 'UNTRUSTED_ROOT':
      return trustError('MDOC_ISSUER_UNTRUSTED', 'The document signer is not trusted.', options);
    case 'CERTIFICATE_EXPIRED':
    case 'CERTIFICATE_NOT_YET_VALID':
      return timeError(
        'MDOC_ISSUER_CERTIFICATE_EXPIRED',
        'A document signer chain certificate is not valid now.',
        options,
      );
    case 'CERTIFICATE_CHAIN_TOO_LONG':
      return contentError('MDOC_TOO_LARGE', 'The mdoc is too large.', options);
    default:
      return trustError('MDOC_ISSUER_CHAIN_INVALID', 'The document signer chain does not verify.', options);
  }
}
