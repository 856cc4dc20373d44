import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import * as der from '../../crypto/asn1/der-writer.js';
import { asBuffer } from '../../crypto/bytes.js';
import { RSA_OID } from '../../crypto/keys.js';
import { contentError } from '../../errors.js';
import { decodeCbor } from '../cbor.js';
import type { CoseKey } from './types.js';

/** COSE key types (RFC 9053 §7). */
export const KTY_OKP = 1;
export const KTY_EC2 = 2;
export const KTY_RSA = 3;

/** COSE_Key labels (RFC 9052 §7.1, RFC 9053 §7, RFC 8230 §4). */
const KTY = 1;
const ALG = 3;
/** EC2/OKP crv; RSA n. */
const CRV_OR_N = -1;
/** EC2/OKP x; RSA e. */
const X_OR_E = -2;
/** EC2 y; RSA d (private). */
const Y_OR_D = -3;
/** EC2/OKP d (private). */
const EC_D = -4;

/** COSE elliptic curves (RFC 9053 §7.1) with their JWK names, coordinate sizes and SPKI prefixes (everything before 04‖X‖Y, or before X for Ed25519). */
const CURVES = new Map<number, { name: string; size: number; spkiPrefix: Buffer }>([
  [
    1,
    { name: 'P-256', size: 32, spkiPrefix: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex') },
  ],
  [2, { name: 'P-384', size: 48, spkiPrefix: Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex') }],
  [
    3,
    { name: 'P-521', size: 66, spkiPrefix: Buffer.from('30819b301006072a8648ce3d020106052b8104002303818600', 'hex') },
  ],
  [6, { name: 'Ed25519', size: 32, spkiPrefix: Buffer.from('302a300506032b6570032100', 'hex') }],
]);

export interface CoseAlgorithm {
  /** The COSE name (ES256, RS256, PS256, EdDSA, RS1, …). */
  readonly name: string;
  /** node:crypto digest name; null for EdDSA, which hashes internally. */
  readonly hash: 'sha1' | 'sha256' | 'sha384' | 'sha512' | null;
  /** The key type the algorithm signs with. */
  readonly kty: typeof KTY_OKP | typeof KTY_EC2 | typeof KTY_RSA;
  /** The curve a credential key of this algorithm must be on (EC2, OKP). */
  readonly crv?: number;
  /** RSASSA-PSS, salt length = hash length (RFC 8230 §2). */
  readonly pssSaltLength?: number;
}

/** The signature algorithms Keyward verifies, by COSE identifier. */
export const COSE_ALGORITHMS: ReadonlyMap<number, CoseAlgorithm> = new Map<number, CoseAlgorithm>([
  [-7, { name: 'ES256', hash: 'sha256', kty: KTY_EC2, crv: 1 }],
  [-35, { name: 'ES384', hash: 'sha384', kty: KTY_EC2, crv: 2 }],
  [-36, { name: 'ES512', hash: 'sha512', kty: KTY_EC2, crv: 3 }],
  [-8, { name: 'EdDSA', hash: null, kty: KTY_OKP, crv: 6 }],
  [-257, { name: 'RS256', hash: 'sha256', kty: KTY_RSA }],
  [-258, { name: 'RS384', hash: 'sha384', kty: KTY_RSA }],
  [-259, { name: 'RS512', hash: 'sha512', kty: KTY_RSA }],
  [-37, { name: 'PS256', hash: 'sha256', kty: KTY_RSA, pssSaltLength: 32 }],
  [-38, { name: 'PS384', hash: 'sha384', kty: KTY_RSA, pssSaltLength: 48 }],
  [-39, { name: 'PS512', hash: 'sha512', kty: KTY_RSA, pssSaltLength: 64 }],
  [-65535, { name: 'RS1', hash: 'sha1', kty: KTY_RSA }],
]);

/** Credential RSA keys below this size are refused. */
const MIN_RSA_BITS = 2048;
/** Past this, a verification costs more than a request is worth. */
const MAX_RSA_BITS = 8192;

const malformed = (detail: string) =>
  contentError('COSE_KEY_MALFORMED', 'The credential public key is malformed.', { detail: `COSE key: ${detail}` });

/** The algorithm `alg` names; CONTENT COSE_ALGORITHM_UNSUPPORTED when Keyward does not verify it. */
export function coseAlgorithm(alg: number): CoseAlgorithm {
  const algorithm = COSE_ALGORITHMS.get(alg);
  if (!algorithm) {
    throw contentError('COSE_ALGORITHM_UNSUPPORTED', 'The signature algorithm is not supported.', {
      detail: `COSE algorithm ${alg}`,
    });
  }
  return algorithm;
}

/**
 * A credential public key from its COSE_Key bytes (WebAuthn §6.5.1.1): alg is required and must
 * fit the key type and curve (ES256 P-256, ES384 P-384, ES512 P-521, EdDSA Ed25519, RS and PS
 * RSA); EC points uncompressed and on their curve; RSA at least 2048 bits; no private parts.
 */
export function parseCoseKey(bytes: Uint8Array): CoseKey {
  const map = decodeCbor(bytes, 'COSE_KEY_MALFORMED', 'credential public key');
  if (!(map instanceof Map)) throw malformed('not a map');
  const kty: unknown = map.get(KTY);
  if (typeof kty !== 'number') throw malformed('kty missing or not an integer');
  const alg: unknown = map.get(ALG);
  if (typeof alg !== 'number') throw malformed('alg missing or not an integer');
  const algorithm = coseAlgorithm(alg);
  if (kty !== algorithm.kty) throw malformed(`kty ${kty} does not fit ${algorithm.name}`);
  if (kty === KTY_RSA) return rsaKey(map, alg);
  return curveKey(map, alg, algorithm);
}

function curveKey(map: Map<unknown, unknown>, alg: number, algorithm: CoseAlgorithm): CoseKey {
  const crv = algorithm.crv!;
  if (map.get(CRV_OR_N) !== crv) throw malformed(`crv ${String(map.get(CRV_OR_N))} does not fit ${algorithm.name}`);
  const curve = CURVES.get(crv)!;
  if (map.has(EC_D)) throw malformed('carries a private key');
  const x: unknown = map.get(X_OR_E);
  if (!(x instanceof Uint8Array) || x.length !== curve.size) throw malformed(`x is not ${curve.size} bytes`);
  const xText = asBuffer(x).toString('base64url');
  if (algorithm.kty === KTY_OKP) {
    const key = importJwk({ kty: 'OKP', crv: curve.name, x: xText });
    return { alg, kty: KTY_OKP, crv, key, spki: Buffer.concat([curve.spkiPrefix, x]) };
  }
  const y: unknown = map.get(Y_OR_D);
  // A boolean y is a compressed point, which WebAuthn does not allow.
  if (!(y instanceof Uint8Array) || y.length !== curve.size) throw malformed(`y is not ${curve.size} bytes`);
  const key = importJwk({ kty: 'EC', crv: curve.name, x: xText, y: asBuffer(y).toString('base64url') });
  return { alg, kty: KTY_EC2, crv, key, spki: Buffer.concat([curve.spkiPrefix, UNCOMPRESSED, x, y]) };
}

const UNCOMPRESSED = Buffer.of(4);

function rsaKey(map: Map<unknown, unknown>, alg: number): CoseKey {
  if (map.has(Y_OR_D)) throw malformed('carries a private key');
  const n = unsignedBytes(map.get(CRV_OR_N), 'n');
  const e = unsignedBytes(map.get(X_OR_E), 'e');
  // e = 65537 everywhere in practice; an even, tiny or huge exponent is a broken or hostile key.
  if (e.length > 4 || (e[e.length - 1]! & 1) === 0 || (e.length === 1 && e[0]! < 3))
    throw malformed('e is not an odd exponent between 3 and 2^32');
  const bits = n.length * 8 - Math.clz32(n[0]!) + 24;
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
    throw malformed(`modulus of ${bits} bits, ${MIN_RSA_BITS} to ${MAX_RSA_BITS} accepted`);
  const key = importJwk({ kty: 'RSA', n: asBuffer(n).toString('base64url'), e: asBuffer(e).toString('base64url') });
  const spki = der.sequence(
    der.sequence(der.oid(RSA_OID), der.nullValue()),
    der.bitString(der.sequence(derUnsigned(n), derUnsigned(e))),
  );
  return { alg, kty: KTY_RSA, key, spki };
}

/** A big-endian unsigned integer without its leading zero bytes; refuses empty and zero values. */
function unsignedBytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw malformed(`${name} is not a byte string`);
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  if (start === value.length) throw malformed(`${name} is zero`);
  return value.subarray(start);
}

/** DER INTEGER of a positive value given without leading zeros. */
const derUnsigned = (value: Uint8Array) =>
  der.element(0, false, 2, value[0]! & 0x80 ? Buffer.concat([Buffer.of(0), value]) : value);

function importJwk(jwk: JsonWebKey): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw malformed(`${jwk.kty} ${jwk.crv ?? ''} key does not import: ${(error as Error).message}`);
  }
}

