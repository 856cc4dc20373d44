import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { encode } from 'cbor2';

/** The credential algorithms the simulated authenticators can make keys for (COSE names). */
export type CoseAlgorithmName = 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'EdDSA';

export const COSE_ALGORITHM_IDS: Readonly<Record<CoseAlgorithmName, number>> = {
  ES256: -7,
  ES384: -35,
  RS256: -257,
  PS256: -37,
  EdDSA: -8,
};

export interface CredentialKeyPair {
  algorithm: CoseAlgorithmName;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** cbor2 encodes a Buffer through its toJSON; a plain Uint8Array view encodes as a byte string. */
export const bstr = (bytes: Uint8Array) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function generateCredentialKey(algorithm: CoseAlgorithmName): CredentialKeyPair {
  switch (algorithm) {
    case 'ES256':
      return { algorithm, ...generateKeyPairSync('ec', { namedCurve: 'P-256' }) };
    case 'ES384':
      return { algorithm, ...generateKeyPairSync('ec', { namedCurve: 'P-384' }) };
    case 'RS256':
    case 'PS256':
      return { algorithm, ...generateKeyPairSync('rsa', { modulusLength: 2048 }) };
    case 'EdDSA':
      return { algorithm, ...generateKeyPairSync('ed25519') };
  }
}

const jwkBytes = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');

/** The public key's raw parts as COSE and TPM structures carry them. */
export function publicKeyParts(key: CredentialKeyPair): { x?: Buffer; y?: Buffer; n?: Buffer; e?: Buffer } {
  const jwk = key.publicKey.export({ format: 'jwk' });
  return jwk.kty === 'RSA' ? { n: jwkBytes(jwk.n), e: jwkBytes(jwk.e) } : { x: jwkBytes(jwk.x), y: jwkBytes(jwk.y) };
}

/** The COSE_Key (RFC 9053) of the credential's public key, CBOR-encoded in CTAP2 canonical order. */
export function coseKeyOf(key: CredentialKeyPair): Buffer {
  const alg = COSE_ALGORITHM_IDS[key.algorithm];
  const { x, y, n, e } = publicKeyParts(key);
  const entries: [number, unknown][] =
    key.algorithm === 'EdDSA'
      ? [
          [1, 1],
          [3, alg],
          [-1, 6],
          [-2, bstr(x!)],
        ]
      : n
        ? [
            [1, 3],
            [3, alg],
            [-1, bstr(n)],
            [-2, bstr(e!)],
          ]
        : [
            [1, 2],
            [3, alg],
            [-1, key.algorithm === 'ES384' ? 2 : 1],
            [-2, bstr(x!)],
            [-3, bstr(y!)],
          ];
  return Buffer.from(encode(new Map(entries)));
}

/** A WebAuthn signature with `algorithm`: ECDSA DER, RSASSA-PKCS1-v1_5, RSASSA-PSS (salt = hash length) or Ed25519. */
export function signWith(algorithm: CoseAlgorithmName, privateKey: KeyObject, data: Uint8Array): Buffer {
  switch (algorithm) {
    case 'ES256':
      return sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
    case 'ES384':
      return sign('sha384', data, { key: privateKey, dsaEncoding: 'der' });
    case 'RS256':
      return sign('sha256', data, privateKey);
    case 'PS256':
      return sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'EdDSA':
      return sign(null, data, privateKey);
  }
}
