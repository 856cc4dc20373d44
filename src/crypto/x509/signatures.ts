import { verify, type KeyObject } from 'node:crypto';
import { contentError } from '../../errors.js';

interface SignatureScheme {
  /** The algorithm's ASN.1 name, for logs and benchmarks. */
  name: string;
  hash: string | null;
  padding?: 'pss';
}

/** Signature algorithms by OID (certificates, CSRs, CMS). */
const SCHEMES: Record<string, SignatureScheme> = {
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512' },
  '1.3.101.112': { name: 'Ed25519', hash: null },
};

/** The signature algorithm's name (the OID when unknown). */
export const signatureAlgorithmName = (oid: string) => SCHEMES[oid]?.name ?? oid;

/** Verifies `signature` over `data` with `key` under the algorithm `oid` (synchronous: the fast path). */
export function verifySignature(oid: string, data: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  const scheme = SCHEMES[oid];
  if (!scheme) {
    throw contentError(
      'UNSUPPORTED_SIGNATURE_ALGORITHM',
      'A signature uses an algorithm this server does not support.',
      {
        detail: `signature algorithm ${oid}`,
      },
    );
  }
  try {
    return verify(scheme.hash, data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key, signature);
  } catch {
    // Malformed signature encodings and key/algorithm mismatches are failed verifications.
    return false;
  }
}