/**
 * Verifies a signature made with a credential key (assertions, packed self attestation): ECDSA
 * signatures are DER (WebAuthn §6.5.5), RSA PKCS#1 v1.5 or PSS with the algorithm's hash.
 */
export function verifyCoseSignature(key: CoseKey, data: Uint8Array, signature: Uint8Array): boolean {
  return verifyWith(coseAlgorithm(key.alg), key.key, data, signature);
}

/**
 * Verifies a signature made with a certificate's key under the COSE algorithm `alg` (packed,
 * tpm, android-safetynet statements). A key of another type than the algorithm's (an RSA key for
 * ES256, …) does not verify; the curve of an ECDSA key is the certificate's to choose.
 * Unknown `alg`: CONTENT COSE_ALGORITHM_UNSUPPORTED.
 */
export function verifyWithAlgorithm(alg: number, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const algorithm = coseAlgorithm(alg);
  return keyFitsAlgorithm(algorithm, key) && verifyWith(algorithm, key, data, signature);
}

/** Whether `key` is of the type `algorithm` signs with (EC, Ed25519, RSA; RSA-PSS keys for PS only). */
export function keyFitsAlgorithm(algorithm: CoseAlgorithm, key: KeyObject): boolean {
  const type = key.asymmetricKeyType;
  if (algorithm.kty === KTY_EC2) return type === 'ec';
  if (algorithm.kty === KTY_OKP) return type === 'ed25519';
  return type === 'rsa' || (type === 'rsa-pss' && algorithm.pssSaltLength !== undefined);
}

function verifyWith(algorithm: CoseAlgorithm, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (algorithm.kty === KTY_EC2) return verify(algorithm.hash, data, { key, dsaEncoding: 'der' }, signature);
    if (algorithm.pssSaltLength !== undefined) {
      return verify(
        algorithm.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSaltLength },
        signature,
      );
    }
    return verify(algorithm.hash, data, key, signature);
  } catch {
    // Malformed signature encodings are failed verifications.
    return false;
  }
}
