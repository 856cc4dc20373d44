import { createPublicKey, type KeyObject } from 'node:crypto';
import { encode } from 'cbor2';
import { sortLengthFirstDeterministic } from 'cbor2/sorts';
import { asBuffer } from '../bytes.js';
import { contentError } from '../../errors.js';
import { decodeStrictCbor } from './cbor.js';

/**
 * COSE_Key (RFC 9052 §7, RFC 9053 §7.1) for EC2 public keys on P-256, P-384 and P-521, to and
 * from node:crypto KeyObjects: {1 (kty): 2, -1 (crv): 1|2|3, -2 (x): bstr, -3 (y): bstr}. alg is
 * optional (ISO 18013-5 DeviceKey and EDeviceKey carry none) but checked against the curve when
 * present. WebAuthn's parser (src/attestation/webauthn/cose-key.ts) requires alg and reads bytes
 * of a credential; this one reads the map found inside an mdoc structure.
 */

const KTY = 1;
const ALG = 3;
const CRV = -1;
const X = -2;
const Y = -3;
const D = -4;
export const KTY_EC2 = 2;

const CURVES = [
  { crv: 1, jwk: 'P-256', node: 'prime256v1', size: 32, alg: -7 },
  { crv: 2, jwk: 'P-384', node: 'secp384r1', size: 48, alg: -35 },
  { crv: 3, jwk: 'P-521', node: 'secp521r1', size: 66, alg: -36 },
] as const;

const malformed = (detail: string) =>
  contentError('COSE_KEY_MALFORMED', 'The COSE key is malformed.', { detail: `COSE key: ${detail}` });

/**
 * The public key of an EC2 COSE_Key given as a decoded map (or its bytes). CONTENT
 * COSE_KEY_MALFORMED when a field is missing or mistyped, the key is not EC2 on P-256/384/521,
 * the point is compressed or off the curve, it carries a private part, or alg does not fit crv.
 */
export function coseKeyToPublicKey(value: Map<unknown, unknown> | Uint8Array): KeyObject {
  const map = value instanceof Map ? value : decodeStrictCbor(value, 'COSE_KEY_MALFORMED', 'COSE key', { maxDepth: 2 });
  if (!(map instanceof Map)) throw malformed('not a map');
  if (map.get(KTY) !== KTY_EC2) throw malformed(`kty ${String(map.get(KTY))} is not EC2`);
  const curve = CURVES.find((candidate) => candidate.crv === map.get(CRV));
  if (!curve) throw malformed(`crv ${String(map.get(CRV))} is not P-256, P-384 or P-521`);
  if (map.has(D)) throw malformed('carries a private key');
  const alg = map.get(ALG);
  if (alg !== undefined && alg !== curve.alg) throw malformed(`alg ${String(alg)} does not fit ${curve.jwk}`);
  const x = map.get(X);
  const y = map.get(Y);
  if (!(x instanceof Uint8Array) || x.length !== curve.size) throw malformed(`x is not ${curve.size} bytes`);
  // A boolean y would be a compressed point: not accepted.
  if (!(y instanceof Uint8Array) || y.length !== curve.size) throw malformed(`y is not ${curve.size} bytes`);
  try {
    return createPublicKey({
      key: { kty: 'EC', crv: curve.jwk, x: asBuffer(x).toString('base64url'), y: asBuffer(y).toString('base64url') },
      format: 'jwk',
    });
  } catch (error) {
    throw malformed(`${curve.jwk} point does not import: ${(error as Error).message}`);
  }
}

/** The EC2 COSE_Key map of an EC public (or private: its public half) key on P-256/384/521. */
export function publicKeyToCoseKey(key: KeyObject): Map<number, number | Uint8Array> {
  const curve = CURVES.find((candidate) => candidate.node === key.asymmetricKeyDetails?.namedCurve);
  if (key.asymmetricKeyType !== 'ec' || !curve) throw new TypeError('not an EC key on P-256, P-384 or P-521');
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  return new Map<number, number | Uint8Array>([
    [KTY, KTY_EC2],
    [CRV, curve.crv],
    [X, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
    [Y, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
  ]);
}

/** The canonical (length-first, RFC 7049 §3.9) encoding of `publicKeyToCoseKey(key)`. */
export const encodeCoseKey = (key: KeyObject): Uint8Array =>
  encode(publicKeyToCoseKey(key), { sortKeys: sortLengthFirstDeterministic });
