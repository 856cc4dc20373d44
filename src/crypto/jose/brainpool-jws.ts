import { sign, verify, type KeyObject } from 'node:crypto';
import { isKeywardError } from '../../errors.js';
import { decodeCompactJws } from './compact-jws.js';
import { parseCertificate, type ParsedCertificate } from '../x509/certificate.js';

/**
 * JWS algorithm "BP256R1" as gematik's clients write it (jose4j with an added algorithm): ECDSA
 * on brainpoolP256r1 with SHA-256, the signature R‖S (64 bytes) as in ES256. Health cards sign
 * with it; the signer's certificate travels in x5c.
 */
export const BP256R1 = 'BP256R1';

/** node:crypto's name of the curve (OpenSSL's). */
const CURVE = 'brainpoolP256r1';

/** Why a BP256R1 JWS was refused; the caller turns each into its own error code. */
export type BrainpoolJwsFailure =
  /** Not a compact JWS of JSON objects, no usable x5c, a certificate that does not parse. */
  | 'malformed'
  /** The header names another algorithm than BP256R1 (or none). */
  | 'algorithm'
  /** The x5c leaf's key is not an EC key on brainpoolP256r1. */
  | 'key'
  /** The signature does not verify with the leaf's key. */
  | 'signature';

export interface VerifiedBrainpoolJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** x5c, leaf first: the leaf's key verified the signature; nothing about the others is checked here. */
  certificates: ParsedCertificate[];
  /** `certificates[0]`, the signer. */
  leaf: ParsedCertificate;
}

export interface BrainpoolJwsOptions {
  /**
   * Upper bound on the token's length. A registration token carries a CSR, a key attestation
   * chain and an integrity verdict (Android) or an App Attest attestation with its receipt (iOS),
   * more than compact-jws's bound for small tokens.
   */
  maxLength?: number;
  /** Most certificates x5c may hold. */
  maxCertificates?: number;
}

const DEFAULT_MAX_LENGTH = 65_536;
const DEFAULT_MAX_CERTIFICATES = 4;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

class Refusal extends Error {
  constructor(
    readonly reason: BrainpoolJwsFailure,
    detail: string,
  ) {
    super(detail);
  }
}

/** x5c (RFC 7515 §4.1.6): a non-empty array of standard, padded base64 DER certificates, leaf first. */
function x5c(header: Record<string, unknown>, max: number): ParsedCertificate[] {
  const list = header.x5c;
  if (!Array.isArray(list) || list.length === 0) throw new Refusal('malformed', 'header has no x5c array');
  if (list.length > max) throw new Refusal('malformed', `x5c holds ${list.length} certificates, at most ${max}`);
  return list.map((entry, index) => {
    if (typeof entry !== 'string' || !BASE64.test(entry)) throw new Refusal('malformed', `x5c[${index}] is not base64`);
    const der = Buffer.from(entry, 'base64');
    if (der.toString('base64') !== entry) throw new Refusal('malformed', `x5c[${index}] is not canonical base64`);
    try {
      // The leaf is per user; CA certificates repeat and may use the parse cache.
      return parseCertificate(der, 'MALFORMED_CERTIFICATE', { cache: index > 0 });
    } catch (error) {
      if (!isKeywardError(error)) throw error;
      throw new Refusal('malformed', `x5c[${index}]: ${error.message}${error.detail ? ` (${error.detail})` : ''}`);
    }
  });
}

/** Whether `key` is an EC key on brainpoolP256r1. */
export const isBrainpoolP256r1 = (key: KeyObject): boolean =>
  key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE;

/**
 * Verifies a compact JWS signed BP256R1 by the key of its x5c leaf: strict decoding (unpadded
 * base64url segments, JSON objects without duplicate members, canonical base64 in x5c), alg
 * exactly "BP256R1", no `crit` (no extension is understood), the leaf's key on brainpoolP256r1,
 * a 64-byte R‖S signature that verifies. Whether the leaf is trusted, and valid now, is the
 * caller's question. Every refusal throws what `fail` makes of its reason and a log-only detail.
 */
export function verifyBrainpoolJws(
  token: string,
  fail: (reason: BrainpoolJwsFailure, detail: string) => Error,
  options: BrainpoolJwsOptions = {},
): VerifiedBrainpoolJws {
  try {
    return verifyOrRefuse(token, options);
  } catch (error) {
    if (error instanceof Refusal) throw fail(error.reason, error.message);
    throw error;
  }
}

function verifyOrRefuse(token: string, options: BrainpoolJwsOptions): VerifiedBrainpoolJws {
  const { header, payload, signingInput, signature } = decodeCompactJws(
    token,
    (detail) => new Refusal('malformed', detail),
    { maxLength: options.maxLength ?? DEFAULT_MAX_LENGTH },
  );
  if (header.alg !== BP256R1) throw new Refusal('algorithm', `alg ${JSON.stringify(header.alg)}, expected ${BP256R1}`);
  if (header.crit !== undefined) throw new Refusal('malformed', 'header has crit; no extension is understood');
  const certificates = x5c(header, options.maxCertificates ?? DEFAULT_MAX_CERTIFICATES);
  const leaf = certificates[0]!;
  if (leaf.keyAlgorithm !== 'EC' || leaf.curve !== CURVE)
    throw new Refusal('key', `x5c leaf key is ${leaf.keyAlgorithm} ${leaf.curve ?? ''}, not EC ${CURVE}`.trim());
  let key: KeyObject;
  try {
    key = leaf.publicKey();
  } catch (error) {
    throw new Refusal('key', `x5c leaf key does not import: ${(error as Error).message}`);
  }
  if (!isBrainpoolP256r1(key)) throw new Refusal('key', `x5c leaf key is not on ${CURVE}`);
  if (signature.length !== 64) throw new Refusal('signature', `signature is ${signature.length} bytes, not R‖S (64)`);
  if (!verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature))
    throw new Refusal('signature', `signature does not verify with the key of ${leaf.subject}`);
  return { header, payload, certificates, leaf };
}

const encodeJson = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A compact BP256R1 JWS over `payload` (JSON) with header {alg, x5c} (x5c: DER certificates,
 * leaf first), as a health card signs one: for the simulator and tests.
 */
export function signBrainpoolJws(
  payload: object,
  key: KeyObject,
  certificates: readonly Uint8Array[],
  extraHeader: Record<string, unknown> = {},
): string {
  if (key.asymmetricKeyDetails?.namedCurve !== CURVE) throw new TypeError(`signing key is not on ${CURVE}`);
  const header = {
    alg: BP256R1,
    x5c: certificates.map((der) => Buffer.from(der).toString('base64')),
    ...extraHeader,
  };
  const signingInput = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), { key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}
