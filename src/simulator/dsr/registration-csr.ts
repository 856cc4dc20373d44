import type { KeyObject } from 'node:crypto';
import { deriveNonce, NONCE_SUFFIXES } from '../../attestation/dsr/nonce-derivations.js';
import { spkiOf } from '../../crypto/keys.js';
import { CHALLENGE_PASSWORD_OID } from '../../features/dsr/device-ca/csr-checks.js';
import { certificationRequestInfo, signedCsr } from '../csr-builder.js';

/**
 * The PKCS#10 request of a DSR registration as the reference clients build it: the
 * challengePassword base64(SHA-256(nonce ‖ "CSR_MTLS")) as an attribute of the *subject*, no
 * request attributes, signed by the mTLS key. `challengePassword` replaces the derivation (for refusals).
 */
export function registrationCsr(
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  nonce: Uint8Array,
  challengePassword = deriveNonce(nonce, NONCE_SUFFIXES.csrMtls).toString('base64'),
): Buffer {
  const info = certificationRequestInfo(
    [
      ['2.5.4.6', 'DE'],
      ['2.5.4.10', 'TRUST_CLIENT'],
      ['2.5.4.3', 'TRUST_CLIENT'],
      [CHALLENGE_PASSWORD_OID, challengePassword],
    ],
    spkiOf(keys.publicKey),
    [],
  );
  return signedCsr(info, keys.privateKey);
}
