import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { verifyContentDigest } from '../../crypto/http-message/content-digest.js';
import {
  verifyHttpSignature,
  type EcdsaEncoding,
  type HttpMessageParts,
} from '../../crypto/http-message/http-signatures.js';
import { spkiToJwk } from '../../crypto/jose/jwk.js';
import { mdvmError } from './errors.js';

/** A signed wallet request as it arrived: method, raw target and headers for the signature base, raw body for the digest. */
export interface SignedRequest {
  message: HttpMessageParts;
  body: Buffer;
  /** Filled in as signatures verify: label → the encoding its signature used (the route logs it with the request). */
  readonly signatureEncodings: Record<string, EcdsaEncoding>;
}

export const AUTH_SIGNATURE = 'mdvm-auth-sig';
export const REATTEST_SIGNATURE = 'mdvm-reattest-sig';

/** Covered components (docs/protocols/mdvm.md): registration, and renewal (which adds the account id). */
export const REGISTER_COMPONENTS = ['@method', '@path', 'auth-challenge', 'content-digest'];
export const RENEWAL_COMPONENTS = ['@method', '@path', 'mdvm-wi-id', 'auth-challenge', 'content-digest'];

export interface SignatureWindow {
  now: number;
  maxAgeSeconds: number;
  maxSkewSeconds: number;
  /** mdvm.signatureEncodings */
  encodings: readonly EcdsaEncoding[];
}

/** One header value (the first when repeated); BAD_REQUEST when absent or unreasonably long. */
export function header(request: SignedRequest, name: string, maxLength = 4096): string {
  const raw = request.message.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw mdvmError('BAD_REQUEST', `header ${name} ${value === undefined ? 'missing' : 'empty or too long'}`);
  }
  return value;
}

/**
 * Verifies the signature under `label` with `key` (ecdsa-p256-sha256 named by its alg parameter,
 * as the reference requires; raw or DER as the window allows; created within the window) and the
 * body's Content-Digest.
 */
export function verifyWalletSignature(
  request: SignedRequest,
  label: string,
  components: string[],
  key: KeyObject,
  window: SignatureWindow,
): void {
  const verified = verifyHttpSignature(
    request.message,
    {
      label,
      requiredComponents: components,
      algorithms: ['ecdsa-p256-sha256'],
      requireAlg: true,
      ecdsaEncodings: window.encodings,
      now: window.now,
      maxAgeSeconds: window.maxAgeSeconds,
      maxSkewSeconds: window.maxSkewSeconds,
    },
    key,
  );
  if (verified.ecdsaEncoding) request.signatureEncodings[label] = verified.ecdsaEncoding;
  verifyContentDigest(request.message.headers['content-digest'], request.body);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Standard padded base64 (what the reference apps send), nothing lenient. */
const isStrictBase64 = (value: string) => BASE64.test(value) && value.length % 4 === 0;

/** Standard base64, strictly, and not empty. */
export function base64Field(value: string, field: string): Buffer {
  const bytes = Buffer.from(value, 'base64');
  if (!isStrictBase64(value) || bytes.length === 0) {
    throw mdvmError('BAD_REQUEST', `${field} is not base64`);
  }
  return bytes;
}

export interface AuthKey {
  key: KeyObject;
  jwk: JsonWebKey;
  spki: Buffer;
}

/** wi_mdvm_auth_pubk: base64 SubjectPublicKeyInfo DER of an EC P-256 key; MALFORMED_KEY otherwise. */
export function parseAuthKey(value: string): AuthKey {
  const malformed = (detail: string) => mdvmError('MALFORMED_KEY', detail);
  const spki = Buffer.from(value, 'base64');
  if (!isStrictBase64(value)) throw malformed('not base64');
  const jwk = spkiToJwk(spki);
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256') throw malformed('not an EC P-256 SubjectPublicKeyInfo');
  try {
    return { key: createPublicKey({ key: jwk, format: 'jwk' }), jwk, spki };
  } catch (error) {
    throw malformed(`not a point on P-256: ${(error as Error).message}`);
  }
}

/** The key attestation challenge: SHA-256 of the mdvm_auth_challenge string as sent. */
export const attestationNonce = (challenge: string) => createHash('sha256').update(challenge, 'utf8').digest();
