import { type KeyObject, sign, verify } from 'node:crypto';
import { encode, Tag } from 'cbor2';
import { sortLengthFirstDeterministic } from 'cbor2/sorts';
import { contentError } from '../../errors.js';
import { decodeStrictCbor, plainBytes } from './cbor.js';
import { coseToBeProcessed } from './structure.js';

/**
 * COSE_Sign1 (RFC 9052 §4.2) with ECDSA (RFC 9053 §2.1): ES256, ES384, ES512, signatures r‖s.
 *
 *   COSE_Sign1 = [protected: bstr .cbor header_map, unprotected: header_map,
 *                 payload: bstr / nil, signature: bstr]
 *
 * The signature is over Sig_structure ["Signature1", protected, external_aad, payload]. alg
 * (label 1) goes in the protected header, x5chain (label 33, RFC 9360: one bstr, or an array of
 * bstr, leaf first) in the unprotected header, as ISO 18013-5 issuerAuth and deviceSignature do.
 * Decoding keeps the protected header's exact bytes: verification is over them, never over a
 * re-encoding.
 */

/** COSE algorithm identifiers this module signs and verifies with. */
export const COSE_ES256 = -7;
export const COSE_ES384 = -35;
export const COSE_ES512 = -36;
export type CoseEcdsaAlgorithm = typeof COSE_ES256 | typeof COSE_ES384 | typeof COSE_ES512;

/** Header labels (RFC 9052 §3.1, RFC 9360 §2). */
export const HEADER_ALG = 1;
export const HEADER_X5CHAIN = 33;
/** CBOR tag of COSE_Sign1 (RFC 9052 §2). */
export const COSE_SIGN1_TAG = 18;

const ECDSA: ReadonlyMap<number, { hash: 'sha256' | 'sha384' | 'sha512'; curve: string }> = new Map([
  [COSE_ES256, { hash: 'sha256', curve: 'prime256v1' }],
  [COSE_ES384, { hash: 'sha384', curve: 'secp384r1' }],
  [COSE_ES512, { hash: 'sha512', curve: 'secp521r1' }],
] as const);

export interface SignCoseSign1Options {
  /** The payload; with `detached`, signed over but sent as nil. */
  payload: Uint8Array;
  /** An EC private key (P-256, P-384 or P-521). */
  key: KeyObject;
  /** Defaults to the key's curve: P-256 ES256, P-384 ES384, P-521 ES512. */
  alg?: CoseEcdsaAlgorithm;
  /** DER certificates, leaf first, written under label 33 in the unprotected header (one bstr for one). */
  x5chain?: readonly Uint8Array[];
  /** Leave the payload out (nil) of the structure. */
  detached?: boolean;
  externalAad?: Uint8Array;
  /** Wrap in tag 18; ISO 18013-5 structures are untagged (the default). */
  tagged?: boolean;
}

/** Signs and encodes a COSE_Sign1. Throws TypeError for a key or alg it cannot sign with. */
export function signCoseSign1(options: SignCoseSign1Options): Uint8Array {
  const alg = options.alg ?? algorithmForKey(options.key);
  const algorithm = ECDSA.get(alg);
  if (!algorithm) throw new TypeError(`COSE algorithm ${alg} is not ES256, ES384 or ES512`);
  if (options.key.type !== 'private' || options.key.asymmetricKeyDetails?.namedCurve !== algorithm.curve) {
    throw new TypeError(`signing with ${alg} needs a private ${algorithm.curve} key`);
  }
  const protectedBytes = encode(new Map([[HEADER_ALG, alg]]));
  const unprotected = new Map<number, unknown>();
  if (options.x5chain && options.x5chain.length > 0) {
    const chain = options.x5chain.map(plainBytes);
    unprotected.set(HEADER_X5CHAIN, chain.length === 1 ? chain[0] : chain);
  }
  const payload = plainBytes(options.payload);
  const toBeSigned = coseToBeProcessed('Signature1', protectedBytes, options.externalAad ?? EMPTY, payload);
  const signature = sign(algorithm.hash, toBeSigned, { key: options.key, dsaEncoding: 'ieee-p1363' });
  const structure = [protectedBytes, unprotected, options.detached ? null : payload, new Uint8Array(signature)];
  return encode(options.tagged ? new Tag(COSE_SIGN1_TAG, structure) : structure, {
    sortKeys: sortLengthFirstDeterministic,
  });
}

/** A decoded COSE_Sign1. */
export interface CoseSign1 {
  /** The protected header's exact bytes (an empty bstr stands for an empty map). */
  protectedBytes: Uint8Array;
  protectedHeader: Map<unknown, unknown>;
  unprotected: Map<unknown, unknown>;
  /** null when detached. */
  payload: Uint8Array | null;
  signature: Uint8Array;
  /** The protected alg (label 1); undefined when absent (verification then fails). */
  alg: number | undefined;
  /** Label 33 (either header), as a list of DER certificates, leaf first. */
  x5chain?: Uint8Array[];
}

/** Decodes COSE_Sign1 bytes (untagged or tag 18). CONTENT COSE_SIGN1_MALFORMED on any deviation. */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  return coseSign1FromCbor(decodeStrictCbor(bytes, 'COSE_SIGN1_MALFORMED', 'COSE_Sign1'));
}

/**
 * A COSE_Sign1 from an already decoded CBOR value (an array, or a cbor2 Tag 18 around one), as
 * found inside a larger structure (ISO 18013-5 issuerAuth, deviceSignature).
 */
