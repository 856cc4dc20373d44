import { asBuffer } from '../crypto/bytes.js';
import type { ParsedCertificate } from '../crypto/x509/certificate.js';
import { toJwk } from '../crypto/keys.js';
import { isKeywardError } from '../errors.js';
import type { AttestedPublicKey } from './result.js';

/**
 * The attested key of a certificate for the result: the JWK read straight from the parsed DER
 * where it can be (EC, RSA, Ed25519 — importing costs more than the rest of describing), else
 * through an import; keys this runtime cannot import are reported as unsupported.
 */
export function describeKey(certificate: ParsedCertificate): AttestedPublicKey {
  const key: AttestedPublicKey = {
    algorithm: certificate.keyAlgorithm,
    spki: asBuffer(certificate.spki).toString('base64'),
    supported: true,
  };
  if (certificate.curve) key.curve = certificate.curve;
  const direct = certificate.publicKeyJwk();
  if (direct) {
    key.jwk = direct;
    return key;
  }
  try {
    const jwk = toJwk(certificate.publicKey());
    if (jwk) key.jwk = jwk;
  } catch (error) {
    if (!isKeywardError(error) || error.code !== 'UNSUPPORTED_KEY_ALGORITHM') throw error;
    key.supported = false;
  }
  return key;
}
