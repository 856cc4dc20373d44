import { verify, type KeyObject } from 'node:crypto';
import { contentError } from '../errors.js';

interface SignatureScheme {
  hash: string | null;
  padding?: 'pss';
}

/** Signature algorithms by OID (certificates, CSRs, CMS). */
const SCHEMES: Record<string, SignatureScheme> = {
  '1.2.840.113549.1.1.11': { hash: 'sha256' },
  '1.2.840.113549.1.1.12': { hash: 'sha384' },
  '1.2.840.113549.1.1.13': { hash: 'sha512' },
  '1.2.840.10045.4.3.2': { hash: 'sha256' },
  '1.2.840.10045.4.3.3': { hash: 'sha384' },
  '1.2.840.10045.4.3.4': { hash: 'sha512' },
  '1.3.101.112': { hash: null },
};

export const SIGNATURE_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
};

/** Verifies `signature` over `data` with `key` under the algorithm `oid` (synchronous: the fast path). */
export function verifySignature(oid: string, data: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  const scheme = SCHEMES[oid];
  if (!scheme) {
    throw contentError('UNSUPPORTED_SIGNATURE_ALGORITHM', 'A signature uses an algorithm this server does not support.', {
      detail: `signature algorithm ${oid}`,
    });
  }
  try {
    return verify(scheme.hash, data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key, signature);
  } catch {
    // Malformed signature encodings and key/algorithm mismatches are failed verifications.
    return false;
  }
}