export function coseSign1FromCbor(value: unknown): CoseSign1 {
  const fail = (detail: string) =>
    contentError('COSE_SIGN1_MALFORMED', 'The COSE_Sign1 is malformed.', { detail: `COSE_Sign1: ${detail}` });
  const parts = coseArray(value, COSE_SIGN1_TAG, fail);
  const [protectedBytes, unprotected, payload, signature] = parts;
  if (!(signature instanceof Uint8Array)) throw fail('signature is not a bstr');
  const headers = coseHeaders(protectedBytes, unprotected, payload, fail);
  return { ...headers, signature };
}

/** The fields shared by COSE_Sign1 and COSE_Mac0. */
export interface CoseHeaders {
  protectedBytes: Uint8Array;
  protectedHeader: Map<unknown, unknown>;
  unprotected: Map<unknown, unknown>;
  payload: Uint8Array | null;
  alg: number | undefined;
  x5chain?: Uint8Array[];
}

/** The four elements of a COSE array, untagged or under `tag`. */
export function coseArray(value: unknown, tag: number, fail: (detail: string) => Error): unknown[] {
  let inner = value;
  if (inner instanceof Tag) {
    if (Number(inner.tag) !== tag) throw fail(`tag ${String(inner.tag)}, expected ${tag}`);
    inner = inner.contents;
  }
  if (!Array.isArray(inner) || inner.length !== 4) throw fail('not a four-element array');
  return inner;
}

/** Parses and checks the headers and payload of a COSE_Sign1 or COSE_Mac0. */
export function coseHeaders(
  protectedBytes: unknown,
  unprotected: unknown,
  payload: unknown,
  fail: (detail: string) => Error,
): CoseHeaders {
  if (!(protectedBytes instanceof Uint8Array)) throw fail('protected header is not a bstr');
  if (!(unprotected instanceof Map)) throw fail('unprotected header is not a map');
  if (payload !== null && !(payload instanceof Uint8Array)) throw fail('payload is neither a bstr nor nil');
  let protectedHeader = new Map<unknown, unknown>();
  if (protectedBytes.length > 0) {
    let decoded: unknown;
    try {
      decoded = decodeStrictCbor(protectedBytes, 'COSE_SIGN1_MALFORMED', 'protected header', { maxDepth: 4 });
    } catch {
      throw fail('protected header is not one CBOR item');
    }
    if (!(decoded instanceof Map)) throw fail('protected header is not a map');
    protectedHeader = decoded;
  }
  for (const label of protectedHeader.keys()) {
    if (unprotected.has(label)) throw fail(`label ${String(label)} in both headers`);
  }
  if (unprotected.has(HEADER_ALG)) throw fail('alg in the unprotected header');
  const alg = protectedHeader.get(HEADER_ALG);
  if (alg !== undefined && typeof alg !== 'number') throw fail('alg is not an integer');
  const headers: CoseHeaders = { protectedBytes, protectedHeader, unprotected, payload, alg };
  const x5chain = protectedHeader.get(HEADER_X5CHAIN) ?? unprotected.get(HEADER_X5CHAIN);
  if (x5chain !== undefined) headers.x5chain = readX5chain(x5chain, fail);
  return headers;
}

function readX5chain(value: unknown, fail: (detail: string) => Error): Uint8Array[] {
  if (value instanceof Uint8Array) return [value];
  if (!Array.isArray(value) || value.length === 0) throw fail('x5chain is neither a bstr nor an array of bstr');
  for (const certificate of value) if (!(certificate instanceof Uint8Array)) throw fail('x5chain holds a non-bstr');
  return value as Uint8Array[];
}

export interface VerifyCoseSign1Options {
  externalAad?: Uint8Array;
  /** The payload of a detached COSE_Sign1 (whose payload is nil). */
  detachedPayload?: Uint8Array;
}

/**
 * Whether `publicKey` (EC) signed `decoded` with its protected alg (ES256, ES384, ES512).
 * A signature of the wrong length or by another key is false. CONTENT COSE_ALGORITHM_UNSUPPORTED
 * for another or a missing alg; CONTENT COSE_PAYLOAD_MISSING when the payload is detached and
 * none is given, or attached and one is given too.
 */
export function verifyCoseSign1(
  decoded: CoseSign1,
  publicKey: KeyObject,
  options: VerifyCoseSign1Options = {},
): boolean {
  const algorithm = decoded.alg === undefined ? undefined : ECDSA.get(decoded.alg);
  if (!algorithm) {
    throw contentError('COSE_ALGORITHM_UNSUPPORTED', 'The signature algorithm is not supported.', {
      detail: `COSE_Sign1 alg ${String(decoded.alg)}`,
    });
  }
  const payload = resolvePayload(decoded.payload, options.detachedPayload);
  if (publicKey.asymmetricKeyType !== 'ec') return false;
  const toBeSigned = coseToBeProcessed('Signature1', decoded.protectedBytes, options.externalAad ?? EMPTY, payload);
  try {
    return verify(algorithm.hash, toBeSigned, { key: publicKey, dsaEncoding: 'ieee-p1363' }, decoded.signature);
  } catch {
    return false;
  }
}

/** The payload to process: the attached one, or the detached one; exactly one of them. */
export function resolvePayload(attached: Uint8Array | null, detached: Uint8Array | undefined): Uint8Array {
  if ((attached === null) === (detached === undefined)) {
    throw contentError('COSE_PAYLOAD_MISSING', 'The COSE payload is missing or given twice.', {
      detail: attached === null ? 'detached payload not supplied' : 'payload attached and supplied detached',
    });
  }
  return attached ?? detached!;
}

function algorithmForKey(key: KeyObject): CoseEcdsaAlgorithm {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return COSE_ES256;
  if (curve === 'secp384r1') return COSE_ES384;
  if (curve === 'secp521r1') return COSE_ES512;
  throw new TypeError(`no ECDSA COSE algorithm for curve ${String(curve)}`);
}

const EMPTY = new Uint8Array(0);
