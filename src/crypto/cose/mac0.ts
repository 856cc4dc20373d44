import { createHmac } from 'node:crypto';
import { encode } from 'cbor2';
import { contentError } from '../../errors.js';
import { plainBytes } from './cbor.js';
import { coseArray, coseHeaders, type CoseHeaders, HEADER_ALG, resolvePayload } from './sign1.js';
import { coseToBeProcessed } from './structure.js';
import { constantTimeEqual } from '../bytes.js';

/**
 * COSE_Mac0 (RFC 9052 §6.2) with HMAC 256/256 (alg 5, RFC 9053 §3.1), as ISO 18013-5 deviceMac
 * uses it: [protected, unprotected, payload / nil, tag], the tag an HMAC-SHA-256 over
 * MAC_structure ["MAC0", protected, external_aad, payload].
 */

export const COSE_HMAC_256_256 = 5;
/** CBOR tag of COSE_Mac0 (RFC 9052 §2). */
export const COSE_MAC0_TAG = 17;

export interface CoseMac0 extends CoseHeaders {
  tag: Uint8Array;
}

/** A COSE_Mac0 from a decoded CBOR value (an array, or Tag 17 around one). CONTENT COSE_MAC0_MALFORMED. */
export function coseMac0FromCbor(value: unknown): CoseMac0 {
  const fail = (detail: string) =>
    contentError('COSE_MAC0_MALFORMED', 'The COSE_Mac0 is malformed.', { detail: `COSE_Mac0: ${detail}` });
  const [protectedBytes, unprotected, payload, tag] = coseArray(value, COSE_MAC0_TAG, fail);
  if (!(tag instanceof Uint8Array)) throw fail('tag is not a bstr');
  return { ...coseHeaders(protectedBytes, unprotected, payload, fail), tag };
}

/**
 * Whether `decoded` carries the HMAC 256/256 tag of `key`. CONTENT COSE_ALGORITHM_UNSUPPORTED for
 * another alg; CONTENT COSE_PAYLOAD_MISSING as for COSE_Sign1.
 */
export function verifyCoseMac0(
  decoded: CoseMac0,
  key: Uint8Array,
  options: { externalAad?: Uint8Array; detachedPayload?: Uint8Array } = {},
): boolean {
  if (decoded.alg !== COSE_HMAC_256_256) {
    throw contentError('COSE_ALGORITHM_UNSUPPORTED', 'The MAC algorithm is not supported.', {
      detail: `COSE_Mac0 alg ${String(decoded.alg)}`,
    });
  }
  const payload = resolvePayload(decoded.payload, options.detachedPayload);
  const expected = hmac(key, decoded.protectedBytes, options.externalAad ?? EMPTY, payload);
  return constantTimeEqual(decoded.tag, expected);
}

/** An HMAC 256/256 COSE_Mac0 (untagged), alg in the protected header. */
export function macCoseMac0(options: {
  payload: Uint8Array;
  key: Uint8Array;
  detached?: boolean;
  externalAad?: Uint8Array;
}): Uint8Array {
  const protectedBytes = encode(new Map([[HEADER_ALG, COSE_HMAC_256_256]]));
  const payload = plainBytes(options.payload);
  const tag = hmac(options.key, protectedBytes, options.externalAad ?? EMPTY, payload);
  return encode([protectedBytes, new Map(), options.detached ? null : payload, new Uint8Array(tag)]);
}

const hmac = (key: Uint8Array, protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array) =>
  createHmac('sha256', key)
    .update(coseToBeProcessed('MAC0', protectedBytes, externalAad, payload))
    .digest();

const EMPTY = new Uint8Array(0);
