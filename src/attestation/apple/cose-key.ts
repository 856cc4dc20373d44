import { contentError, type ErrorCode } from '../../errors.js';
import { decodeCbor } from '../cbor.js';

// COSE_Key labels and values (RFC 9053): kty EC2 = 2, alg ES256 = -7, crv P-256 = 1.
const KTY = 1;
const ALG = 3;
const CRV = -1;
const X = -2;
const Y = -3;

/** {1: 2, 3: -7, -1: 1, -2: h'<32>', -3: h'<32>'} in canonical CBOR, as Apple encodes credential keys: the bytes before X and between X and Y. */
const CANONICAL_HEAD = Buffer.from('a5010203262001215820', 'hex');
const CANONICAL_MIDDLE = Buffer.from('225820', 'hex');

/**
 * Whether a COSE key is the P-256 key `point` (04‖X‖Y). Apple's canonical encoding is compared
 * byte for byte (a generic CBOR decode costs more than the comparison by two orders of
 * magnitude); any other encoding is decoded and compared by value.
 */
export function coseKeyIsPoint(bytes: Uint8Array, point: Uint8Array, code: ErrorCode): boolean {
  const canonical = Buffer.concat([CANONICAL_HEAD, point.subarray(1, 33), CANONICAL_MIDDLE, point.subarray(33, 65)]);
  return canonical.equals(bytes) || coseP256Point(bytes, code).equals(point);
}

/** The uncompressed point 04‖X‖Y of a COSE EC2 P-256 key. */
function coseP256Point(bytes: Uint8Array, code: ErrorCode): Buffer {
  const key = decodeCbor(bytes, code, 'credential public key');
  const fail = (detail: string) =>
    contentError(code, 'The credential public key is malformed.', { detail: `COSE key: ${detail}` });
  if (!(key instanceof Map)) throw fail('not a map');
  if (key.get(KTY) !== 2) throw fail('kty is not EC2');
  if (key.has(ALG) && key.get(ALG) !== -7) throw fail('alg is not ES256');
  if (key.get(CRV) !== 1) throw fail('crv is not P-256');
  const x: unknown = key.get(X);
  const y: unknown = key.get(Y);
  if (!(x instanceof Uint8Array) || x.length !== 32 || !(y instanceof Uint8Array) || y.length !== 32)
    throw fail('x or y is not 32 bytes');
  return Buffer.concat([Buffer.of(4), x, y]);
}
