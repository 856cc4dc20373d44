import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { contentError } from '../errors.js';
import * as der from './asn1/der-writer.js';
import { BoundedCache } from './bounded-cache.js';
import { asBuffer } from './bytes.js';

const keyCache = new BoundedCache<string, KeyObject>(4096);

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
export const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** SubjectPublicKeyInfo algorithm OIDs of the keys Keyward reads itself. */
export const EC_OID = '1.2.840.10045.2.1';
export const RSA_OID = '1.2.840.113549.1.1.1';
export const ED25519_OID = '1.3.101.112';
const P256_OID = '1.2.840.10045.3.1.7';

/** Names of public-key algorithms Keyward recognises by SubjectPublicKeyInfo OID. */
const KEY_ALGORITHMS: Record<string, string> = {
  [EC_OID]: 'EC',
  [RSA_OID]: 'RSA',
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  [ED25519_OID]: 'Ed25519',
  '2.16.840.1.101.3.4.3.17': 'ML-DSA-44',
  '2.16.840.1.101.3.4.3.18': 'ML-DSA-65',
  '2.16.840.1.101.3.4.3.19': 'ML-DSA-87',
};

/** brainpoolP256r1 (RFC 5639): the curve of German health cards (gematik DSR registration tokens). */
export const BRAINPOOL_P256R1_OID = '1.3.36.3.3.2.8.1.1.7';

/**
 * Curve names by namedCurve OID: as JWKs write them, brainpoolP256r1 (which has no JWK name
 * node:crypto accepts, so such keys get no JWK) as OpenSSL does.
 */
export const CURVES: Record<string, string> = {
  [P256_OID]: 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  [BRAINPOOL_P256R1_OID]: 'brainpoolP256r1',
};

const CURVE_OIDS: Record<string, string> = Object.fromEntries(Object.entries(CURVES).map(([oid, name]) => [name, oid]));

export const keyAlgorithmName = (oid: string) => KEY_ALGORITHMS[oid] ?? oid;

/**
 * Imports a DER SubjectPublicKeyInfo once and caches the KeyObject by the SPKI's hash:
 * importing costs more than verifying with the key, and issuer keys repeat across devices.
 * Throws CONTENT UNSUPPORTED_KEY_ALGORITHM for keys this runtime cannot use (e.g. ML-DSA on Node 20).
 */
export function importSpki(spki: Uint8Array, algorithmOid?: string): KeyObject {
  const id = sha256Hex(spki);
  const cached = keyCache.get(id);
  if (cached) return cached;
  try {
    return keyCache.set(id, createPublicKey({ key: asBuffer(spki), format: 'der', type: 'spki' }));
  } catch (error) {
    const name = algorithmOid ? keyAlgorithmName(algorithmOid) : 'unknown';
    throw contentError('UNSUPPORTED_KEY_ALGORITHM', `Public keys of type ${name} are not supported by this server.`, {
      detail: `cannot import ${name} SPKI: ${(error as Error).message}`,
    });
  }
}

/** The key as a public JWK (EC, RSA, OKP), or undefined when it cannot be expressed as one here. */
export function toJwk(key: KeyObject): JsonWebKey | undefined {
  try {
    const jwk = key.export({ format: 'jwk' });
    return jwk.d === undefined ? jwk : undefined;
  } catch {
    return undefined;
  }
}

/** The uncompressed point 04‖X‖Y of an EC JWK. */
export const jwkPoint = (jwk: JsonWebKey): Buffer =>
  Buffer.concat([Buffer.of(4), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);

/** Uncompressed EC point 04‖X‖Y of an EC public key. */
export function ecPoint(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || !jwk.x || !jwk.y) throw new TypeError('not an EC public key');
  return jwkPoint(jwk);
}

/**
 * The SubjectPublicKeyInfo DER of an EC or RSA public key, built from its JWK: OpenSSL 3
 * encodes SPKI DER through a generic encoder that costs more than a signature, a JWK export
 * almost nothing.
 */
export function spkiOf(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'EC' && jwk.crv && CURVE_OIDS[jwk.crv]) {
    return der.sequence(der.sequence(der.oid(EC_OID), der.oid(CURVE_OIDS[jwk.crv]!)), der.bitString(jwkPoint(jwk)));
  }
  if (jwk.kty === 'RSA') {
    const unsigned = (value: string) => BigInt(`0x${Buffer.from(value, 'base64url').toString('hex')}`);
    const rsa = der.sequence(der.integer(unsigned(jwk.n!)), der.integer(unsigned(jwk.e!)));
    return der.sequence(der.sequence(der.oid(RSA_OID), der.nullValue()), der.bitString(rsa));
  }
  return key.export({ format: 'der', type: 'spki' });
}

/** Imports a request's public key through its JWK (half the cost of OpenSSL 3's DER decoder); DER for other key types. */
export function importRequestKey(spki: Uint8Array, jwk: JsonWebKey | undefined): KeyObject {
  return jwk
    ? createPublicKey({ key: jwk, format: 'jwk' })
    : createPublicKey({ key: asBuffer(spki), format: 'der', type: 'spki' });
}
